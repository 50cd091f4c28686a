"""Simulators of the regression chain of Dohmatob, Feng and Kempe (NeurIPS 2024, section 2;
twins of :mod:`theory.regression`), declared on the sweep engine (:mod:`sim._engine`).

One seed: n generators, each refitting the previous model's labels on a fresh design (OLS when
T0 >= d, the min-norm interpolator when T0 < d), then a downstream ridge (or OLS / min-norm when
lam = 0) on T samples labelled by the n-th generation. The error is the exact population risk
``(w_pred - w0)' Sigma (w_pred - w0)`` from the known spectrum, so the only noise is the training
noise. Generations are a ``lax.scan``.

Two samplers: ``"sufficient"`` draws what the fit depends on, at a cost independent of T and T0:
an OLS refit (T >= d) as its exact multivariate-t increment (O(d)), anything else (ridge, T < d)
through the Bartlett-reduced design (O(min(T, d) d) to draw, O(min(T, d)^2 d) to fit);
``"raw"`` (``RunOptions(sampler="raw")``) draws the T x d design and reduces it by QR (the
reference the sufficient sampler must agree with in law).

A sweep runs one chain per seed, as long as the sweep's largest n (bucketed), and the downstream
model is fitted to the generations the sweep asks for (its distinct n, the exits), so an n-sweep
costs one chain; points differing only in n read their exit of one shared run. The dimension d
fixes the arrays' shapes and is a static value: points with different d are separate programs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

import theory.regression as TR
from sim._design import ols_increment, reduced_regression_data
from sim._engine import SAMPLERS, Run, Twin, bucket, twin
from theory.domain import Grid

__all__ = ["SAMPLERS", "isotropic_ridge_test_error", "ols_test_error",
           "overparam_generator_error", "ridge_test_error"]


def _branch(pred, if_true, if_false):
    """``if_true(None)`` where ``pred`` holds, else ``if_false(None)``: chosen while tracing when
    ``pred`` is a Python bool, else a ``lax.cond`` on an unbatched predicate.

    The predicates of the chain (is a step an OLS refit?) are host values, never batched, so
    only the taken branch is compiled or run. A batched predicate would turn the cond into a
    select that runs both branches, and XLA:CPU (jaxlib 0.10) deadlocked on such selects of
    batched LAPACK calls (all threads idle, the host waiting for the result).
    """
    if isinstance(pred, (bool, np.bool_)):
        return (if_true if pred else if_false)(None)
    return jax.lax.cond(pred, if_true, if_false, None)


def _fit(a: jax.Array, y: jax.Array, T, lam, ols) -> jax.Array:
    """Ridge ``(A'A/T + lam I)^-1 A'y/T`` on the reduced design; min-norm ``pinv(A) y`` at lam = 0.

    A is rows x d with rows >= min(T, d) and rows i >= T zero. The fit is solved in the row space,
    ``A'(AA'/T + lam I + P)^-1 y/T`` with P the identity on the zero rows (push-through identity;
    at lam = 0 the min-norm interpolator), at cost O(rows^2 d): for T < d that is far below the
    O(d^3) of the normal equations. OLS on a square, full-rank A (``ols``: lam = 0 and T >= d, a
    host value) is a triangular solve.
    """
    rows, d = a.shape
    eye = jnp.eye(rows, dtype=a.dtype)

    def row_space(_):
        k = a @ a.T / T + (lam + (jnp.arange(rows) >= T)) * eye
        return a.T @ cho_solve(cho_factor(k), y / T)

    if rows < d:
        return row_space(None)
    return _branch(ols, lambda _: solve_triangular(a, y, lower=False), row_space)


def _refit(key, w, *, sqrt_l, T, noise, lam, ols, rows, raw_T=None):
    """Refit on T fresh samples labelled by ``w`` with noise: ridge (lam > 0) or min-norm/OLS.

    Sufficient sampler: an OLS refit (``ols``: lam = 0 and T >= d, an unbatched host value) is
    ``w`` plus its exact multivariate-t increment; otherwise the Bartlett-reduced design with
    ``rows`` rows. Raw sampler (``raw_T``: static T): the QR-reduced raw design.
    """
    d = w.shape[0]

    def via_design(_):
        a, y = reduced_regression_data(key, w=w, sqrt_spectrum=sqrt_l, noise=noise, rows=rows,
                                       T=T if raw_T is None else raw_T, raw=raw_T is not None)
        return _fit(a, y, T, lam, ols)

    def via_increment(_):
        return w + ols_increment(key, T=T, d=d, noise=noise) / sqrt_l

    if raw_T is not None:
        return via_design(None)
    return _branch(ols, via_increment, via_design)


def ols_steps(T, lam, d: int) -> tuple[bool, ...]:
    """Static flags of a chain's steps: step k is an OLS refit (lam[k] = 0 and T[k] >= d)."""
    return tuple(bool(o) for o in (np.asarray(lam) == 0) & (np.asarray(T) >= d))


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


