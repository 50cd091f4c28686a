"""Exact Zipf sums in float64: a head summed term by term, an infinite tail bounded analytically.

Every error of the memorising model (ToT section 2; docs/theory/zipf.md) has the form

    E = sum_i p_i prod_s (1 - q_i^(s))^(T_s),     p_i = i^-beta / Z,

where each training source ``s`` is a Zipf law ``q_i^(s) = i^-b_s / Z_s`` restricted to a window
``lo_s <= i <= hi_s`` (zero outside). For a finite vocabulary the sum is computed term by term.
For ``N = None`` (infinite vocabulary) the first ``M`` terms are summed exactly and the tail
``i > M`` is expanded with the binomial series of ``(1 - q)^T``:

    sum_{i>M} p_i (1 - q_i)^T = sum_{k>=0} (-1)^k binom(T, k) zeta(beta + k b, M+1) / (Z Zq^k),

with ``M`` chosen so that ``r = max(T, 1) q_{M+1} <= 1/2``. Successive terms then shrink by at
least the factor ``r`` (``|binom(T,k+1)/binom(T,k)| <= max(T,1)``, ``q_i <= q_{M+1}``), so the
remainder after ``K`` terms is at most ``|term_K| / (1 - r) <= 2 |term_K|``: a stated bound, not a
truncation. When no source reaches the tail the tail is ``zeta(beta, M+1)/Z`` exactly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy import special

from theory.domain import broadcast

#: Largest number of terms summed explicitly (beyond it a ValueError asks for a finite N).
M_MAX = 2**26
#: Terms summed per block (bounds memory).
BLOCK = 2**20
#: Number of binomial-series terms of the infinite tail.
SERIES_TERMS = 16
#: Relative error promised for infinite-vocabulary sums (checked on every call).
RTOL = 1e-10


def zeta(s, q=1.0) -> np.ndarray:
    """Hurwitz zeta ``sum_{j>=0} (j + q)^-s`` in float64 (SciPy's Cephes implementation).

    Evaluated on the host: the normalisers are scalars or small arrays, for which a JAX dispatch
    costs far more than the evaluation. It agrees with ``jax.scipy.special.zeta`` (x64) to a few
    ulps wherever the value is a normal float64 (JAX flushes subnormal results to zero).
    """
    return np.asarray(special.zeta(np.asarray(s, np.float64), np.asarray(q, np.float64)),
                      dtype=np.float64)


def normaliser(beta: float, N: float) -> float:
    """``H_N(beta) = sum_{i<=N} i^-beta`` (``N = inf``: ``zeta(beta)``)."""
    if math.isinf(N):
        return float(zeta(beta))
    return float(zeta(beta) - zeta(beta, N + 1.0))


def tail_mass(beta: float, k: float, N: float) -> float:
    """``1 - P_k = sum_{k<i<=N} p_i`` from Hurwitz zeta differences (no cancellation near 0)."""
    if k >= N:
        return 0.0
    upper = 0.0 if math.isinf(N) else float(zeta(beta, N + 1.0))
    return float((zeta(beta, k + 1.0) - upper) / normaliser(beta, N))


def head_mass(beta: float, k: float, N: float) -> float:
    """``P_k = sum_{i<=k} p_i`` for the Zipf law on ``N`` items (``k <= N``)."""
    if k >= N:
        return 1.0
    if math.isinf(N):  # 1 - tail: no cancellation in the tail mass
        return float(1.0 - zeta(beta, k + 1.0) / zeta(beta))
    return float((zeta(beta) - zeta(beta, k + 1.0)) / normaliser(beta, N))


class Source(NamedTuple):
    """A training source: ``T`` draws from ``q_i = i^-b / Z`` on ``lo <= i <= hi`` (else 0)."""

    b: float
    Z: float
    lo: float
    hi: float
    T: float


def _pow2(m: int) -> int:
    return 1 << max(int(m) - 1, 0).bit_length()


@functools.partial(jax.jit, static_argnames=("length",))
def _head_sum(beta, Z, upto, srcs, *, length: int):
    """``sum_{i <= upto} p_i prod_s (1 - q_i^(s))^(T_s)`` over ``i < length + 1``, in blocks."""
    block = min(length, BLOCK)

    def one_block(start):
        i = start + jnp.arange(1, block + 1, dtype=jnp.float64)
        logi = jnp.log(i)
        p = jnp.exp(-beta * logi) / Z
        inside = (i[:, None] >= srcs[:, 2]) & (i[:, None] <= srcs[:, 3]) & (srcs[:, 4] > 0)
        q = jnp.exp(-srcs[:, 0] * logi[:, None]) / srcs[:, 1]
        logsurv = jnp.where(inside, srcs[:, 4] * jnp.log1p(-jnp.minimum(q, 1.0)), 0.0).sum(-1)
        return jnp.sum(jnp.where(i <= upto, p * jnp.exp(logsurv), 0.0))

    starts = jnp.arange(0, length, block, dtype=jnp.float64)
    return jax.lax.map(one_block, starts).sum()


def head_sum(beta: float, Z: float, upto: int, sources: list[Source]) -> float:
    """Exact ``sum_{i<=upto} p_i prod_s (1 - q_i^(s))^(T_s)`` in float64."""
    if upto < 1:
        return 0.0
    srcs = np.array([tuple(s) for s in sources] or [(1.0, 1.0, 1.0, 0.0, 0.0)], dtype=np.float64)
    with jax.enable_x64(True):
        out = _head_sum(jnp.float64(beta), jnp.float64(Z), jnp.float64(upto), jnp.asarray(srcs),
                        length=_pow2(upto))
    return float(out)


def tail_sum(*, beta: float, Z: float, b: float, Zq: float, T: float, M: int,
             terms: int = SERIES_TERMS) -> tuple[float, float]:
    """``sum_{i>M} (i^-beta/Z) (1 - i^-b/Zq)^T`` and a bound on its error (module docstring).

    Requires ``max(T, 1) (M+1)^-b / Zq <= 1/2``.
    """
    r = max(T, 1.0) * (M + 1.0) ** (-b) / Zq
    if r > 0.5:
        raise ValueError(f"tail_sum needs max(T,1) q_(M+1) <= 1/2, got {r}")
    k = np.arange(terms + 1, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logz = np.log(zeta(beta + k * b, M + 1.0))
    ratio = (T - k[:-1]) / (k[:-1] + 1.0)
    sign = np.concatenate([[1.0], np.cumprod(-np.sign(ratio))])
    with np.errstate(divide="ignore"):
        logcoef = np.concatenate([[0.0], np.cumsum(np.log(np.abs(ratio)))])
    terms_ = sign * np.exp(logcoef - k * math.log(Zq) + logz - math.log(Z))
    return float(np.sum(terms_[:-1])), float(abs(terms_[-1]) / (1.0 - r))


def zipf_sum(beta: float, N: float, sources: list[Source], *, head: int = 0,
             rtol: float = RTOL) -> float:
    """``sum_i p_i prod_s (1 - q_i^(s))^(T_s)`` over a vocabulary of ``N`` items (``inf`` allowed).

    ``head`` forces at least that many explicitly summed terms. For ``N = inf`` at most one source
    may reach infinity (``hi = inf``); the relative error bound is checked against ``rtol``.
    """
    Z = normaliser(beta, N)
    active = [s for s in sources if s.T > 0]
    if not math.isinf(N):
        return head_sum(beta, Z, int(N), active)
    open_ = [s for s in active if math.isinf(s.hi)]
    if len(open_) > 1:
        raise ValueError("at most one source may extend to an infinite vocabulary")
    M = max([head, 1] + [int(s.hi) for s in active if not math.isinf(s.hi)]
            + [int(s.lo) - 1 for s in open_])
    if open_:
        s = open_[0]
        M = max(M, math.ceil((2.0 * max(s.T, 1.0) / s.Z) ** (1.0 / s.b)))
    if M > M_MAX:
        raise ValueError(f"T is too large for an infinite vocabulary at beta={beta}: it needs "
                         f"{M} explicit terms (> {M_MAX}); pass a finite N")
    value = head_sum(beta, Z, M, active)
    if open_:
        tail, bound = tail_sum(beta=beta, Z=Z, b=open_[0].b, Zq=open_[0].Z, T=open_[0].T, M=M)
    else:
        tail, bound = float(zeta(beta, M + 1.0)) / Z, 0.0
    total = value + tail
    if bound > rtol * abs(total):
        raise ValueError(f"tail bound {bound:.3g} exceeds rtol={rtol} of {total:.3g}; "
                         "pass a finite N")
    return total


def on_grid(fn: Callable[..., float], **arrays: np.ndarray) -> np.ndarray:
    """Evaluate scalar ``fn(**point)`` over the broadcast grid of ``arrays`` (float64 result)."""
    grid = broadcast(**arrays)
    shape = np.shape(next(iter(grid.values())))
    out = np.empty(shape, dtype=np.float64)
    for idx in np.ndindex(shape):
        out[idx] = fn(**{k: float(v[idx]) for k, v in grid.items()})
    return out
