"""Parameter domains of the regression chain, shared by the theory functions and their simulators.

The ``validate_*`` functions validate a theory function's keyword arguments and return a
:class:`theory.domain.Grid` (the broadcast numeric parameters, and the non-broadcast options: a
spectrum, per-generation sample sizes, a policy); the theory function and its simulator twin in
:mod:`sim.regression` both call them. Out-of-domain input raises ``ValueError`` naming the
parameter and its valid range. The ``*_args`` helpers return plain arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from theory.domain import Grid, broadcast, param

__all__ = ["Generations", "chain_generations", "generations", "ols_args", "overparam_args",
           "require_ols_generators", "ridge_args", "spectrum_args", "validate_isotropic_ridge",
           "validate_ols", "validate_overparam", "validate_ridge"]


class Generations(NamedTuple):
    """The generator chain (docs/theory/regression.md): ``n`` refits on ``T0`` samples, label noise
    ``sigma0``.

    Uniform chains hold broadcastable ``n``, ``T0``, ``sigma0``; per-generation chains (a list or
    tuple for ``T0`` or ``sigma0``) hold 1-D arrays of length ``n``.
    """

    n: np.ndarray
    T0: np.ndarray
    sigma0: np.ndarray
    per_generation: bool

    def total(self, term: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """Sum over generations of ``term(T0_k, sigma0_k)``."""
        if self.per_generation:
            return np.sum(term(self.T0, self.sigma0), axis=-1)
        return np.where(self.n > 0, self.n * term(self.T0, self.sigma0), 0.0)


def generations(*, n, T0, sigma0) -> Generations:
    """Validate the generator chain; a list or tuple means one entry per generation."""
    per_gen = [isinstance(v, Sequence) and not isinstance(v, str) for v in (T0, sigma0)]
    if not any(per_gen):
        return Generations(param("n", n, lo=0, integer=True), param("T0", T0, lo=1, integer=True),
                           param("sigma0", sigma0, lo=0), False)
    lengths = {len(v) for v, p in zip((T0, sigma0), per_gen) if p}
    if len(lengths) != 1:
        raise ValueError("T0 and sigma0 given per generation must have the same length")
    (length,) = lengths
    n = param("n", n, lo=0, integer=True)
    if n.ndim or int(n) != length:
        raise ValueError(f"n must equal the number of per-generation entries ({length}), got {n}")
    T0 = param("T0", np.broadcast_to(np.asarray(T0, dtype=float), (length,)), lo=1, integer=True)
    sigma0 = param("sigma0", np.broadcast_to(np.asarray(sigma0, dtype=float), (length,)), lo=0)
    return Generations(n, T0, sigma0, True)


def require_ols_generators(gens: Generations, d) -> None:
    """OLS generators need T0 >= d + 2 for a finite expected error (inverse-Wishart mean)."""
    d = np.asarray(d)[..., None] if gens.per_generation else np.asarray(d)
    if np.any((gens.n > 0) & (gens.T0 < d + 2)):
        raise ValueError("T0 must be an integer >= d + 2 when n >= 1 (OLS generators); "
                         "use overparam_generator_error for T0 < d")


def ols_args(*, d, T, T0, n, sigma, sigma0) -> tuple[dict[str, np.ndarray], Generations]:
    d = param("d", d, lo=1, integer=True)
    T = param("T", T, lo=1, integer=True)
    if np.any(T < d + 2):
        raise ValueError(f"T must be an integer >= d + 2 for OLS (lam = 0), got T = {T}, d = {d}")
    gens = generations(n=n, T0=T0, sigma0=sigma0)
    require_ols_generators(gens, d)
    return dict(d=d, T=T, sigma=param("sigma", sigma, lo=0)), gens


def spectrum_args(*, spectrum, w0) -> tuple[np.ndarray, np.ndarray]:
    spectrum = param("spectrum", spectrum, lo=0, lo_open=True)
    w0 = param("w0", w0)
    if spectrum.ndim != 1 or w0.shape != spectrum.shape:
        raise ValueError(f"spectrum and w0 must be 1-D arrays of the same length d, got shapes "
                         f"{spectrum.shape} and {w0.shape}")
    return spectrum, w0


def ridge_args(*, d, T, lam, n, T0, sigma, sigma0) -> tuple[dict[str, np.ndarray],
                                                                 Generations]:
    """Downstream ridge after n OLS generators; lam = 0 needs abs(T - d) >= 2 (finite risk)."""
    b = broadcast(T=param("T", T, lo=1, integer=True), lam=param("lam", lam, lo=0),
                  sigma=param("sigma", sigma, lo=0))
    if np.any((b["lam"] == 0) & (np.abs(b["T"] - np.asarray(d)) <= 1)):
        raise ValueError(f"T must differ from d = {d} by at least 2 when lam = 0 (the ridgeless "
                         "risk is infinite at the interpolation threshold); use lam > 0")
    gens = generations(n=n, T0=T0, sigma0=sigma0)
    require_ols_generators(gens, d)
    return b, gens


def overparam_args(*, d, T0, n, sigma0, w0_norm) -> dict[str, np.ndarray]:
    """T0 < d generators (docs/theory/regression.md): T0 <= d - 2 when sigma0 > 0 (finite noise
    term)."""
    d = param("d", d, lo=2, integer=True)
    T0 = param("T0", T0, lo=1, integer=True)
    sigma0 = param("sigma0", sigma0, lo=0)
    limit = np.where(sigma0 > 0, d - 2, d - 1)
    if np.any(T0 > limit):
        raise ValueError("T0 must be an integer in [1, d - 2] (in [1, d - 1] when sigma0 = 0) "
                         f"for over-parametrised generators, got T0 = {T0}, d = {d}")
    return dict(d=d, T0=T0, n=param("n", n, lo=0, integer=True), sigma0=sigma0,
                w0_norm=param("w0_norm", w0_norm, lo=0))


def _generation_options(gens: Generations) -> tuple[dict, dict]:
    """Grid arrays and options of a generator chain: uniform chains broadcast n, T0 and sigma0;
    per-generation chains keep n (a scalar) and hold T0, sigma0 as tuples (one per generation)."""
    if gens.per_generation:
        return dict(n=gens.n), dict(T0=tuple(gens.T0.tolist()),
                                    sigma0=tuple(gens.sigma0.tolist()))
    return dict(n=gens.n, T0=gens.T0, sigma0=gens.sigma0), dict(T0=None, sigma0=None)


def chain_generations(grid: Grid) -> Generations:
    """The generator chain of a validated grid (:func:`validate_ols`, :func:`validate_ridge`,
    :func:`validate_isotropic_ridge`), broadcast to the grid's shape when uniform."""
    if grid.options["T0"] is not None:
        return Generations(grid["n"], np.asarray(grid.options["T0"], dtype=np.float64),
                           np.asarray(grid.options["sigma0"], dtype=np.float64), True)
    return Generations(grid["n"], grid["T0"], grid["sigma0"], False)


