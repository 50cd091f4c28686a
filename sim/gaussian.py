"""Simulators of the Gaussian refitting chains; twins of :mod:`theory.gaussian`.

One generation is sampled through its sufficient statistics (sample mean ~ Normal, sum of squares
~ scaled chi2; in dimension d the Wishart factor of :func:`sim._design.bartlett_factor`), so the
cost does not grow with M. ``raw=True`` (static) draws the M points instead; tests check the two
agree in distribution. ``accumulate`` keeps running pooled statistics (Chan's update);
``accumulate-subsample`` keeps the raw pool, since a subsample reuses points across generations.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from sim._design import bartlett_factor
from sim._montecarlo import Estimate, monte_carlo
from theory.gaussian import GAUSSIAN_POLICIES, chain_args, logdet_args, real_count, weighted_args
from theory.policy import Policy

__all__ = ["log_variance", "logdet_drift", "mean_drift", "std_after", "variance_after", "w2_risk",
           "weighted_stationary_variance"]

SIM_POLICIES = (*GAUSSIAN_POLICIES, "accumulate-subsample")
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


def _chain(key, stat: str, *, n, M, sigma, estimator, policy, seeds, batch_size, raw) -> Estimate:
    b, est, pol = chain_args(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                             allowed=SIM_POLICIES)
    n_max = max(int(b["n"].max()), 1)
    a = real_count(b["M"], pol)
    mean, err = np.empty(b["n"].shape), np.empty(b["n"].shape)
    runs: dict[tuple, Estimate] = {}
    for idx in np.ndindex(b["n"].shape):
        point = (int(b["M"][idx]), float(b["sigma"][idx]), int(a[idx]))
        if point not in runs:
            m_, s_, a_ = point
            if pol.name == "accumulate-subsample":
                fn, static, params = (_one_subsample_chain,
                                      dict(n_max=n_max, mle=est == "mle", M=m_),
                                      dict(sigma=s_))
            else:
                fn = _one_chain
                static = dict(n_max=n_max, policy=pol.name, mle=est == "mle",
                              raw_M=m_ if raw else 0, raw_a=a_ if raw else 0)
                params = dict(M=m_, a=a_, sigma=s_)
            runs[point] = monte_carlo(fn, key, seeds=seeds, static=static, params=params,
                                      batch_size=batch_size)
        run = runs[point]
        mean[idx] = run.mean[int(b["n"][idx]), _STATS[stat]]
        err[idx] = run.stderr[int(b["n"][idx]), _STATS[stat]]
    return Estimate(mean, err, seeds)


def variance_after(key, *, n, M, sigma=1.0, estimator="unbiased",
                   policy: Policy | str = "replace", seeds: int, batch_size: int | None = None,
                   raw: bool = False) -> Estimate:
    """Monte Carlo E sigma_n^2 (twin of :func:`theory.gaussian.variance_after`)."""
    return _chain(key, "variance", n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                  seeds=seeds, batch_size=batch_size, raw=raw)


def std_after(key, *, n, M, sigma=1.0, estimator="unbiased", policy: Policy | str = "replace",
              seeds: int, batch_size: int | None = None, raw: bool = False) -> Estimate:
    """Monte Carlo E sigma_n (twin of :func:`theory.gaussian.std_after`; any policy)."""
    return _chain(key, "std", n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                  seeds=seeds, batch_size=batch_size, raw=raw)


def mean_drift(key, *, n, M, sigma=1.0, estimator="unbiased", policy: Policy | str = "replace",
               seeds: int, batch_size: int | None = None, raw: bool = False) -> Estimate:
    """Monte Carlo E (mu_n - mu)^2 (twin of :func:`theory.gaussian.mean_drift`)."""
    return _chain(key, "drift", n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                  seeds=seeds, batch_size=batch_size, raw=raw)


def w2_risk(key, *, n, M, sigma=1.0, estimator="unbiased", policy: Policy | str = "replace",
            seeds: int, batch_size: int | None = None, raw: bool = False) -> Estimate:
    """Monte Carlo E W2^2 to the truth (twin of :func:`theory.gaussian.w2_risk`; any policy)."""
    return _chain(key, "w2", n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                  seeds=seeds, batch_size=batch_size, raw=raw)


def log_variance(key, *, n, M, sigma=1.0, estimator="unbiased", policy: Policy | str = "replace",
                 seeds: int, batch_size: int | None = None, raw: bool = False) -> Estimate:
    """Monte Carlo E log(sigma_n^2/sigma^2); theory: :func:`theory.gaussian.logdet_drift`, d = 1
    (replace, unbiased)."""
    return _chain(key, "logvar", n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                  seeds=seeds, batch_size=batch_size, raw=raw)


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


def logdet_drift(key, *, d, M, n=1, seeds: int, batch_size: int | None = None,
                 raw: bool = False) -> Estimate:
    """Monte Carlo E log det Sigma_n/Sigma (twin of :func:`theory.gaussian.logdet_drift`)."""
    b = logdet_args(d=d, M=M, n=n)
    n_max = max(int(b["n"].max()), 1)
    mean, err = np.empty(b["n"].shape), np.empty(b["n"].shape)
    for idx in np.ndindex(b["n"].shape):
        dd, mm = int(b["d"][idx]), int(b["M"][idx])
        run = monte_carlo(_one_logdet, key, seeds=seeds, batch_size=batch_size,
                          static=dict(n_max=n_max, d=dd, raw_M=mm if raw else 0),
                          params=dict(M=mm))
        mean[idx], err[idx] = run.mean[int(b["n"][idx])], run.stderr[int(b["n"][idx])]
    return Estimate(mean, err, seeds)


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


def weighted_stationary_variance(key, *, w, k, n, sigma=1.0, seeds: int,
                                 batch_size: int | None = None) -> Estimate:
    """Monte Carlo twin of :func:`theory.gaussian.weighted_stationary_variance`: the chain is run
    until (1 - w)^(2 rounds) < 1e-8, so the start no longer matters."""
    b = weighted_args(w=w, k=k, n=n, sigma=sigma)
    w_min = float(b["w"].min())
    rounds = 1 if w_min >= 1 else max(1, math.ceil(math.log(1e-8) / (2 * math.log(1 - w_min))))
    mean, err = np.empty(b["w"].shape), np.empty(b["w"].shape)
    for idx in np.ndindex(b["w"].shape):
        run = monte_carlo(_one_weighted, key, seeds=seeds, batch_size=batch_size,
                          static=dict(rounds=rounds),
                          params={p: float(b[p][idx]) for p in ("w", "k", "n", "sigma")})
        mean[idx], err[idx] = run.mean, run.stderr
    return Estimate(mean, err, seeds)
