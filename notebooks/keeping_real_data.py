# %% [markdown]
# # Keeping real data: how much, kept how, prevents collapse?
# THEORY.md sections 2 and 3. One policy object (`theory.policy.Policy`) drives the regression
# chain, the Gaussian refitting chain and the categorical (Wright-Fisher) chain; every theory
# number below has a simulator twin of the same name in `sim`.

# %%
import jax

from sim._compilation_cache import enable_compilation_cache

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import sim.gaussian as SG  # noqa: E402
import sim.regression as SR  # noqa: E402
import theory.discrete as TD  # noqa: E402
import theory.gaussian as TG  # noqa: E402
import theory.regression as TR  # noqa: E402
from theory.policy import Policy  # noqa: E402

SEEDS = 200  # small: this notebook runs in the test suite

# %% [markdown]
# ## 1. Replace or accumulate (fixed-design regression; GER, Dey-Donoho)
# Replacing the data makes the error grow linearly in the number of iterations n; accumulating
# it caps the error at pi^2/6 single-fit errors; a fixed budget drawn from the growing pool
# (KAZ's accumulate-subsample) sits between, and levels off near 3 single-fit errors.

# %%
n = np.array([1, 2, 5, 10, 50])
for policy in ("replace", "accumulate", "accumulate-subsample"):
    print(f"{policy:>22}", np.round(TR.fixed_design_error(d=10, T=50, n=n, sigma=1.0,
                                                          policy=policy), 4))
est = SR.fixed_design_error(jax.random.key(0), d=10, T=50, n=10, sigma=1.0, policy="accumulate",
                            seeds=SEEDS)
print("simulated accumulate, n = 10:", est.mean, "+-", est.stderr)

# %% [markdown]
# ## 2. A fixed share of synthetic data in one training set (Strong Model Collapse)
# However large the training set, a share p2 of data from a shifted model leaves a floor p2^2 c^2.

# %%
n_train = np.array([1e2, 1e3, 1e4, 1e6])
for p2 in (0.0, 0.01, 0.1):
    print(f"p2={p2:<5}", TR.isotropic_mixed_training_error(d=10, n=n_train, p2=p2, c2=1.0,
                                                           sigma=1.0))

# %% [markdown]
# ## 3. Refitting a Gaussian (Shumailov et al.): the mean hides the collapse
# With the unbiased variance estimator E sigma_n^2 stays 1 while E log sigma_n^2 drifts down by
# about 1/(M-1) per generation; fresh real data (mix) or accumulation stop it.

# %%
M, gens = 20, np.array([10, 100, 1000])
print("E sigma_n^2 (unbiased)      ", TG.variance_after(n=gens, M=M))
print("E log sigma_n^2             ", TG.logdet_drift(d=1, M=M, n=gens))
print("E sigma_n^2 (MLE)           ", TG.variance_after(n=gens, M=M, estimator="mle"))
print("E sigma_n^2 (MLE, 20% real) ", TG.variance_after(n=gens[:2], M=M, estimator="mle",
                                                        policy=Policy.mix(0.2)))
print("E (mu_n - mu)^2 replace / accumulate / accumulate-subsample (leading order in 1/M):",
      TG.mean_drift(n=100, M=M), TG.mean_drift(n=100, M=M, policy="accumulate"),
      TG.mean_drift(n=100, M=M, policy="accumulate-subsample"))
est = SG.log_variance(jax.random.key(1), n=10, M=M, seeds=SEEDS)
print("simulated E log sigma_10^2:", est.mean, "+-", est.stderr)

# %% [markdown]
# ## 4. Weighting fresh real data against synthetic data (HXC)
# The optimal weight on real data solves w^2 + k w - k = 0 (k = 1: 1/golden ratio).

# %%
for k in (0.25, 1.0, 4.0):
    w = float(TG.optimal_real_weight(k=k))
    v = TG.weighted_stationary_variance(w=w, k=k, n=10)
    print(f"k={k}: w*={w:.4f}, stationary variance {v}")

# %% [markdown]
# ## 5. Categorical laws (Wright-Fisher): lost mass under the policies

# %%
p = np.arange(1, 51.0) ** -1.5
p /= p.sum()
for policy in ("replace", "accumulate", Policy.mix(0.2)):
    print(f"{policy!s:>14}", np.round(TD.expected_lost_mass(p=p, M=20, n=[1, 10, 40],
                                                           policy=policy), 4))