def validate_ols(*, d, T, T0, n, sigma, sigma0) -> Grid:
    """Validate the OLS chain (:func:`theory.regression.ols_test_error`): ``d`` >= 1,
    ``T`` >= d + 2, ``T0`` >= d + 2 when n >= 1, ``sigma``, ``sigma0`` >= 0; ``T0`` and ``sigma0``
    may be lists (one entry per generation, ``n`` their length)."""
    p, gens = ols_args(d=d, T=T, T0=T0, n=n, sigma=sigma, sigma0=sigma0)
    arrays, options = _generation_options(gens)
    return Grid({**p, **arrays}, options)


def validate_ridge(*, spectrum, w0, T, T0, n, lam, sigma, sigma0) -> Grid:
    """Validate ridge downstream of OLS generators (:func:`theory.regression.ridge_test_error`):
    ``spectrum`` > 0 and ``w0`` 1-D of one length d (options), ``T`` >= 1, ``lam`` >= 0
    (abs(T - d) >= 2 when lam = 0), generators as in :func:`validate_ols`."""
    spectrum, w0 = spectrum_args(spectrum=spectrum, w0=w0)
    p, gens = ridge_args(d=spectrum.shape[0], T=T, lam=lam, n=n, T0=T0, sigma=sigma,
                         sigma0=sigma0)
    arrays, options = _generation_options(gens)
    return Grid({**p, **arrays}, dict(spectrum=spectrum, w0=w0, **options))


