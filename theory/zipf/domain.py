"""Parameter domains of the Zipf models, shared by the theory functions and their simulators.

Each function validates keyword arguments and returns float64 arrays (``N = None``, an infinite
vocabulary, becomes ``inf``), raising ``ValueError`` naming the parameter and its valid range.
"""

from __future__ import annotations

import numpy as np

from theory.domain import broadcast, param


def beta_arg(beta, name: str = "beta") -> np.ndarray:
    """Zipf exponent: a real number > 1 (the law must be normalisable)."""
    return param(name, beta, lo=1.0, lo_open=True)


def T_arg(T, name: str = "T", *, allow_inf: bool = False, integer: bool = False) -> np.ndarray:
    """Number of training samples: a real number >= 0 (an integer >= 0 for simulations)."""
    return param(name, T, lo=0.0, allow_inf=allow_inf, integer=integer).astype(np.float64)


def N_arg(N) -> np.ndarray:
    """Vocabulary size: an integer >= 1, or ``None`` (infinite vocabulary, returned as ``inf``)."""
    if N is None:
        return np.array(np.inf)
    return param("N", N, lo=1, integer=True).astype(np.float64)


def finite_N_arg(N) -> np.ndarray:
    """Vocabulary size for a simulation: an integer >= 1 (``None`` is not simulable)."""
    if N is None:
        raise ValueError("N must be an integer >= 1 for a simulation (N=None is theory-only)")
    return N_arg(N)


def k_arg(k, N: np.ndarray, name: str = "k") -> np.ndarray:
    """Cut-off rank: an integer >= 1 and <= N."""
    k = param(name, k, lo=1, integer=True).astype(np.float64)
    grid = broadcast(**{name: k, "N": N})
    if np.any(grid[name] > grid["N"]):
        raise ValueError(f"{name} must be an integer in [1, N]; got {name} > N")
    return k


def pi_arg(pi) -> np.ndarray:
    """Fraction of clean samples: a real number in [0, 1]."""
    return param("pi", pi, lo=0.0, hi=1.0)


def prob_arg(p, name: str = "p") -> np.ndarray:
    """A probability threshold: a real number in (0, 1)."""
    return param(name, p, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
