"""The accumulate sweep of the fixed-design regression chain (Gerstgrasser et al. 2024; Dey
and Donoho 2024; docs/theory/policies.md): ours against the published-code way of doing it.

Reference: a NumPy loop over seeds and iterations that relabels the design with the current fit,
stacks all data so far and refits with ``np.linalg.lstsq`` (cost O(i T d^2) at iteration i).
Ours: :mod:`sim.regression._policies`'s one-seed chain (Bartlett factor drawn once per seed; each
iteration is one triangular solve, w_i = w_{i-1} + sigma R^-1 g / i), vmapped over seeds.
d = T = 100: the expected error is infinite (T < d + 2) but each seed's error is finite, so
agreement is a two-sample Mann-Whitney test on the final errors (p > 1e-3), not a z-test.
In full mode the reference runs on 10 of the 100 seeds and its time is scaled by 10 (stated).
"""

from __future__ import annotations

import jax
import numpy as np
from scipy import stats

from bench._floor import floor_seconds
from bench._registry import Result, benchmark, best_time
from sim._montecarlo import sample_seeds
from sim.regression._policies import _one_fixed

D, T, SIGMA = 100, 100, 1.0


def _numpy_accumulate(seeds: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(seeds):
        x = rng.standard_normal((T, D))
        w, ys = np.zeros(D), []  # w* = 0: the fit is the error
        for i in range(1, n + 1):
            ys.append(x @ w + SIGMA * rng.standard_normal(T))
            w = np.linalg.lstsq(np.vstack([x] * i), np.concatenate(ys), rcond=None)[0]
        out.append(w @ w)
    return np.array(out)


def _vectorised_accumulate(seeds: int, n: int) -> np.ndarray:
    """Our algorithm in NumPy, all seeds at once: the design enters through its Bartlett factor R
    (R'R ~ Wishart_d(T, I)), drawn once per seed, and iteration i moves the fit by
    sigma R^-1 g_i / i."""
    rng = np.random.default_rng(1)
    r = np.triu(rng.standard_normal((seeds, D, D)), k=1)
    r[:, np.arange(D), np.arange(D)] = np.sqrt(rng.chisquare(T - np.arange(D), (seeds, D)))
    r_inv = np.linalg.inv(r)
    e = np.zeros((seeds, D))
    for i in range(1, n + 1):
        e += SIGMA * np.einsum("sij,sj->si", r_inv, rng.standard_normal((seeds, D))) / i
    return np.sum(e**2, axis=1)


@benchmark("policies_accumulate")
def accumulate_sweep(quick: bool) -> Result:
    n, seeds = (10, 10) if quick else (100, 100)
    ref_seeds = seeds if quick else 10
    key = jax.random.key(0)

    def ours():
        return sample_seeds(_one_fixed, key, seeds=seeds,
                            static=dict(n_max=n, d=D, policy="accumulate", raw_T=0),
                            params=dict(T=T, sigma=SIGMA))[:, n]

    ours_s, errors = best_time(ours, repeat=3)
    ref_s, ref_errors = best_time(lambda: _numpy_accumulate(ref_seeds, n), repeat=1)
    ref_s *= seeds / ref_seeds
    vectorised_s, vec_errors = best_time(lambda: _vectorised_accumulate(seeds, n), repeat=1)
    p_value = float(stats.mannwhitneyu(np.log(errors), np.log(ref_errors)).pvalue)
    p_vec = float(stats.mannwhitneyu(np.log(errors), np.log(vec_errors)).pvalue)
    draws = seeds * (D * (D + 1) // 2 + n * D)  # the Bartlett factor, then d normals a step
    flops = seeds * n * D**2  # one triangular solve a step
    return Result("policies_accumulate", ours_s, ref_s, p_value > 1e-3 and p_vec > 1e-3,
                  dict(d=D, T=T, iterations=n, seeds=seeds, reference_seeds=ref_seeds,
                       mann_whitney_p=p_value, mann_whitney_p_vectorised=p_vec,
                       median_ours=float(np.median(errors)),
                       median_reference=float(np.median(ref_errors)), draws=draws, flops=flops),
                  vectorised_s=vectorised_s, floor_s=floor_seconds(draws=draws, flops=flops))
