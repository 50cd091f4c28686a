# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %%
import os
import warnings

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import theory.zipf as tz  # noqa: E402
from theory.fit import compare, fit_curve  # noqa: E402

# %% [markdown]
# # Fitting collapse laws to learning curves
#
# `theory.fit.fit_curve` fits a law to measured (T, error) pairs by weighted least squares (or,
# without standard errors, by unweighted least squares on log error with the residual variance
# estimated). Intervals: Laplace in unconstrained coordinates, profile likelihood where that is
# poor; a parameter the data cannot pin down is reported with an unbounded interval and a warning.
#
# ## Why the exact law: a naive power law plus floor is biased on a tail-cut curve
# Tail cutting (Dohmatob et al., "A Tale of Tails", ICML 2024): a top-k generator stops scaling
# at the tail mass 1 - P_k. The exact curve bends slowly into its plateau, which `A T^-c + floor`
# cannot follow.

# %%
beta, k = 1.8, 300
T = np.logspace(1, 7, 25)
E = tz.tail_cut_error(beta=beta, T=T, k=k)
rng = np.random.default_rng(0)
s = 0.03 * E
y = E + s * rng.standard_normal(T.size)
naive = fit_curve(T=T, error=y, stderr=s, law="power_law_floor")
exact = fit_curve(T=T, error=y, stderr=s, law="zipf_tail_cut")
print(naive, "\n")
print(exact, "\n")
print("true c = 1 - 1/beta =", 1 - 1 / beta, "; true plateau =", float(tz.tail_mass(beta=beta, k=k)))
print(compare([naive, exact, fit_curve(T=T, error=y, stderr=s, law="power_law")]))

# %% [markdown]
# ## Questions answered from a fit
# Where scaling stops (10% above the clean law), the plateau, and the real data needed to bring
# the error at T = 1e7 down to half the plateau.

# %%
plateau = exact.plateau
print("scaling stops at T =", exact.scaling_stops(0.1))
print("plateau:", plateau)
print("clean share needed:", exact.clean_share(plateau.value / 2, 1e7))
print("extra real samples needed:", exact.extra_real_data(plateau.value / 2, 1e7))

# %%
grid = np.logspace(1, 9, 200)
fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(T, y, yerr=2 * s, fmt="o", ms=3, color="k", label="data")
for fit, col in ((naive, "C0"), (exact, "C1")):
    f, lo, hi = fit.predict(grid)
    ax.plot(grid, f, color=col, label=fit.law)
    ax.fill_between(grid, lo, hi, color=col, alpha=0.25, lw=0)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("T")
ax.set_ylabel("test error")
ax.legend()

# %% [markdown]
# ## Your own curve
# Paste your (T, loss) pairs below; give standard errors if you have them (else `None`), choose a
# law (`power_law`, `power_law_floor`, `zipf_tail_cut`, `zipf_mixed`, `zipf_generations`,
# `regression_generations`, `strong_collapse`) and pin known parameters as keywords.

# %%
my_T = [10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000]
my_loss = [0.52, 0.33, 0.19, 0.115, 0.068, 0.043, 0.030, 0.024, 0.022]
my_stderr = None  # or a list of standard errors, one per point

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    fits = [fit_curve(T=my_T, error=my_loss, stderr=my_stderr, law=law)
            for law in ("power_law", "power_law_floor")]
for w in caught:
    print("warning:", w.message)
for f in fits:
    print(f, "\n")
print(compare(fits))
best = fits[1]
if best.plateau is not None:
    print("plateau:", best.plateau, "; scaling stops at T =", best.scaling_stops(0.1))
