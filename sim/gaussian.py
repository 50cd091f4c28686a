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
from theory.domain import Grid
from theory.gaussian import real_count

__all__ = ["log_variance", "logdet_drift", "mean_drift", "std_after", "variance_after", "w2_risk",
           "weighted_stationary_variance"]

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


def _one_chain(key, *, n_max: int, policy: str, mle: bool, raw_M: int, raw_a: int, M, a, sigma):
    """Generations 0..n_max of the 1-D chain (truth N(0, sigma^2)); (n_max + 1, 5) statistics."""
    b = M - a
    div = 0.0 if mle else 1.0
    raw_b = raw_M - raw_a

    def step(carry, k):
        mu, var, pool = carry
        k_real, k_syn = jax.random.split(k)
        if policy == "accumulate":
            xbar, ss = _batch(k_syn, mu, jnp.sqrt(var), M, raw_M)
            pool = _combine(*pool, M, xbar, ss)
            count, mu, ss = pool
        else:  # replace, mix: a fresh real points and b synthetic ones
            rbar, ss_r = _batch(k_real, 0.0, sigma, a, raw_a)
            sbar, ss_s = _batch(k_syn, mu, jnp.sqrt(var), b, raw_b)
            count, mu, ss = _combine(a, rbar, ss_r, b, sbar, ss_s)
        var = ss / (count - div)
        return (mu, var, pool), _stats(mu, var, sigma)

    zero = jnp.zeros(())
    init = (zero, sigma**2 + zero, (zero, zero, zero))
    _, path = jax.lax.scan(step, init, jax.random.split(key, n_max))
    return jnp.concatenate([_stats(zero, sigma**2 + zero, sigma)[None], path])


def _uniform_subset(key, *, size, M: int) -> jax.Array:
    """M distinct indices drawn uniformly from range(size) (traced size >= M), in O(M^2).

    Floyd's algorithm (Bentley & Floyd, CACM 30(9), 1987): for j = size - M, ..., size - 1 draw
    t uniform on 0..j and take t, or j if t was taken already; every M-subset is equally likely.
    """
    t = jax.random.randint(key, (M,), 0, size - M + 1 + jnp.arange(M))

    def take(m, chosen):
        j = size - M + m
        return chosen.at[m].set(jnp.where(jnp.any(chosen == t[m]), j, t[m]))

    return jax.lax.fori_loop(0, M, take, jnp.full(M, -1, t.dtype))


def _one_subsample_chain(key, *, n_max: int, mle: bool, M: int, sigma):
    """accumulate-subsample: each generation adds M points to the pool, then fits on M points drawn
    uniformly without replacement from the pool (KAZ). The pool is kept raw; the subset costs
    O(M^2) (:func:`_uniform_subset`), not O(pool)."""
    div = 0.0 if mle else 1.0

    def step(carry, inputs):
        mu, var, pool = carry
        i, k = inputs
        k_new, k_pick = jax.random.split(k)
        new = mu + jnp.sqrt(var) * jax.random.normal(k_new, (M,))
        pool = jax.lax.dynamic_update_slice(pool, new, (i * M,))
        x = pool[_uniform_subset(k_pick, size=(i + 1) * M, M=M)]
        mu = x.mean()
        var = jnp.sum((x - mu) ** 2) / (M - div)
        return (mu, var, pool), _stats(mu, var, sigma)

    zero = jnp.zeros(())
    init = (zero, sigma**2 + zero, jnp.zeros(n_max * M))
    _, path = jax.lax.scan(step, init, (jnp.arange(n_max), jax.random.split(key, n_max)))
    return jnp.concatenate([_stats(zero, sigma**2 + zero, sigma)[None], path])


def _gaussian_chain(key, *, policy: str, n_max: int, mle: bool, raw_M: int, raw_a: int,
                    pool_M: int, M, a, sigma):
    """One seed of the 1-D chain under ``policy``: statistics of generations 0..n_max."""
    if policy == "accumulate-subsample":
        return _one_subsample_chain(key, n_max=n_max, mle=mle, M=pool_M, sigma=sigma)
    return _one_chain(key, n_max=n_max, policy=policy, mle=mle, raw_M=raw_M, raw_a=raw_a, M=M,
                      a=a, sigma=sigma)


def _chain_point(stat: str):
    """The run of one grid point: one chain as long as the sweep's largest n (bucketed), read at
    generation n; points that differ only in n share it."""

    def point(values: dict, grid: Grid, sampler: str) -> Run:
        pol = grid.options["policy"]
        M, n = int(values["M"]), int(values["n"])
        a = int(real_count(M, pol))
        raw = sampler == "raw"
        subsample = pol.name == "accumulate-subsample"
        static = dict(policy=pol.name, n_max=bucket(max(grid.max("n"), 1)),
                      mle=grid.options["estimator"] == "mle", raw_M=M if raw else 0,
                      raw_a=a if raw else 0, pool_M=M if subsample else 0)
        return Run(static, dict(M=float(M), a=float(a), sigma=values["sigma"]),
                   read=(n, _STATS[stat]))

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
