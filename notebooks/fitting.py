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

import jax

from sim._compilation_cache import enable_compilation_cache

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)

import matplotlib  # noqa: E402

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

# %% [markdown]
# ## A simulated curve: fit the exact law to a tail-cut simulation
# `sim.zipf.tail_cut_error` trains the memorising model on T draws from a top-k generator (a
# vocabulary of N symbols); the exact finite-N theory is the line, the simulation the markers
# (+-2 standard errors), and the `zipf_tail_cut` fit to the markers (infinite vocabulary, so its
# plateau sits above the finite-N one by about the mass beyond N) the dashed line with its band.
# Moving a slider redraws the theory at once; the button reruns the simulation and the fit at the
# sliders' values (the compiled programs come from the persistent compilation cache).

# %%
import ipywidgets as widgets  # noqa: E402
from IPython.display import display  # noqa: E402

import sim.zipf as sz  # noqa: E402

N_vocab, sim_seeds = 4096, 200
T_sim = np.round(np.logspace(1, 3.7, 8))  # below the T at which every head symbol is seen
T_line = np.logspace(1, 5, 100)
last = {}  # the latest simulation and fit: the parameters they ran at


def simulate(beta=1.8, k=30):
    est = sz.tail_cut_error(jax.random.key(0), beta=beta, T=T_sim, k=k, N=N_vocab,
                            seeds=sim_seeds)
    fit = fit_curve(T=T_sim, error=est.mean, stderr=est.stderr, law="zipf_tail_cut")
    last.update(params=dict(beta=beta, k=k), est=est, fit=fit)


def draw(beta=1.8, k=30):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(T_line, tz.tail_cut_error(beta=beta, T=T_line, k=k, N=N_vocab),
            label=f"theory (exact, N={N_vocab})")
    ax.axhline(float(tz.tail_mass(beta=beta, k=k)), color="gray", ls=":",
               label="tail mass 1 - P_k (N = inf)")
    est, fit, run = last["est"], last["fit"], last["params"]
    ax.errorbar(T_sim, est.mean, 2 * est.stderr, fmt="o", ms=4, color="k",
                label=f"simulation (beta={run['beta']}, k={run['k']})")
    f, lo, hi = fit.predict(T_line)
    ax.plot(T_line, f, "--", color="C1", label=f"fit: beta={fit.params['beta']:.3f}, "
                                                 f"k={fit.params['k']:.1f}")
    ax.fill_between(T_line, lo, hi, color="C1", alpha=0.25, lw=0)
    ax.set(xscale="log", yscale="log", xlabel="T", ylabel="test error")
    if run != dict(beta=beta, k=k):
        ax.set_title("markers and fit from an earlier run: press 'rerun simulation'", fontsize=9)
    ax.legend(fontsize=7)
    plt.show()


simulate()
draw()
print(last["fit"])

explore = widgets.interactive(
    draw,
    beta=widgets.FloatSlider(value=1.8, min=1.2, max=3.0, step=0.1, description="beta"),
    k=widgets.IntSlider(value=30, min=5, max=100, step=1, description="k"),
)
rerun = widgets.Button(description="rerun simulation and fit")


def on_rerun(_):
    simulate(**explore.kwargs)
    explore.update()


rerun.on_click(on_rerun)
display(widgets.VBox([explore, rerun]))
