"""Parameter domains of the regression chain, shared by the theory functions and their simulators.

The ``*_args`` functions validate keyword arguments and return float64 arrays, raising
``ValueError`` naming the parameter and its valid range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from theory.domain import broadcast, param


class Generations(NamedTuple):
    """The generator chain of THEORY 1.1: ``n`` refits on ``T0`` samples, label noise ``sigma0``.

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


def ridge_args(*, d: int, T, lam, n, T0, sigma, sigma0) -> tuple[dict[str, np.ndarray],
                                                                 Generations]:
    """Downstream ridge after n OLS generators; lam = 0 needs |T - d| >= 2 (finite risk)."""
    b = broadcast(T=param("T", T, lo=1, integer=True), lam=param("lam", lam, lo=0),
                  sigma=param("sigma", sigma, lo=0))
    if np.any((b["lam"] == 0) & (np.abs(b["T"] - d) <= 1)):
        raise ValueError(f"T must differ from d = {d} by at least 2 when lam = 0 (the ridgeless "
                         "risk is infinite at the interpolation threshold); use lam > 0")
    gens = generations(n=n, T0=T0, sigma0=sigma0)
    require_ols_generators(gens, d)
    return b, gens


def overparam_args(*, d, T0, n, sigma0, w0_norm) -> dict[str, np.ndarray]:
    """T0 < d generators (THEORY 1.4): T0 <= d - 2 when sigma0 > 0 (finite noise term)."""
    d = param("d", d, lo=2, integer=True)
    T0 = param("T0", T0, lo=1, integer=True)
    sigma0 = param("sigma0", sigma0, lo=0)
    limit = np.where(sigma0 > 0, d - 2, d - 1)
    if np.any(T0 > limit):
        raise ValueError("T0 must be an integer in [1, d - 2] (in [1, d - 1] when sigma0 = 0) "
                         f"for over-parametrised generators, got T0 = {T0}, d = {d}")
    return dict(d=d, T0=T0, n=param("n", n, lo=0, integer=True), sigma0=sigma0,
                w0_norm=param("w0_norm", w0_norm, lo=0))
