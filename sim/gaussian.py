"""Simulators of the Gaussian refitting chains; twins of :mod:`theory.gaussian`, declared on the
sweep engine (:mod:`sim._engine`).

One generation is sampled through its sufficient statistics (sample mean ~ Normal, sum of squares
~ scaled chi2; in dimension d the Wishart factor of :func:`sim._design.bartlett_factor`), so the
cost does not grow with M. ``RunOptions(sampler="raw")`` draws the M points instead; tests check
the two agree in distribution. ``accumulate`` keeps running pooled statistics (Chan's update);
``accumulate-subsample`` keeps the raw pool, since a subsample reuses points across generations.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

import theory.gaussian as TG
from sim._design import bartlett_factor
from sim._engine import SAMPLERS, Run, Twin, bucket, twin
from sim.sampling import uniform_subset
from theory.domain import Grid
from theory.gaussian import real_count, synthetic_count

__all__ = ["covariance_ratio", "covariance_sq_error", "log_variance", "logdet_drift",
           "mean_drift", "mean_sq_error", "stationary_fit_error", "stationary_mean_error",
           "stationary_variance",
           "std_after", "variance_after", "w2_risk", "weighted_stationary_variance"]

_STATS = {"variance": 0, "std": 1, "drift": 2, "logvar": 3, "w2": 4}


def _sum_of_squares(key, scale, dof):
    """scale^2 chi2_dof (0 when dof <= 0), through the Gamma law: cost independent of dof."""
    g = 2.0 * jax.random.gamma(key, jnp.maximum(dof, 1.0) / 2.0)
    return jnp.where(dof > 0, scale**2 * g, 0.0)


def _batch(key, mean, std, count, raw_count: int):
    """(sample mean, sum of squares) of ``count`` points from N(mean, std^2)."""
    if raw_count:
        x = mean + std * jax.random.normal(key, (raw_count,))
        xbar = x.mean()
        return xbar, jnp.sum((x - xbar) ** 2)
    k_mean, k_ss = jax.random.split(key)
    safe = jnp.maximum(count, 1.0)
    return (mean + std / jnp.sqrt(safe) * jax.random.normal(k_mean),
            _sum_of_squares(k_ss, std, count - 1.0))


def _combine(n1, m1, ss1, n2, m2, ss2):
    """Pooled (count, mean, sum of squares) of two groups (Chan et al.'s parallel update)."""
    n = n1 + n2
    safe = jnp.maximum(n, 1.0)
    return n, (n1 * m1 + n2 * m2) / safe, ss1 + ss2 + n1 * n2 / safe * (m1 - m2) ** 2


def _stats(mu, var, sigma):
    std = jnp.sqrt(var)
    return jnp.stack([var, std, mu**2, jnp.log(var / sigma**2), mu**2 + (std - sigma) ** 2])


def _one_chain(key, *, n_max: int, policy: str, mle: bool, raw_M: int, raw_a: int, raw_s: int,
               M, a, s, sigma, lam):
    """Generations 0..n_max of the 1-D chain (truth N(0, sigma^2)); (n_max + 1, 5) statistics.

    Synthetic points are drawn from N(mu_i, lam sigma_i^2) from generation 1 on (generation 0 is
    the truth). ``fixed-real`` draws its real set of M points once (raw: ``raw_M`` points) and
    adds s synthetic points (raw: ``raw_s``) from generation 2 on."""
    b = M - a
    div = 0.0 if mle else 1.0
    raw_b = raw_M - raw_a
    real_set = _batch(jax.random.fold_in(key, 1 << 20), 0.0, sigma, M, raw_M) \
        if policy == "fixed-real" else None

    def step(carry, inputs):
        mu, var, pool = carry
        i, k = inputs
        k_real, k_syn = jax.random.split(k)
        std = jnp.sqrt(var * jnp.where(i > 0, lam, 1.0))
        if policy == "accumulate":
            xbar, ss = _batch(k_syn, mu, std, M, raw_M)
            pool = _combine(*pool, M, xbar, ss)
            count, mu, ss = pool
        elif policy == "fixed-real":  # the real set alone at the first fit, then plus s synthetic
            sbar, ss_s = _batch(k_syn, mu, std, s, raw_s)
            later = i > 0
            count, mu, ss = _combine(M, *real_set, jnp.where(later, s, 0.0), sbar,
                                     jnp.where(later, ss_s, 0.0))
        else:  # replace, mix: a fresh real points and b synthetic ones
            rbar, ss_r = _batch(k_real, 0.0, sigma, a, raw_a)
            sbar, ss_s = _batch(k_syn, mu, std, b, raw_b)
            count, mu, ss = _combine(a, rbar, ss_r, b, sbar, ss_s)
        var = ss / (count - div)
        return (mu, var, pool), _stats(mu, var, sigma)

    zero = jnp.zeros(())
    init = (zero, sigma**2 + zero, (zero, zero, zero))
    _, path = jax.lax.scan(step, init, (jnp.arange(n_max), jax.random.split(key, n_max)))
    return jnp.concatenate([_stats(zero, sigma**2 + zero, sigma)[None], path])


def _one_subsample_chain(key, *, n_max: int, mle: bool, M: int, sigma, lam):
    """accumulate-subsample: each generation adds M points to the pool, then fits on M points drawn
    uniformly without replacement from the pool (KAZ). The pool is kept raw; the subset costs
    O(M) steps (:func:`sim.sampling.uniform_subset`), not a sort of the pool. Batch 0 is real;
    later batches are drawn with variance lam sigma_i^2."""
    div = 0.0 if mle else 1.0

    def step(carry, inputs):
        mu, var, pool = carry
        i, k = inputs
        k_new, k_pick = jax.random.split(k)
        new = mu + jnp.sqrt(var * jnp.where(i > 0, lam, 1.0)) * jax.random.normal(k_new, (M,))
        pool = jax.lax.dynamic_update_slice(pool, new, (i * M,))
        x = pool[uniform_subset(k_pick, (i + 1) * M, M, size=n_max * M, k_max=M)]
        mu = x.mean()
        var = jnp.sum((x - mu) ** 2) / (M - div)
        return (mu, var, pool), _stats(mu, var, sigma)

    zero = jnp.zeros(())
    init = (zero, sigma**2 + zero, jnp.zeros(n_max * M))
    _, path = jax.lax.scan(step, init, (jnp.arange(n_max), jax.random.split(key, n_max)))
    return jnp.concatenate([_stats(zero, sigma**2 + zero, sigma)[None], path])


def _gaussian_chain(key, *, policy: str, n_max: int, mle: bool, raw_M: int, raw_a: int,
                    raw_s: int, pool_M: int, M, a, s, sigma, lam):
    """One seed of the 1-D chain under ``policy``: statistics of generations 0..n_max."""
    if policy == "accumulate-subsample":
        return _one_subsample_chain(key, n_max=n_max, mle=mle, M=pool_M, sigma=sigma, lam=lam)
    return _one_chain(key, n_max=n_max, policy=policy, mle=mle, raw_M=raw_M, raw_a=raw_a,
                      raw_s=raw_s, M=M, a=a, s=s, sigma=sigma, lam=lam)


def _chain_point(stat: str):
    """The run of one grid point: one chain as long as the sweep's largest n (bucketed), read at
    generation n; points that differ only in n share it."""

    def point(values: dict, grid: Grid, sampler: str) -> Run:
        pol = grid.options["policy"]
        M, n = int(values["M"]), int(values["n"])
        a, s = int(real_count(M, pol)), int(synthetic_count(M, pol))
        raw = sampler == "raw"
        subsample = pol.name == "accumulate-subsample"
        static = dict(policy=pol.name, n_max=bucket(max(grid.max("n"), 1)),
                      mle=grid.options["estimator"] == "mle", raw_M=M if raw else 0,
                      raw_a=a if raw else 0, raw_s=s if raw else 0,
                      pool_M=M if subsample else 0)
        return Run(static, dict(M=float(M), a=float(a), s=float(s), sigma=values["sigma"],
                                lam=values["sampling_bias"]), read=(n, _STATS[stat]))

    return point


_CHAIN_DOC = """One generation is sampled through its sufficient statistics (sample mean ~ Normal,
sum of squares ~ scaled chi2), at a cost independent of M; ``sampler="raw"`` draws the M points.
``accumulate`` keeps running pooled statistics (Chan's update); ``accumulate-subsample`` keeps
the raw pool and draws each fit's M points from it uniformly without replacement (Floyd's
algorithm). One chain per seed records every generation, so a sweep over n costs one chain."""


def _chain_twin(theory_fn, stat: str):
    return twin(Twin(theory=theory_fn, validate=TG.validate_chain, one_seed=_gaussian_chain,
                     point=_chain_point(stat), samplers=SAMPLERS, doc=_CHAIN_DOC))


variance_after = _chain_twin(TG.variance_after, "variance")
std_after = _chain_twin(TG.std_after, "std")
mean_drift = _chain_twin(TG.mean_drift, "drift")
w2_risk = _chain_twin(TG.w2_risk, "w2")
log_variance = _chain_twin(TG.log_variance, "logvar")


def _one_logdet(key, *, n_max: int, d: int, raw_M: int, M):
    """log det Sigma_i, i = 0..n_max, of the d-dimensional unbiased covariance refit chain.

    A generation maps the factor L (Sigma = L L') to L R'/sqrt(M-1) with R'R ~ Wishart_d(M-1, I)
    (Bartlett); ``raw_M`` draws M points from N(0, L L') and takes their sample covariance."""

    def step(L, k):
        if raw_M:
            x = jax.random.normal(k, (raw_M, d)) @ L.T
            x = x - x.mean(axis=0)
            L = jnp.linalg.cholesky(x.T @ x / (raw_M - 1))
        else:
            L = L @ bartlett_factor(k, T=M - 1, d=d).T / jnp.sqrt(M - 1.0)
        return L, jnp.linalg.slogdet(L)[1] * 2.0

    _, path = jax.lax.scan(step, jnp.eye(d), jax.random.split(key, n_max))
    return jnp.concatenate([jnp.zeros(1), path])


def _logdet_point(values: dict, grid: Grid, sampler: str) -> Run:
    d, M = int(values["d"]), int(values["M"])
    static = dict(n_max=bucket(max(grid.max("n"), 1)), d=d, raw_M=M if sampler == "raw" else 0)
    return Run(static, dict(M=float(M)), read=(int(values["n"]),))


logdet_drift = twin(Twin(
    theory=TG.logdet_drift, validate=TG.validate_logdet, one_seed=_one_logdet,
    point=_logdet_point, samplers=SAMPLERS,
    doc="""A generation maps the covariance factor L to L R'/sqrt(M-1), R'R ~ Wishart_d(M-1, I)
    by Bartlett's decomposition (cost independent of M); ``sampler="raw"`` draws the M points and
    refits their sample covariance. One chain records every generation."""))


def _one_weighted(key, *, rounds: int, w, k, n, sigma):
    """HXC's weighted mean estimator after ``rounds`` rounds from the truth; squared error.

    Round t: real mean ~ N(0, sigma^2/n), synthetic mean ~ N(mu_{t-1}, k sigma^2/n)."""

    def step(e, key_t):
        z = jax.random.normal(key_t, (2,))
        real = sigma / jnp.sqrt(n) * z[0]
        synthetic = e + sigma * jnp.sqrt(k / n) * z[1]
        return w * real + (1 - w) * synthetic, None

    e, _ = jax.lax.scan(step, jnp.zeros(()), jax.random.split(key, rounds))
    return e**2


def _weighted_point(values: dict, grid: Grid, sampler: str) -> Run:
    w_min = float(np.min(grid["w"]))
    rounds = 1 if w_min >= 1 else max(1, math.ceil(math.log(1e-8) / (2 * math.log(1 - w_min))))
    return Run(dict(rounds=bucket(rounds)), {p: values[p] for p in ("w", "k", "n", "sigma")})


weighted_stationary_variance = twin(Twin(
    theory=TG.weighted_stationary_variance, validate=TG.validate_weighted,
    one_seed=_one_weighted, point=_weighted_point,
    doc="""The chain is run from the truth until (1 - w)^(2 rounds) < 1e-8 for the sweep's
    smallest w, so its start no longer matters; the real and synthetic means are drawn exactly
    (Normal)."""))


# --- the chain in dimension d, raw points ---------------------------------------------------------

def _fit(x, weight):
    """Weighted count, mean and scatter matrix of the rows of x (weights 0 or 1)."""
    count = weight.sum()
    mean = (weight[:, None] * x).sum(axis=0) / count
    c = (x - mean) * weight[:, None]
    return count, mean, c.T @ c


def _batch_d(key, mean, L, count: int, raw: bool):
    """(count, sample mean, scatter matrix) of ``count`` points from N(mean, L L').

    raw: the points themselves. Otherwise the sufficient statistics, whose law is known: the
    mean is mean + L g/sqrt(count) and the scatter L R'R L' with R'R ~ Wishart_d(count - 1, I)
    (Bartlett, :func:`sim._design.bartlett_factor`), independent of the mean."""
    d = L.shape[0]
    if raw:
        return _fit(mean + jax.random.normal(key, (count, d)) @ L.T, jnp.ones(count))
    k_mean, k_ss = jax.random.split(key)
    R = bartlett_factor(k_ss, T=count - 1.0, d=d) @ L.T
    xbar = mean + L @ jax.random.normal(k_mean, (d,)) / math.sqrt(count)
    return jnp.asarray(float(count)), xbar, R.T @ R


def _pool_d(first, second):
    """Pooled (count, mean, scatter) of two groups (Chan et al.'s update, in dimension d)."""
    (n1, m1, s1), (n2, m2, s2) = first, second
    n = n1 + n2
    delta = (m1 - m2)[:, None]
    return n, (n1 * m1 + n2 * m2) / n, s1 + s2 + n1 * n2 / n * delta @ delta.T


def _one_chain_d(key, *, n_max: int, d: int, policy: str, mle: bool, M: int, a: int, s: int,
                 raw: bool, sigma, lam):
    """Generations 0..n_max of the d-dimensional chain, truth N(0, sigma^2 I): each generation
    fits the mean and the full covariance (scatter / (count - 1), or / count for the MLE, as
    np.cov) of its training set and the next draws mu + sqrt(lam) L z, L the fit's Cholesky
    factor (lam = 1 for generation 0's draws, the real data). ``raw`` draws the points; else each
    batch's sufficient statistics (:func:`_batch_d`); accumulate-subsample always keeps the raw
    pool. Returns (n_max + 1, 3): ||mu_i||^2, tr(Sigma_i)/(d sigma^2) and
    ||Sigma_i - sigma^2 I||_F^2/(d sigma^4)."""
    div = 0.0 if mle else 1.0
    b = M - a
    eye = jnp.eye(d)

    def record(mu, cov):
        return jnp.stack([jnp.sum(mu**2), jnp.trace(cov) / (d * sigma**2),
                          jnp.sum((cov - sigma**2 * eye) ** 2) / (d * sigma**4)])

    real_set = _batch_d(jax.random.fold_in(key, 1 << 20), jnp.zeros(d), sigma * eye, M, raw) \
        if policy == "fixed-real" else None

    def step(carry, inputs):
        mu, L, pool = carry
        i, k = inputs
        k_real, k_syn, k_pick = jax.random.split(k, 3)
        L_syn = jnp.sqrt(jnp.where(i > 0, lam, 1.0)) * L
        if policy == "accumulate":
            batch = _batch_d(k_syn, mu, L_syn, M, raw)
            pool = _pool_d(pool, batch)
            count, mean, scatter = pool
        elif policy == "accumulate-subsample":
            x = mu + jax.random.normal(k_syn, (M, d)) @ L_syn.T
            pool = jax.lax.dynamic_update_slice(pool, x, (i * M, 0))
            chosen = pool[uniform_subset(k_pick, (i + 1) * M, M, size=n_max * M, k_max=M)]
            count, mean, scatter = _fit(chosen, jnp.ones(M))
        elif policy == "fixed-real":  # the real set alone at the first fit, then plus s synthetic
            count, mean, scatter = real_set
            if s:
                later = _pool_d(real_set, _batch_d(k_syn, mu, L_syn, s, raw))
                count, mean, scatter = (jnp.where(i > 0, x, y) for x, y in zip(later, real_set))
        else:  # replace, mix: a fresh real points and b synthetic ones
            parts = ([_batch_d(k_real, jnp.zeros(d), sigma * eye, a, raw)] if a else []) \
                + ([_batch_d(k_syn, mu, L_syn, b, raw)] if b else [])
            count, mean, scatter = parts[0] if len(parts) == 1 else _pool_d(*parts)
        cov = scatter / (count - div)
        return (mean, jnp.linalg.cholesky(cov), pool), record(mean, cov)

    zero = jnp.zeros(d)
    if policy == "accumulate":
        pool = (jnp.zeros(()), zero, jnp.zeros((d, d)))
    elif policy == "accumulate-subsample":
        pool = jnp.zeros((n_max * M, d))
    else:
        pool = jnp.zeros(())
    init = (zero, sigma * eye, pool)
    _, path = jax.lax.scan(step, init, (jnp.arange(n_max), jax.random.split(key, n_max)))
    return jnp.concatenate([record(zero, sigma**2 * eye)[None], path])


def _chain_d_point(column: int):
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        pol = grid.options["policy"]
        M = int(values["M"])
        static = dict(n_max=bucket(max(grid.max("n"), 1)), d=int(values["d"]), policy=pol.name,
                      mle=grid.options["estimator"] == "mle", M=M,
                      a=int(real_count(M, pol)), s=int(synthetic_count(M, pol)),
                      raw=sampler == "raw")
        return Run(static, dict(sigma=values["sigma"], lam=values["sampling_bias"]),
                   read=(int(values["n"]), column))

    return point


_CHAIN_D_DOC = """The d-dimensional loop as the papers run it: each generation fits the sample mean
and the full covariance (np.cov's divisors) of its training set and draws the next synthetic
points as mu + sqrt(sampling_bias) L z, L the fit's Cholesky factor. ``sampler="raw"`` draws the
points (multivariate normal rows); the default draws each batch's sufficient statistics (normal
mean, Bartlett-factor Wishart scatter), at a cost independent of M. accumulate pools the batches'
statistics (Chan's update), accumulate-subsample keeps the raw pool (under both samplers) and
draws M points without replacement (Floyd), fixed-real keeps one real set. One chain per seed
records every generation."""


def _chain_d_twin(theory_fn, column: int):
    return twin(Twin(theory=theory_fn, validate=TG.validate_chain_d, one_seed=_one_chain_d,
                     point=_chain_d_point(column), samplers=SAMPLERS, doc=_CHAIN_D_DOC))


mean_sq_error = _chain_d_twin(TG.mean_sq_error, 0)
covariance_ratio = _chain_d_twin(TG.covariance_ratio, 1)
covariance_sq_error = _chain_d_twin(TG.covariance_sq_error, 2)


# --- stationary loops with real data --------------------------------------------------------------

def _one_loop(key, *, rounds: int, loop: str, mle: bool, raw_r: int, raw_s: int, n_r, n_s, sigma,
              lam):
    """The loop run for ``rounds`` generations after the first fit (on real data alone); returns
    ((mu_T - mu)^2, sigma_T^2, the fit error (mu_T - mu)^2 + (sigma_T^2 - sigma^2)^2/(4 sigma^2)).
    fresh: n_r new real points each generation; augmentation: the
    first fit's real set kept. Synthetic points from N(mu_t, lam sigma_t^2)."""
    div = 0.0 if mle else 1.0
    k0, k_chain = jax.random.split(key)
    rbar0, ss0 = _batch(k0, 0.0, sigma, n_r, raw_r)

    def step(carry, k):
        mu, var = carry
        k_real, k_syn = jax.random.split(k)
        if loop == "fresh":
            rbar, ss_r = _batch(k_real, 0.0, sigma, n_r, raw_r)
        else:
            rbar, ss_r = rbar0, ss0
        sbar, ss_s = _batch(k_syn, mu, jnp.sqrt(lam * var), n_s, raw_s)
        count, mu, ss = _combine(n_r, rbar, ss_r, n_s, sbar, ss_s)
        return (mu, ss / (count - div)), None

    (mu, var), _ = jax.lax.scan(step, (rbar0, ss0 / (n_r - div)),
                                jax.random.split(k_chain, rounds))
    return jnp.stack([mu**2, var, mu**2 + (var - sigma**2) ** 2 / (4 * sigma**2)])


def _loop_point(column: int):
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        est, loop = grid.options["estimator"], grid.options["loop"]
        kw = dict(n_real=grid["n_real"], n_synthetic=grid["n_synthetic"],
                  sampling_bias=grid["sampling_bias"], estimator=est, loop=loop)
        rho = float(np.max(TG.moment_contraction(**kw)))
        if column == 2:  # the fit error's fourth moments must settle too
            rho = max(rho, float(np.max(TG.fourth_moment_contraction(**kw))))
        if rho >= 1:
            raise ValueError("sampling_bias, n_real and n_synthetic give a loop whose fourth "
                             "moments do not settle (theory.gaussian.fourth_moment_contraction "
                             ">= 1): no stationary fit error to simulate")
        rounds = 1 if rho <= 0 else max(1, math.ceil(math.log(1e-7) / math.log(rho)))
        raw = sampler == "raw"
        nr, ns = int(values["n_real"]), int(values["n_synthetic"])
        static = dict(rounds=bucket(rounds), loop=loop, mle=est == "mle",
                      raw_r=nr if raw else 0, raw_s=ns if raw else 0)
        return Run(static, dict(n_r=float(nr), n_s=float(ns), sigma=values["sigma"],
                                lam=values["sampling_bias"]), read=(column,))

    return point


_LOOP_DOC = """The loop is run from its first fit (on real data alone) until the moment map's
contraction factor, at the sweep's slowest point, raised to the number of generations is below
1e-7, so the start no longer matters, and the last generation is read; one generation is drawn
through its sufficient statistics (``sampler="raw"``: the points)."""

stationary_mean_error = twin(Twin(theory=TG.stationary_mean_error, validate=TG.validate_loop,
                                  one_seed=_one_loop, point=_loop_point(0), samplers=SAMPLERS,
                                  doc=_LOOP_DOC))
stationary_fit_error = twin(Twin(theory=TG.stationary_fit_error, validate=TG.validate_loop,
                                 one_seed=_one_loop, point=_loop_point(2), samplers=SAMPLERS,
                                 doc=_LOOP_DOC))
stationary_variance = twin(Twin(theory=TG.stationary_variance, validate=TG.validate_loop,
                                one_seed=_one_loop, point=_loop_point(1), samplers=SAMPLERS,
                                doc=_LOOP_DOC))