def _chain_seed(key, *, raw_sizes, ols, spectrum, w0, T, noise, lam, exits=None,
                downstream=True, rows=None):
    """Population risk of one seed's chain, after each number of generations in ``exits``.

    The chain is a sequence of refits: step k < n_max fits T[k] samples labelled by the previous
    model with noise ``noise[k]`` and penalty ``lam[k]`` (the generators), and the last step is
    the downstream model. ``ols[k]`` (static) says whether step k is an OLS refit (lam = 0,
    T >= d). For each exit e (default: all n_max generators) the downstream model is fitted to
    generation e's labels, with the same key for every exit, so a sweep over n costs n_max
    generator refits and one downstream refit per exit (not one chain per n); ``downstream``
    (static) False returns generation e's own risk. The raw sampler needs static sizes
    (``raw_sizes``) and unrolls the steps. Reduced designs have ``rows`` rows (static; default d,
    see :func:`_design_rows`).
    """
    sqrt_l = jnp.sqrt(spectrum)
    T, noise, lam = jnp.asarray(T), jnp.asarray(noise), jnp.asarray(lam)
    keys = jax.random.split(key, T.shape[0])
    n_max = T.shape[0] - 1

    def step(w, i, raw_t=None):
        # i is a Python int or the scan counter: the predicate is never batched (see _branch)
        if isinstance(i, int):
            flag = ols[i]
        elif len(set(ols[:n_max])) == 1:
            flag = ols[0]
        else:
            flag = jnp.asarray(ols[:n_max])[i]
        return _refit(keys[i], w, sqrt_l=sqrt_l, T=T[i], noise=noise[i], lam=lam[i], ols=flag,
                      rows=rows, raw_T=raw_t)

    if raw_sizes is None:
        _, history = jax.lax.scan(lambda w, i: (step(w, i),) * 2, w0, jnp.arange(n_max))
        history = jnp.concatenate([w0[None], history])
    else:
        history = [w0]
        for i in range(n_max):
            history.append(step(history[-1], i, raw_sizes[i]))
        history = jnp.stack(history)
    w = history[-1:] if exits is None else history[exits.astype(jnp.int32)]
    if downstream:
        last = None if raw_sizes is None else raw_sizes[n_max]
        w = jax.vmap(lambda v: step(v, n_max, last))(w)
    risk = jnp.sum(spectrum * (w - w0) ** 2, axis=-1)
    return risk[0] if exits is None else risk


def _one_chain(key, *, d: int, n_max: int, n_exits: int, rows: int, raw_sizes, ols, downstream,
               spectrum, w0, T, noise, lam, exits):
    """One seed of a sweep's chain (:func:`_chain_seed`): ``d``, the chain length ``n_max`` and
    the number of exits ``n_exits`` fix the shapes of the traced arrays (spectrum, w0: d; T,
    noise, lam: n_max + 1; exits: n_exits); ``ols`` and ``downstream`` fix which branch each step
    takes; returns the risk at each exit."""
    del d, n_max, n_exits  # they key the compiled program; the shapes carry them
    return _chain_seed(key, raw_sizes=raw_sizes, ols=ols, spectrum=spectrum, w0=w0, T=T,
                       noise=noise, lam=lam, exits=exits, downstream=downstream, rows=rows)


