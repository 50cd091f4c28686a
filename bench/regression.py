"""Regression chain benchmark: our simulator against a NumPy loop with np.linalg.lstsq."""

from __future__ import annotations

import time

import jax
import numpy as np

from bench._floor import floor_seconds
from bench._registry import Result, benchmark, best_time
from sim import regression as S
from theory import regression as R


def numpy_ols_chain(*, d, T, T0, n, sigma, sigma0, seeds, rng) -> np.ndarray:
    """The experiment as published code runs it: loop over seeds and generations, lstsq refits."""
    w0 = np.full(d, 1 / np.sqrt(d))
    out = np.empty(seeds)
    for s in range(seeds):
        w = w0
        for _ in range(n):
            X = rng.standard_normal((T0, d))
            w = np.linalg.lstsq(X, X @ w + sigma0 * rng.standard_normal(T0), rcond=None)[0]
        X = rng.standard_normal((T, d))
        w = np.linalg.lstsq(X, X @ w + sigma * rng.standard_normal(T), rcond=None)[0]
        out[s] = np.sum((w - w0) ** 2)
    return out


def vectorised_ols_chain(*, d, T, T0, n, sigma, sigma0, seeds, rng) -> np.ndarray:
    """Our algorithm in NumPy, all seeds at once: each OLS refit moves the model by its exact law,
    a multivariate-t increment ``s g / sqrt(chi2_{T-d+1})`` (see :mod:`sim._design`)."""
    noise = np.array([sigma0] * n + [sigma])
    dof = np.array([T0] * n + [T]) - d + 1.0
    g = rng.standard_normal((seeds, n + 1, d))
    steps = noise[:, None] * g / np.sqrt(rng.chisquare(dof[None, :], (seeds, n + 1)))[..., None]
    return np.sum(steps.sum(axis=1) ** 2, axis=1)


@benchmark("regression_ols_chain")
def ols_chain(quick: bool) -> Result:
    """d = 100, T = T0 = 200, n = 20 generations, 1000 seeds (quick: 200 seeds, n = 5).

    The NumPy reference is timed on ``ref_seeds`` seeds and scaled linearly to ``seeds``.
    """
    seeds, n, ref_seeds = (200, 5, 20) if quick else (1000, 20, 50)
    kw = dict(d=100, T=200, T0=200, n=n, sigma=1.0, sigma0=1.0)
    key = jax.random.key(0)
    ours_s, est = best_time(lambda: S.ols_test_error(key, seeds=seeds, **kw))
    start = time.perf_counter()
    ref = numpy_ols_chain(seeds=ref_seeds, rng=np.random.default_rng(0), **kw)
    reference_s = (time.perf_counter() - start) * seeds / ref_seeds
    vectorised_s, vec = best_time(lambda: vectorised_ols_chain(
        seeds=seeds, rng=np.random.default_rng(1), **kw))
    draws = seeds * (n + 1) * (kw["d"] + 1)  # d normals and one chi-square per refit
    theory = float(R.ols_test_error(**kw))
    ref_se = ref.std(ddof=1) / np.sqrt(ref_seeds)
    z_ours = float(est.z(theory))
    z_ref = (ref.mean() - theory) / ref_se
    z_vec = (vec.mean() - theory) / (vec.std(ddof=1) / np.sqrt(seeds))
    agree = abs(z_ours) <= 4 and abs(z_ref) <= 4 and abs(z_vec) <= 4
    return Result("regression_ols_chain", ours_s, reference_s, agree, dict(
        seeds=seeds, generations=n, reference_seeds_timed=ref_seeds, theory=theory,
        ours_mean=float(est.mean), ours_z=z_ours, reference_mean=float(ref.mean()),
        reference_z=float(z_ref), vectorised_z=float(z_vec), draws=draws,
        x64=bool(jax.config.jax_enable_x64)),
        vectorised_s=vectorised_s, floor_s=floor_seconds(draws=draws))