def validate_isotropic_ridge(*, d, T, T0, n, lam, sigma, sigma0, w0_norm) -> Grid:
    """Validate isotropic ridge (:func:`theory.regression.isotropic_ridge_test_error`): ``d``
    >= 1 (broadcast like the rest), ``w0_norm`` >= 0, the others as in :func:`validate_ridge`."""
    d = param("d", d, lo=1, integer=True)
    p, gens = ridge_args(d=d, T=T, lam=lam, n=n, T0=T0, sigma=sigma, sigma0=sigma0)
    arrays, options = _generation_options(gens)
    return Grid({"d": d, **p, **arrays, "w0_norm": param("w0_norm", w0_norm, lo=0)}, options)


def validate_overparam(*, d, T0, n, sigma0, w0_norm) -> Grid:
    """Validate over-parametrised generators
    (:func:`theory.regression.overparam_generator_error`); see :func:`overparam_args`."""
    return Grid(overparam_args(d=d, T0=T0, n=n, sigma0=sigma0, w0_norm=w0_norm))


#: What each parameter of the regression chains means, with the domain its validator enforces
#: (the ``Args`` sections of :mod:`theory.regression` are built from this table, see
#: :mod:`theory._docs`).
ARG_DOCS = {
    "d": "dimension, an integer >= 1.",
    "T": "downstream training samples, an integer >= 1 (>= d + 2 for OLS; abs(T - d) >= 2 for "
         "ridgeless ridge).",
    "T0": "samples per generator refit, an integer >= d + 2 when n >= 1 (or a list, one entry "
          "per generation).",
    "n": "number of fake generations, an integer >= 0.",
    "sigma": "label noise of the downstream data, a real >= 0.",
    "sigma0": "label noise of the generators, a real >= 0 (or a list, one per generation).",
    "lam": "ridge penalty next to X'X/T, a real >= 0.",
    "w0_norm": "norm of the true model, a real >= 0.",
    "spectrum": "eigenvalues of Sigma, a 1-D array of reals > 0 (length d).",
    "w0": "the true model in the eigenbasis of Sigma, a 1-D array of length d.",
    "phi": "d/T, a real in (0, 1).",
    "phi0": "d/T0, a real in (0, 1).",
    "beta": "capacity exponent of the power-law spectrum l_j = j^-beta, a real > 1.",
    "r": "source exponent, l_j w0_j^2 = j^(-1 - 2 r beta), a real in (0, 1).",
    "lam_min": "lower end of the searched penalties, a real > 0.",
    "lam_max": "upper end of the searched penalties, a real > lam_min.",
}

_MIXED = {
    "n": "training-set size, an integer >= 1 (>= d + 2 for OLS, lam = 0).",
    "p2": "share of synthetic samples, a real in [0, 1].",
    "c2": "squared norm of the synthetic shift, ||w2 - w1||^2_Sigma, a real >= 0.",
    "w1": "the real model in the eigenbasis of Sigma, a 1-D array of length d.",
    "delta": "the synthetic shift w2 - w1 in the eigenbasis of Sigma, a 1-D array of length d.",
    "m": "number of random features, an integer in [1, min(d, n - 2)].",
    "w1_norm": "norm of the real model, a real >= 0.",
}

#: Per-function domains that differ from :data:`ARG_DOCS`.
ARG_OVERRIDES = {
    "overparam_generator_error": {"T0": "samples per generator refit, an integer in [1, d - 2] "
                                        "(in [1, d - 1] when sigma0 = 0).",
                                  "d": "dimension, an integer >= 2."},
    "validate_overparam": {"T0": "samples per generator refit, an integer in [1, d - 2] (in "
                                 "[1, d - 1] when sigma0 = 0).",
                           "d": "dimension, an integer >= 2."},
    "optimal_lam_asymptotic": {"d": "dimension of the power-law problem, an integer >= 1."},
    "power_law_problem": {"d": "number of eigenvalues kept, an integer >= 1."},
    **{name: _MIXED for name in ("mixed_training_error", "isotropic_mixed_training_error",
                                 "random_projection_error", "validate_mixed",
                                 "validate_isotropic_mixed", "validate_random_projection")},
}
