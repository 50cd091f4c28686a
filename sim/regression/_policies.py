"""Simulator of the fixed-design chain under a data policy; twin of
:func:`theory.regression.fixed_design_error`.

Sufficient statistics: with the whitened design's Bartlett factor R (R'R ~ Wishart_d(T, I), drawn
once per seed for a fixed design), X'E ~ sigma R'g with g ~ N(0, I_d), so a per-batch OLS increment
is (R'R)^-1 sigma R'g = sigma R^-1 g: one triangular solve, O(d^2) per iteration whatever T.
``accumulate`` adds it with weight 1/i (the stacked fit is the running average of per-batch fits).
``design="fresh"`` draws a new R each iteration and keeps the stacked normal equations
G_i = G_{i-1} + R_i'R_i, s_i = s_{i-1} + R_i'R_i e_{i-1} + sigma R_i'g, e_i = G_i^-1 s_i.
``accumulate-subsample`` is simulated as Kazdan et al. run it ("Collapse or Thrive?",
arXiv:2410.16713, their fixed-design linear regression): a raw pool of (row, label) pairs that
grows by one relabelling of the T design rows per iteration, each fit pinv (OLS, min-norm when
rank-deficient) on T pairs drawn from the pool without replacement, so a row may be drawn several
times with different labels, or not at all. ``RunOptions(sampler="raw")`` uses raw designs for
the other policies.

Sizes: the chain records every iteration up to the sweep's largest n (bucketed), read at each
point's n; raw designs have a bucketed number of rows, the rows past T zero (they add nothing to
X'X or X'E, so the law is that of the T-row design; the pool is n_max x rows, its padding never
drawn). d fixes the shapes (static: points with different d are separate programs).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

import theory.regression as TR
from sim._design import bartlett_factor
from sim._engine import SAMPLERS, Run, RunOptions, Twin, bucket, sweep, twin
from sim._montecarlo import Estimate
from sim.sampling import uniform_subset
from theory.domain import Grid

__all__ = ["fixed_design_error"]


def _rows(key, *, rows: int, d: int, T) -> jax.Array:
    """A raw design of ``rows`` (static) rows: T (traced) rows N(0, I_d), the rest zero."""
    return jax.random.normal(key, (rows, d)) * (jnp.arange(rows) < T)[:, None]


def _design(key, *, d: int, T, raw_T: int):
    """Whitened design factor: upper-triangular R (R'R = X'X) and, when raw, the design itself
    (``raw_T`` rows, the first T of them drawn)."""
    if raw_T:  # Cholesky of X'X, not QR: batched QR inside shard_map has deadlocked on XLA CPU
        x = _rows(key, rows=raw_T, d=d, T=T)
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


def _pinv_solve(g: jax.Array, b: jax.Array) -> jax.Array:
    """``pinv(G) b`` for a symmetric positive semi-definite G = A'A (d x d), by its
    eigendecomposition: eigenvalues at most ``10 d eps`` times the largest count as zero, so a
    rank-deficient G gives the min-norm solution pinv(A) y for b = A'y, as ``numpy.linalg.pinv``
    does on the design A itself (float32: fits whose Gram matrix has a condition number above
    about 1e5 are truncated too)."""
    lam, vec = jnp.linalg.eigh(g)
    cut = g.shape[0] * jnp.finfo(g.dtype).eps * 10 * jnp.max(lam)
    inv = jnp.where(lam > cut, 1.0 / jnp.where(lam > cut, lam, 1.0), 0.0)
    return vec @ (inv * (vec.T @ b))


def _one_subsample(key, *, n_max: int, d: int, rows: int, T, sigma):
    """accumulate-subsample as Kazdan et al. run it: a raw pool of (row, label) pairs.

    The design X has ``rows`` (static) rows, the first T drawn N(0, I_d); the truth w* ~ N(0, I_d)
    (as in the published code; it matters only through fits on fewer than d distinct rows).
    Batch j (0-based) of the pool labels the T rows by fit w_j (w_0 = w*) plus N(0, sigma^2).
    Fit i (i = 1..n) draws T of the pool's iT pairs uniformly without replacement (Floyd's
    algorithm, :func:`sim.sampling.uniform_subset`) and is pinv of the drawn design applied to the
    drawn labels: OLS, min-norm when fewer than d distinct rows are drawn. Cost per fit: O(rows)
    for the draw (O(n_max rows) memory), O(rows d^2 + d^3) for the fit.
    """
    k_design, k_truth, k_noise, k_draw = jax.random.split(key, 4)
    x = _rows(k_design, rows=rows, d=d, T=T)
    w_star = jax.random.normal(k_truth, (d,))
    T_int = jnp.round(T).astype(int)
    kept = (jnp.arange(rows) < T).astype(x.dtype)  # the T draws among the rows slots
    first = x @ w_star + sigma * jax.random.normal(jax.random.fold_in(k_noise, 0), (rows,))
    pool = jnp.zeros((n_max, rows)).at[0].set(first)

    def step(pool, inputs):
        i, k = inputs  # i = 1..n_max: batches 0..i-1 are in the pool
        k_pick, k_label = jax.random.split(k)
        pair = uniform_subset(k_pick, i * T_int, T_int, size=n_max * rows, k_max=rows)
        batch, row = pair // T_int, pair % T_int  # pair b T + r is row r of batch b
        xs = x[row] * kept[:, None]
        ys = pool[batch, row] * kept
        w = _pinv_solve(xs.T @ xs, xs.T @ ys)
        label = x @ w + sigma * jax.random.normal(k_label, (rows,))
        pool = pool.at[jnp.minimum(i, n_max - 1)].set(jnp.where(i < n_max, label, pool[-1]))
        e = w - w_star
        return pool, e @ e

    steps = (jnp.arange(1, n_max + 1), jax.random.split(k_draw, n_max))
    _, path = jax.lax.scan(step, pool, steps)
    return jnp.concatenate([jnp.zeros(1), path])


def _fixed_design_chain(key, *, n_max: int, d: int, policy: str, design: str, raw_T: int,
                       rows: int, T, sigma):
    """One seed of the chain under ``policy`` and ``design``: errors of iterations 0..n_max."""
    if policy == "accumulate-subsample":
        return _one_subsample(key, n_max=n_max, d=d, rows=rows, T=T, sigma=sigma)
    one = _one_fixed if design == "fixed" else _one_fresh
    return one(key, n_max=n_max, d=d, policy=policy, raw_T=raw_T, T=T, sigma=sigma)


def _fixed_design_point(values: dict, grid: Grid, sampler: str) -> Run:
    pol, design = grid.options["policy"].name, grid.options["design"]
    d, T = int(values["d"]), int(values["T"])
    rows = bucket(grid.max("T"))  # raw designs: the sweep's largest T, bucketed, rows masked
    static = dict(n_max=bucket(max(grid.max("n"), 1)), d=d, policy=pol, design=design,
                  raw_T=rows if sampler == "raw" and pol != "accumulate-subsample" else 0,
                  rows=rows if pol == "accumulate-subsample" else 0)
    return Run(static, dict(T=float(T), sigma=values["sigma"]), read=(int(values["n"]),))


fixed_design_error = twin(Twin(
    theory=TR.fixed_design_error, validate=TR.validate_fixed_design,
    one_seed=_fixed_design_chain, point=_fixed_design_point, samplers=SAMPLERS,
    doc="""Sigma = I without loss of generality (the error is Sigma-free, see the theory
    module). The design enters through its Bartlett factor (one triangular solve per
    iteration); ``sampler="raw"`` draws the raw designs and noise vectors.
    ``accumulate-subsample`` always runs the raw pool of (row, label) pairs, the published
    algorithm (the truth w* ~ N(0, I_d) per seed, as there). One chain per seed records every
    iteration, so a sweep over n costs one chain."""))


def _one_rows_in_place(key, *, n_max: int, d: int, policy: str, design: str, raw_T: int,
                       rows: int, T, sigma):
    """The simplification the leading-order theory shares (not the published algorithm): each
    design row keeps its place and, at fit i, takes its label from a batch J_r ~ Uniform{1..i},
    x_r'e_{J_r - 1} + E_{J_r, r}, so every fit sees the T distinct rows once. Keeps past fits
    and noises; rows past T are zero (they do not enter X'residual)."""
    del policy, design, raw_T  # one policy, one design
    k_design, k_noise = jax.random.split(key)
    x = _rows(k_design, rows=rows, d=d, T=T)
    solve = cho_factor(x.T @ x)
    noise = sigma * jax.random.normal(k_noise, (n_max, rows))
    index = jnp.arange(rows)

    def step(fits, inputs):
        i, k = inputs  # fits[j] = e_j, j = 0..i filled
        batch = jax.random.randint(k, (rows,), 0, i + 1)  # J_r - 1 in 0..i
        residual = jnp.sum(x * fits[batch], axis=1) + noise[batch, index]
        e = cho_solve(solve, x.T @ residual)
        return fits.at[i + 1].set(e), e @ e

    _, path = jax.lax.scan(step, jnp.zeros((n_max + 1, d)),
                           (jnp.arange(n_max), jax.random.split(key, n_max)))
    return jnp.concatenate([jnp.zeros(1), path])


_ROWS_IN_PLACE = Twin(theory=None, validate=TR.validate_fixed_design,
                      one_seed=_one_rows_in_place, point=_fixed_design_point)


def rows_in_place_subsample_error(key: jax.Array, /, *, d, T, n, sigma, seeds: int,
                                  options: RunOptions | None = None) -> Estimate:
    """E ||w_n - w*||^2 under a simplified accumulate-subsample that keeps every design row in
    place and relabels it from a batch drawn uniformly from the accumulated ones.

    Not Kazdan et al.'s algorithm (:func:`fixed_design_error` with
    ``policy="accumulate-subsample"`` runs that: a raw pool of (row, label) pairs): every fit here
    sees the T distinct rows once, so it shares the leading-order theory's simplification
    (:func:`theory.policy.derive_subsample_weights`) and cannot test it. Kept as the reference
    that shows what the repeated and missing rows of the real pool add. Same arguments as the
    twin, without ``policy`` and ``design``.
    """
    return sweep(_ROWS_IN_PLACE, key, seeds=seeds, options=options, d=d, T=T, n=n, sigma=sigma,
                 policy="accumulate-subsample", design="fixed")
