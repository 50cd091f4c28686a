"""Simulator of the fixed-design chain under a data policy; twin of
:func:`theory.regression.fixed_design_error`.

Sufficient statistics: with the whitened design's Bartlett factor R (R'R ~ Wishart_d(T, I), drawn
once per seed for a fixed design), X'E ~ sigma R'g with g ~ N(0, I_d), so a per-batch OLS increment
is (R'R)^-1 sigma R'g = sigma R^-1 g: one triangular solve, O(d^2) per iteration whatever T.
``accumulate`` adds it with weight 1/i (the stacked fit is the running average of per-batch fits).
``design="fresh"`` draws a new R each iteration and keeps the stacked normal equations
G_i = G_{i-1} + R_i'R_i, s_i = s_{i-1} + R_i'R_i e_{i-1} + sigma R_i'g, e_i = G_i^-1 s_i.
``accumulate-subsample`` needs the rows (each row's label comes from its own batch): it keeps the
raw T x d design, every past fit and every past noise vector. ``raw=True`` uses raw designs for all.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

from sim._design import bartlett_factor
from sim._montecarlo import Estimate, monte_carlo
from theory.policy import Policy
from theory.regression._policies import fixed_design_args

__all__ = ["fixed_design_error"]


def _design(key, *, d: int, T, raw_T: int):
    """Whitened design factor: upper-triangular R (R'R = X'X) and, when raw, the design itself."""
    if raw_T:  # Cholesky of X'X, not QR: batched QR inside shard_map has deadlocked on XLA CPU
        x = jax.random.normal(key, (raw_T, d))
        return jnp.linalg.cholesky(x.T @ x).T, x
    return bartlett_factor(key, T=T, d=d), None


def _one_fixed(key, *, n_max: int, d: int, policy: str, raw_T: int, T, sigma):
    """Errors ||e_i||^2, i = 0..n_max, of the fixed-design chain (replace / accumulate)."""
    k_design, k_noise = jax.random.split(key)
    r, x = _design(k_design, d=d, T=T, raw_T=raw_T)

    def step(e, inputs):
        i, k = inputs
        if raw_T:  # OLS on the raw noise vector
            xte = x.T @ (sigma * jax.random.normal(k, (raw_T,)))
            inc = solve_triangular(r, solve_triangular(r.T, xte, lower=True), lower=False)
        else:
            inc = sigma * solve_triangular(r, jax.random.normal(k, (d,)), lower=False)
        e = e + (inc / i if policy == "accumulate" else inc)
        return e, e @ e

    steps = (jnp.arange(1, n_max + 1, dtype=jnp.zeros(()).dtype), jax.random.split(k_noise, n_max))
    _, path = jax.lax.scan(step, jnp.zeros(d), steps)
    return jnp.concatenate([jnp.zeros(1), path])


def _one_fresh(key, *, n_max: int, d: int, policy: str, raw_T: int, T, sigma):
    """Errors of the chain with a fresh design every iteration (replace / accumulate)."""

    def step(carry, k):
        e, gram, s = carry
        k_design, k_noise = jax.random.split(k)
        r, x = _design(k_design, d=d, T=T, raw_T=raw_T)
        xte = (x.T @ jax.random.normal(k_noise, (raw_T,)) if raw_T
               else r.T @ jax.random.normal(k_noise, (d,))) * sigma
        g_i = r.T @ r
        if policy == "accumulate":
            gram, s = gram + g_i, s + g_i @ e + xte
            e = cho_solve(cho_factor(gram), s)
        else:
            e = e + cho_solve(cho_factor(g_i), xte)
        return (e, gram, s), e @ e

    zeros = (jnp.zeros(d), jnp.zeros((d, d)), jnp.zeros(d))
    _, path = jax.lax.scan(step, zeros, jax.random.split(key, n_max))
    return jnp.concatenate([jnp.zeros(1), path])


def _one_subsample(key, *, n_max: int, d: int, T: int, sigma):
    """accumulate-subsample, fixed raw design: row r of iteration i takes its label from a batch
    J_r ~ Uniform{1..i}: x_r'e_{J_r - 1} + E_{J_r, r}. Keeps past fits and noises."""
    k_design, k_noise = jax.random.split(key)
    x = jax.random.normal(k_design, (T, d))
    solve = cho_factor(x.T @ x)
    noise = sigma * jax.random.normal(k_noise, (n_max, T))
    rows = jnp.arange(T)

    def step(fits, inputs):
        i, k = inputs  # fits[j] = e_j, j = 0..i-1 filled
        batch = jax.random.randint(k, (T,), 0, i + 1)  # J_r - 1 in 0..i
        residual = jnp.sum(x * fits[batch], axis=1) + noise[batch, rows]
        e = cho_solve(solve, x.T @ residual)
        return fits.at[i + 1].set(e), e @ e

    _, path = jax.lax.scan(step, jnp.zeros((n_max + 1, d)),
                           (jnp.arange(n_max), jax.random.split(key, n_max)))
    return jnp.concatenate([jnp.zeros(1), path])


def fixed_design_error(key, *, d, T, n, sigma, policy: Policy | str = "replace",
                       design: str = "fixed", seeds: int, batch_size: int | None = None,
                       raw: bool = False) -> Estimate:
    """Monte Carlo E ||w_n - w*||^2_Sigma (twin of :func:`theory.regression.fixed_design_error`).

    Sigma = I without loss of generality (the error is Sigma-free, see the theory module)."""
    b, pol, des = fixed_design_args(d=d, T=T, n=n, sigma=sigma, policy=policy, design=design)
    if pol.name == "accumulate-subsample" and des != "fixed":
        raise ValueError("design must be 'fixed' for policy 'accumulate-subsample'")
    n_max = max(int(b["n"].max()), 1)
    mean, err = np.empty(b["n"].shape), np.empty(b["n"].shape)
    runs: dict[tuple, Estimate] = {}
    for idx in np.ndindex(b["n"].shape):
        dd, tt, ss = int(b["d"][idx]), int(b["T"][idx]), float(b["sigma"][idx])
        if (dd, tt, ss) not in runs:
            if pol.name == "accumulate-subsample":
                fn, static, params = _one_subsample, dict(n_max=n_max, d=dd, T=tt), dict(sigma=ss)
            else:
                fn = _one_fixed if des == "fixed" else _one_fresh
                static = dict(n_max=n_max, d=dd, policy=pol.name, raw_T=tt if raw else 0)
                params = dict(T=tt, sigma=ss)
            runs[dd, tt, ss] = monte_carlo(fn, key, seeds=seeds, static=static, params=params,
                                           batch_size=batch_size)
        run = runs[dd, tt, ss]
        mean[idx], err[idx] = run.mean[int(b["n"][idx])], run.stderr[int(b["n"][idx])]
    return Estimate(mean, err, seeds)