def _problem(kind: str, values: dict, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """(spectrum, w0) of one grid point: Sigma = I with w0 = w0_norm (1, ..., 1)/sqrt(d) unless
    the spectrum is given (ridge)."""
    if kind == "ridge":
        return grid.options["spectrum"], grid.options["w0"]
    d = int(values["d"])
    norm = values["w0_norm"] if "w0_norm" in values else 1.0
    return np.ones(d), np.full(d, norm / np.sqrt(d))


def _generators(values: dict, grid: Grid, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample sizes and label noises of the n_max generator steps (per-generation lists are
    repeated past their length; those steps are never read)."""
    if grid.options.get("T0") is not None:
        return (np.resize(grid.options["T0"], n_max).astype(float),
                np.resize(grid.options["sigma0"], n_max).astype(float))
    return np.full(n_max, values["T0"]), np.full(n_max, values["sigma0"])


def _sweep_rows(kind: str, grid: Grid, d: int, raw: bool) -> int:
    """Design rows shared by the sweep's points of dimension d (:func:`_design_rows` over every
    step of every point), so that one program serves the sweep."""
    at_d = np.broadcast_to(grid["d"], grid.shape) == d if "d" in grid.arrays \
        else np.ones(grid.shape, bool)
    T0 = np.asarray(grid.options["T0"]) if grid.options.get("T0") is not None \
        else np.broadcast_to(grid["T0"], grid.shape)[at_d]
    if kind == "over":
        T, lam = np.array([1.0]), np.array([0.0])
    else:
        T = np.broadcast_to(grid["T"], grid.shape)[at_d]
        lam = np.broadcast_to(grid["lam"], grid.shape)[at_d] if "lam" in grid.arrays \
            else np.zeros(T.shape)
    return _design_rows(np.concatenate([np.ravel(T0), np.ravel(T)]),
                        np.concatenate([np.zeros(np.size(T0)), np.ravel(lam)]), d, raw)


def _chain_point(kind: str):
    """The run of one grid point: a chain of bucket(max n) generators with the sweep's distinct
    n as exits (their count bucketed), read at the point's own n."""

    def point(values: dict, grid: Grid, sampler: str) -> Run:
        raw = sampler == "raw"
        spectrum, w0 = _problem(kind, values, grid)
        d = spectrum.shape[0]
        n_max = bucket(max(grid.max("n"), 1))
        wanted = np.unique(grid["n"]).astype(float)
        exits = np.pad(wanted, (0, bucket(wanted.size, minimum=1) - wanted.size), mode="edge")
        t0, s0 = _generators(values, grid, n_max)
        if kind == "over":
            T, sigma, lam = 1.0, 0.0, 0.0
        else:
            T, sigma, lam = values["T"], values["sigma"], values.get("lam", 0.0)
        steps = dict(T=np.append(t0, T), noise=np.append(s0, sigma),
                     lam=np.append(np.zeros(n_max), lam))
        static = dict(d=d, n_max=n_max, n_exits=exits.size, rows=_sweep_rows(kind, grid, d, raw),
                      raw_sizes=tuple(int(t) for t in steps["T"]) if raw else None,
                      ols=ols_steps(steps["T"], steps["lam"], d), downstream=kind != "over")
        traced = dict(spectrum=spectrum, w0=w0, exits=exits, **steps)
        return Run(static, traced, read=(int(np.searchsorted(exits, values["n"])),))

    return point


_DOC = """The generators and the downstream fit are sampled through their sufficient statistics
(an OLS refit as its multivariate-t increment, ridge and T < d through the Bartlett-reduced
design), at a cost independent of T and T0; ``sampler="raw"`` draws and QR-reduces the raw
designs. One chain per seed serves a sweep over n (the downstream model is fitted at each
requested n). {extra}"""


def _chain_twin(theory_fn, validate, kind: str, extra: str):
    return twin(Twin(theory=theory_fn, validate=validate, one_seed=_one_chain,
                     point=_chain_point(kind), samplers=SAMPLERS, doc=_DOC.format(extra=extra)))


ols_test_error = _chain_twin(
    TR.ols_test_error, TR.validate_ols, "ols",
    "Sigma = I (the OLS risk is the same for any Sigma), w0 = (1, ..., 1)/sqrt(d).")
ridge_test_error = _chain_twin(
    TR.ridge_test_error, TR.validate_ridge, "ridge", "Sigma = diag(spectrum).")
isotropic_ridge_test_error = _chain_twin(
    TR.isotropic_ridge_test_error, TR.validate_isotropic_ridge, "iso",
    "Sigma = I, w0 = w0_norm (1, ..., 1)/sqrt(d); per-generation T0 and sigma0 are simulated "
    "too (the closed form covers uniform generations).")
overparam_generator_error = _chain_twin(
    TR.overparam_generator_error, TR.validate_overparam, "over",
    "||w_n - w0||^2 of the n-th min-norm generator itself (Sigma = I; no downstream fit).")
