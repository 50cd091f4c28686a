"""Simulators of the regression chain of THEORY 1.1 (twins of :mod:`theory.regression`).

One seed: n generators, each refitting the previous model's labels on a fresh design (OLS when
T0 >= d, the min-norm interpolator when T0 < d), then a downstream ridge (or OLS / min-norm when
lam = 0) on T samples labelled by the n-th generation. The error is the exact population risk
``(w_pred - w0)' Sigma (w_pred - w0)`` from the known spectrum, so the only noise is the training
noise. Generations are a ``lax.scan``; seeds go through :func:`sim._montecarlo.monte_carlo`.

Two samplers: ``"sufficient"`` draws what the fit depends on, at a cost independent of T and T0:
an OLS refit (T >= d) as its exact multivariate-t increment (O(d)), anything else (ridge, T < d)
through the Bartlett-reduced design (O(min(T, d) d) to draw, O(min(T, d)^2 d) to fit);
``"raw"`` draws the T x d design and reduces it by QR (the reference the sufficient sampler
must agree with in law).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

from sim._design import ols_increment, reduced_regression_data
from sim._montecarlo import Estimate, monte_carlo
from theory.domain import choice, param
from theory.regression.domain import (
    Generations,
    ols_args,
    overparam_args,
    ridge_args,
    spectrum_args,
)

SAMPLERS = ("sufficient", "raw")
_PAD = 4


def _fit(a: jax.Array, y: jax.Array, T, lam) -> jax.Array:
    """Ridge ``(A'A/T + lam I)^-1 A'y/T`` on the reduced design; min-norm ``pinv(A) y`` at lam = 0.

    A is rows x d with rows >= min(T, d) and rows i >= T zero. The fit is solved in the row space,
    ``A'(AA'/T + lam I + P)^-1 y/T`` with P the identity on the zero rows (push-through identity;
    at lam = 0 the min-norm interpolator), at cost O(rows^2 d): for T < d that is far below the
    O(d^3) of the normal equations. OLS on a square, full-rank A is a triangular solve.
    """
    rows, d = a.shape
    eye = jnp.eye(rows, dtype=a.dtype)

    def row_space(_):
        k = a @ a.T / T + (lam + (jnp.arange(rows) >= T)) * eye
        return a.T @ cho_solve(cho_factor(k), y / T)

    if rows < d:
        return row_space(None)
    return jax.lax.cond((lam == 0) & (T >= d), lambda _: solve_triangular(a, y, lower=False),
                        row_space, None)


def _refit(key, w, *, sqrt_l, T, noise, lam, rows, raw_T=None):
    """Refit on T fresh samples labelled by ``w`` with noise: ridge (lam > 0) or min-norm/OLS.

    Sufficient sampler: an OLS refit (lam = 0, T >= d) is ``w`` plus its exact multivariate-t
    increment; otherwise the Bartlett-reduced design with ``rows`` rows. Raw sampler (``raw_T``:
    static T): the QR-reduced raw design.
    """
    d = w.shape[0]

    def via_design(_):
        a, y = reduced_regression_data(key, w=w, sqrt_spectrum=sqrt_l, noise=noise, rows=rows,
                                       T=T if raw_T is None else raw_T, raw=raw_T is not None)
        return _fit(a, y, T, lam)

    def via_increment(_):
        return w + ols_increment(key, T=T, d=d, noise=noise) / sqrt_l

    if raw_T is not None:
        return via_design(None)
    return jax.lax.cond((lam == 0) & (T >= d), via_increment, via_design, None)


def _design_rows(T, lam, d: int, raw: bool) -> int:
    """Static row count of the reduced designs: at least every design step's min(T, d).

    Steps that refit through the design (all of them for the raw sampler; otherwise ridge and
    T < d) need min(T, d) rows; the count is rounded up to 1/8 of an octave (at most 12.5% more)
    so that sweeps over T share compilations.
    """
    via_design = np.ones(T.shape, bool) if raw else ~((lam == 0) & (T >= d))
    t = float(np.max(np.ceil(T[via_design]), initial=1.0))
    step = max(8, 2 ** (int(np.log2(t)) - 3))
    return int(min(d, -(-t // step) * step))


def _chain_seed(key, *, raw_sizes, spectrum, w0, T, noise, lam, exits=None, downstream=True,
                rows=None):
    """Population risk of one seed's chain, after each number of generations in ``exits``.

    The chain is a sequence of refits: step k < n_max fits T[k] samples labelled by the previous
    model with noise ``noise[k]`` and penalty ``lam[k]`` (the generators), and the last step is
    the downstream model. For each exit e (default: all n_max generators) the downstream model is
    fitted to generation e's labels, with the same key for every exit, so a sweep over n costs
    n_max generator refits and one downstream refit per exit (not one chain per n); ``downstream``
    False returns generation e's own risk (a traced flag: an unbatched ``lax.cond``, so both kinds
    of run share one compilation and only the taken branch runs). The raw sampler needs static sizes
    (``raw_sizes``) and unrolls the steps. Reduced designs have ``rows`` rows (static; default d,
    see :func:`_design_rows`).
    """
    sqrt_l = jnp.sqrt(spectrum)
    T, noise, lam = jnp.asarray(T), jnp.asarray(noise), jnp.asarray(lam)
    keys = jax.random.split(key, T.shape[0])
    n_max = T.shape[0] - 1

    def step(w, i, raw_t=None):
        return _refit(keys[i], w, sqrt_l=sqrt_l, T=T[i], noise=noise[i], lam=lam[i], rows=rows,
                      raw_T=raw_t)

    if raw_sizes is None:
        _, history = jax.lax.scan(lambda w, i: (step(w, i),) * 2, w0, jnp.arange(n_max))
        history = jnp.concatenate([w0[None], history])
    else:
        history = [w0]
        for i in range(n_max):
            history.append(step(history[-1], i, raw_sizes[i]))
        history = jnp.stack(history)
    w = history[-1:] if exits is None else history[exits.astype(jnp.int32)]
    last = None if raw_sizes is None else raw_sizes[n_max]
    w = jax.lax.cond(downstream, jax.vmap(lambda v: step(v, n_max, last)), lambda v: v, w)
    risk = jnp.sum(spectrum * (w - w0) ** 2, axis=-1)
    return risk[0] if exits is None else risk


def _simulate(key, *, spectrum, w0, gens, T, lam, sigma, downstream, seeds, sampler,
              batch_size) -> Estimate:
    """Loop over the broadcast parameter grid, one Monte Carlo run per grid point but n.

    Grid points that differ only in n share one run: its chain exits after each of their n
    (:func:`_chain_seed`). The chain length is the grid's longest n padded to a multiple of
    ``_PAD`` (at least ``_PAD``: n = 0 runs unused generators rather than compile a chain of its
    own), and the exits are padded to the largest group, so one compiled chain serves the whole
    grid (and nearby n).
    """
    raw = choice("sampler", sampler, SAMPLERS) == "raw"
    seeds = int(param("seeds", seeds, lo=2, integer=True))
    if gens.per_generation:
        grid = np.broadcast_arrays(T, lam, sigma)
        n_gen = gens.T0.shape[0]
        n_of = np.full(grid[0].shape, n_gen)
    else:
        grid = list(np.broadcast_arrays(T, lam, sigma, gens.n, gens.T0, gens.sigma0))
        n_gen = int(np.max(gens.n))
        n_of = grid.pop(3).astype(int)
    n_max = max(-(-n_gen // _PAD), 1) * _PAD
    groups: dict[tuple, list] = {}
    for idx in np.ndindex(n_of.shape):
        groups.setdefault(tuple(float(g[idx]) for g in grid), []).append(idx)
    exits_of = {point: np.unique([n_of[i] for i in members]) for point, members in groups.items()}
    width = max(exits.size for exits in exits_of.values())
    means, errs = np.empty(n_of.shape), np.empty(n_of.shape)
    for point, members in groups.items():
        exits = exits_of[point]
        t, lam_i, s = point[:3]
        if gens.per_generation:
            t0, s0 = np.resize(gens.T0, n_max), np.resize(gens.sigma0, n_max)
        else:
            t0, s0 = np.full(n_max, point[3]), np.full(n_max, point[4])
        steps = dict(T=np.append(t0, t), noise=np.append(s0, s),
                     lam=np.append(np.zeros(n_max), lam_i),
                     exits=np.pad(exits, (0, width - exits.size), mode="edge"))
        raw_sizes = tuple(int(v) for v in steps["T"]) if raw else None
        rows = _design_rows(steps["T"], steps["lam"], spectrum.shape[0], raw)
        est = monte_carlo(_chain_seed, key, seeds=seeds,
                          static=dict(raw_sizes=raw_sizes, rows=rows),
                          params=dict(spectrum=spectrum, w0=w0, downstream=downstream, **steps),
                          batch_size=batch_size)
        for i in members:
            j = int(np.searchsorted(exits, n_of[i]))
            means[i], errs[i] = est.mean[j], est.stderr[j]
    return Estimate(means, errs, seeds)


def _isotropic(d) -> tuple[np.ndarray, np.ndarray]:
    d = param("d", d, lo=1, integer=True)
    if d.ndim:
        raise ValueError(f"d must be a scalar integer (it fixes array shapes), got shape {d.shape}")
    return np.ones(int(d)), np.full(int(d), 1 / np.sqrt(int(d)))


def ols_test_error(key, *, d, T, T0, n, sigma, sigma0, seeds, sampler="sufficient",
                   batch_size=None) -> Estimate:
    """Monte Carlo twin of :func:`theory.regression.ols_test_error` (Sigma = I; OLS is exact for
    any Sigma)."""
    spectrum, w0 = _isotropic(d)
    p, gens = ols_args(d=d, T=T, T0=T0, n=n, sigma=sigma, sigma0=sigma0)
    return _simulate(key, spectrum=spectrum, w0=w0, gens=gens, T=p["T"], lam=0.0,
                     sigma=p["sigma"], downstream=True, seeds=seeds, sampler=sampler,
                     batch_size=batch_size)


def ridge_test_error(key, *, spectrum, w0, T, T0, n, lam, sigma, sigma0, seeds,
                     sampler="sufficient", batch_size=None) -> Estimate:
    """Monte Carlo twin of :func:`theory.regression.ridge_test_error` (Sigma = diag(spectrum))."""
    spectrum, w0 = spectrum_args(spectrum=spectrum, w0=w0)
    p, gens = ridge_args(d=spectrum.shape[0], T=T, lam=lam, n=n, T0=T0, sigma=sigma,
                         sigma0=sigma0)
    return _simulate(key, spectrum=spectrum, w0=w0, gens=gens, T=p["T"], lam=p["lam"],
                     sigma=p["sigma"], downstream=True, seeds=seeds, sampler=sampler,
                     batch_size=batch_size)


def isotropic_ridge_test_error(key, *, d, T, T0, n, lam, sigma, sigma0, w0_norm, seeds,
                               sampler="sufficient", batch_size=None) -> Estimate:
    """Monte Carlo twin of :func:`theory.regression.isotropic_ridge_test_error`."""
    spectrum, w0 = _isotropic(d)
    w0_norm = param("w0_norm", w0_norm, lo=0)
    if w0_norm.ndim:
        raise ValueError("w0_norm must be a scalar here")
    return ridge_test_error(key, spectrum=spectrum, w0=w0 * float(w0_norm), T=T, T0=T0, n=n,
                            lam=lam, sigma=sigma, sigma0=sigma0, seeds=seeds, sampler=sampler,
                            batch_size=batch_size)


def overparam_generator_error(key, *, d, T0, n, sigma0, w0_norm, seeds, sampler="sufficient",
                              batch_size=None) -> Estimate:
    """Monte Carlo twin of :func:`theory.regression.overparam_generator_error`: ||w_n - w0||^2
    after n min-norm generators on T0 < d samples (Sigma = I)."""
    spectrum, w0 = _isotropic(d)
    p = overparam_args(d=d, T0=T0, n=n, sigma0=sigma0, w0_norm=w0_norm)
    if p["w0_norm"].ndim:
        raise ValueError("w0_norm must be a scalar here")
    gens = Generations(p["n"], p["T0"], p["sigma0"], False)
    return _simulate(key, spectrum=spectrum, w0=w0 * float(p["w0_norm"]), gens=gens, T=1.0,
                     lam=0.0, sigma=0.0, downstream=False, seeds=seeds, sampler=sampler,
                     batch_size=batch_size)
