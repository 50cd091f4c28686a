# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %%
import jax

from sim._compilation_cache import enable_compilation_cache

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)

import os  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import sim.zipf as sz  # noqa: E402
import theory.zipf as tz  # noqa: E402

# %% [markdown]
# # Zipfian tails: where scaling stops and where it resumes
#
# A memorising model trained on T samples of a Zipf(beta) law errs on the real mass of the
# queries it has not seen (ToT section 2; HUT). Move the knobs below: `beta` (tail exponent),
# `k` (top-k cut of the AI data), `pi` (fraction of clean data), `T0` (samples per generation).
# `SMALL` keeps the simulation tiny so the notebook runs in seconds; set it to False for more
# seeds and a larger vocabulary.

# %%
SMALL = bool(int(os.environ.get("ZIPF_NOTEBOOK_SMALL", "1")))
beta, k, pi, T0 = 2.0, 30, 0.05, 500
N = 1000 if SMALL else 2**16
seeds = 300 if SMALL else 1000
T = np.logspace(1, 7, 25)
Ts = np.round(np.logspace(2, 6, 3 if SMALL else 7), -2)

# %% [markdown]
# The clean law, its constant `C_beta` derived by sympy, and where a top-k cut stops scaling:
# the crossover `T* ~ k^beta` and the plateau at the tail mass `1 - P_k`.

# %%
c = 1 - 1 / beta
print(f"C_beta = {float(tz.C_beta(beta=beta)):.6f}, c = {c:.3f}")
print(f"plateau (tail mass) = {float(tz.tail_mass(beta=beta, k=k)):.4g}, "
      f"crossover T* = {float(tz.tail_cut_crossover(beta=beta, k=k)):.4g}")
print(f"a generator trained on T0={T0} samples acts like k = "
      f"{float(tz.generator_cutoff(beta=beta, T0=T0)):.1f}")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(T, tz.memorization_error(beta=beta, T=T, N=N), label="clean")
ax.loglog(T, tz.tail_cut_error(beta=beta, T=T, k=k, N=N), label=f"top k={k}")
ax.loglog(T, tz.mixed_error(beta=beta, T=T, k=k, pi=pi, N=N), label=f"mix pi={pi}")
for n in (1, 3):
    ax.loglog(T, tz.generations_error(beta=beta, T=T, T0=T0, n=n, chain="resample", N=N), "--",
              label=f"resample n={n}")
est = sz.mixed_error(jax.random.key(0), beta=beta, T=Ts, k=k, pi=pi, N=N, seeds=seeds)
ax.errorbar(Ts, est.mean, 2 * est.stderr, fmt="o", ms=4, label="simulation (mix)")
ax.set_xlabel("T")
ax.set_ylabel("test error")
ax.legend(fontsize=7)
print("theory vs simulation (mix), z =", np.round(est.z(tz.mixed_error(beta=beta, T=Ts, k=k,
                                                                     pi=pi, N=N)), 2))
