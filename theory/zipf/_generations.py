"""Several generations of memorising models on Zipf data (Dohmatob et al., "A Tale of Tails",
ICML 2024, arXiv 2402.07043, section 3.1; ToT below). See the Zipf page of the theory reference
(docs/theory/zipf.md).

The two chains, generation ``m = 1..n`` (generation 0 is the real law ``p``):

* ``chain="resample"``: generation ``m`` is trained on ``T0`` draws from generation ``m-1``'s law
  and its law is the empirical law of those draws (it reproduces its training set). Item ``i``'s
  count is then exactly the Wright-Fisher marginal chain ``X_1 ~ Bin(T0, p_i)``,
  ``X_(m+1) ~ Bin(T0, X_m / T0)`` (the Wright-Fisher chain of docs/theory/discrete.md).
* ``chain="cut"``: generation ``m`` is trained on ``T0`` draws from ``p`` restricted to (and
  renormalised on) the set ``K_(m-1)`` of queries generation ``m-1`` has seen (``K_0`` = all): the
  tail-cut law of ToT section 3 with a random cut. ``K_m`` is the set of queries drawn.

The tested model is a memoriser trained on ``T`` draws from generation ``n``'s law; its error is
measured on ``p``. ``T = inf`` gives the mass lost by generation ``n``; ``n = 0`` is the clean
error :func:`memorization_error`.

Resample: [exact] (per-item Wright-Fisher chain, transition matrix of size ``T0 + 1``).
Cut: [asymp] the normaliser ``P(K_(m-1))`` is replaced by its mean (a mean-field recursion); its
fluctuations are ``O(sqrt(sum p_i^2))`` smaller and the simulation agrees within its error bars.
``N = None``: head summed exactly, the tail ``i > M`` is ``S_1 - theta T0 S_2`` with
``theta in [0, 1]`` (``P(i known) <= T0 p_i``); the midpoint is used and the bound ``T0 S_2 / 2``
is checked to be below ``1e-8`` of the result.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
from jax.scipy.special import gammaln, xlog1py, xlogy

from theory.domain import choice, param
from theory.zipf._engine import M_MAX, _pow2, normaliser, on_grid, zeta
from theory.zipf._memorize import C_beta, memorization_error
from theory.zipf.domain import CHAINS, T_arg, beta_arg, validate_generations

#: Largest T0 for the exact resample chain (its transition matrix has (T0+1)^2 entries).
T0_MAX_RESAMPLE = 4096
#: Relative bound promised for the infinite-vocabulary tail of the chains.
RTOL_CHAIN = 1e-8
#: Terms of the per-item binomial mixture kept for items with ``T0 p_i < 1/8`` (the rest is
#: below ``(1/8)^16/16! < 1e-27`` per unit mass).
SMALL_ITEM_TERMS = 16


def _binom_pmf(x, n, p):
    return jnp.exp(gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1) + xlogy(x, p)
                   + xlog1py(n - x, -p))


@functools.partial(jax.jit, static_argnames=("size",))
def _wright_fisher_values(T0, T, n, *, size: int):
    """``h(x) = E[(1 - X_n/T0)^T | X_1 = x]`` for ``x = 0..T0`` (``size = T0 + 1``)."""
    x = jnp.arange(size, dtype=jnp.float64)
    frac = x / T0
    g = jnp.where(jnp.isinf(T), (x == 0).astype(jnp.float64),
                  jnp.exp(xlog1py(jnp.where(jnp.isinf(T), 0.0, T), -frac)))
    P = _binom_pmf(x[None, :], T0, frac[:, None])
    return jax.lax.fori_loop(0, n - 1, lambda _, h: P @ h, g)


@functools.partial(jax.jit, static_argnames=("length", "terms"))
def _mixture_sum(beta, Z, lo, hi, T0, h, *, length: int, terms: int):
    """``sum_{lo<=i<=hi} p_i sum_{x<terms} Bin(x; T0, p_i) h(x)``, blocks of items."""
    block = min(length, 2**14 if terms > SMALL_ITEM_TERMS else 2**18)
    x = jnp.arange(terms, dtype=jnp.float64)

    def one_block(start):
        i = lo + start + jnp.arange(block, dtype=jnp.float64)
        p = jnp.exp(-beta * jnp.log(i)) / Z
        phi = _binom_pmf(x[None, :], T0, p[:, None]) @ h[:terms]
        return jnp.sum(jnp.where(i <= hi, p * phi, 0.0))

    return jax.lax.map(one_block, jnp.arange(0, length, block, dtype=jnp.float64)).sum()


@functools.partial(jax.jit, static_argnames=("length",))
def _cut_chain(beta, Z, upto, T0, T, n, tail2, *, length: int):
    """Mean-field cut chain over items ``i <= upto``; ``tail2 = T0 S_2 / 2`` (tail midpoint)."""
    i = jnp.arange(1, length + 1, dtype=jnp.float64)
    p = jnp.where(i <= upto, jnp.exp(-beta * jnp.log(i)) / Z, 0.0)

    def step(_, carry):
        known, mass = carry
        known = known * -jnp.expm1(T0 * jnp.log1p(-jnp.minimum(p / mass, 1.0)))
        return known, jnp.sum(p * known) + tail2

    known, mass = jax.lax.fori_loop(0, n, step, (jnp.ones_like(p), jnp.float64(1.0)))
    T_finite = jnp.where(jnp.isinf(T), 0.0, T)
    seen = jnp.where(jnp.isinf(T), 1.0,
                     -jnp.expm1(T_finite * jnp.log1p(-jnp.minimum(p / mass, 1.0))))
    return jnp.sum(p * (1.0 - known * seen))


def _chain_head_size(beta: float, T0: float, N: float, Z: float) -> tuple[int, float]:
    """Explicit terms ``M`` and the tail midpoint pieces ``(S_1 - T0 S_2/2, T0 S_2/2)``."""
    if not math.isinf(N):
        return int(N), 0.0
    lower = float(memorization_error(beta=beta, T=T0))  # E_n >= mass lost by generation 1
    M = math.ceil((T0 / (2 * RTOL_CHAIN * lower * (2 * beta - 1) * Z**2)) ** (1 / (2 * beta - 1)))
    M = max(M, math.ceil((8 * T0 / Z) ** (1 / beta)))
    if M > M_MAX:
        raise ValueError(f"T0 is too large for an infinite vocabulary at beta={beta} in a chain "
                         f"({M} explicit terms needed); pass a finite N")
    return M, T0 * float(zeta(2 * beta, M + 1.0)) / Z**2 / 2


def _resample(beta: float, T: float, T0: float, n: int, N: float) -> float:
    Z = normaliser(beta, N)
    M, half = _chain_head_size(beta, T0, N, Z)
    with jax.enable_x64(True):
        h = _wright_fisher_values(jnp.float64(T0), jnp.float64(T), n, size=int(T0) + 1)
        M1 = min(M, math.floor((8 * T0 / Z) ** (1 / beta)))
        big = 0.0
        if M1 >= 1:
            big = float(_mixture_sum(beta, Z, 1.0, float(M1), T0, h, length=_pow2(M1),
                                     terms=int(T0) + 1))
        small = 0.0
        if M > M1:
            terms = min(SMALL_ITEM_TERMS, int(T0) + 1)
            small = float(_mixture_sum(beta, Z, M1 + 1.0, float(M), T0, h,
                                       length=_pow2(M - M1), terms=terms))
    return big + small + _tail(beta, Z, M, N, half)


def _tail(beta: float, Z: float, M: int, N: float, half: float) -> float:
    if not math.isinf(N):
        return 0.0
    return float(zeta(beta, M + 1.0)) / Z - half


def _cut(beta: float, T: float, T0: float, n: int, N: float) -> float:
    Z = normaliser(beta, N)
    M, half = _chain_head_size(beta, T0, N, Z)
    with jax.enable_x64(True):
        head = float(_cut_chain(jnp.float64(beta), jnp.float64(Z), jnp.float64(M), jnp.float64(T0),
                                jnp.float64(T), n, jnp.float64(half), length=_pow2(M)))
    return head + _tail(beta, Z, M, N, half)


def generations_error(*, beta, T, T0, n, chain, N=None) -> np.ndarray:
    """Error of a memoriser trained on ``T`` draws from generation ``n`` of ``chain`` (module doc).

    ``chain="resample"`` [exact] for ``T0 <= T0_MAX_RESAMPLE`` (beyond, a ValueError: the
    simulator twin runs any ``T0``); ``chain="cut"`` [asymp: mean-field normaliser]. ``T = np.inf``
    gives the mass lost by generation ``n``. ToT section 3.1 (iterated tail cutting);
    docs/theory/zipf.md.
    """
    grid = validate_generations(beta=beta, T=T, T0=T0, n=n, chain=chain, N=N)
    chain = grid.options["chain"]
    if chain == "resample" and np.any(grid["T0"] > T0_MAX_RESAMPLE):
        raise ValueError(f"T0 must be an integer in [1, {T0_MAX_RESAMPLE}] for the exact resample "
                         "chain; generations_error_asymptotic covers larger T0")
    fn = _cut if chain == "cut" else _resample

    def one(beta, T, T0, n, N):
        if n == 0:  # the clean memoriser; infinitely many clean samples leave nothing unseen
            return 0.0 if math.isinf(T) else float(
                memorization_error(beta=beta, T=T, N=None if math.isinf(N) else N))
        return fn(beta, T, T0, int(n), N)

    return on_grid(one, **grid.arrays)


def _gw_survival(n: int) -> float:
    """``s_n = 1 - q_(n-1)``, ``q_0 = 0``, ``q_(j+1) = exp(q_j - 1)`` (Poisson(1) Galton-Watson)."""
    q = 0.0
    for _ in range(n - 1):
        q = math.exp(q - 1.0)
    return 1.0 - q


def _cut_factor(c: float, n: int) -> float:
    """``I_n = sum_{j=1..n} (-1)^(j+1) binom(n, j) j^-c`` in exact high-precision arithmetic."""
    with mpmath.workdps(30 + n):
        total = mpmath.fsum((-1) ** (j + 1) * mpmath.binomial(n, j) * mpmath.mpf(j) ** (-c)
                            for j in range(1, n + 1))
        return float(total)


def generation_factor(*, beta, n, chain) -> np.ndarray:
    """Asymptotic ratio ``E_n / E_1`` of the mass lost by generation ``n`` (``T0 -> oo``) [asymp].

    * ``cut``: ``I_n = sum_{j=1..n} (-1)^(j+1) binom(n,j) j^-c``. Derivation: ignoring the
      renormalisation, query ``i`` survives each generation independently with probability
      ``1 - a_i``, ``a_i = (1-p_i)^T0``, so the lost mass is ``sum_i p_i (1 - (1-a_i)^n) =
      sum_j (-1)^(j+1) binom(n,j) E(j T0)`` exactly, and ``E(j T0) ~ C_beta (j T0)^-c``.
      Grows like ``(log n)^c``.
    * ``resample``: ``s_n^-c`` with ``s_n = 1 - q_(n-1)`` of the Poisson(1) Galton-Watson
      recursion ``q_0 = 0, q_(j+1) = exp(q_j - 1)``: for large ``T0`` an item's count is a
      critical Poisson branching process, extinct by generation ``n`` with probability
      ``exp(-T0 p_i s_n)``. Grows like ``(n/2)^c``. beta = 2: 1.258, 1.461, 1.790, 2.409, 3.303
      at n = 2, 3, 5, 10, 20 (docs/theory/zipf.md, worked values).
    """
    chain = choice("chain", chain, CHAINS)
    beta = beta_arg(beta)
    n = param("n", n, lo=1, integer=True).astype(np.float64)

    def one(beta, n):
        c = 1.0 - 1.0 / beta
        return _cut_factor(c, int(n)) if chain == "cut" else _gw_survival(int(n)) ** (-c)

    return on_grid(one, beta=beta, n=n)


def generations_error_asymptotic(*, beta, T, T0, n, chain) -> np.ndarray:
    """``C_beta T^-c + C_beta T0^-c F_n`` with ``F_n`` = :func:`generation_factor` [asymp].

    Infinite vocabulary, large ``T`` and ``T0``; the two terms are added as in ToT (the lost mass
    and the ordinary learning error of the surviving queries). ``T = inf`` drops the first term.
    """
    beta, T = beta_arg(beta), T_arg(T, allow_inf=True)
    T0 = param("T0", T0, lo=0.0, lo_open=True)
    c = 1.0 - 1.0 / beta
    with np.errstate(divide="ignore"):
        clean = np.where(np.isinf(T), 0.0, np.asarray(T, float) ** (-c))
    return np.asarray(C_beta(beta=beta) * (clean + T0 ** (-c) * generation_factor(
        beta=beta, n=n, chain=chain)), dtype=np.float64)


def generations_error_paper(*, beta, T, T0, n) -> np.ndarray:
    """ToT's approximate law after ``n`` generations: ``C_beta (T^-c + n T0^-c)`` [claim].

    The paper's form (ToT section 3.1, "roughly T^-c + n T0^-c"; docs/theory/zipf.md), normalised
    to agree with the exact
    single-generation limit at ``n = 1``. Both exact chains grow sublinearly in ``n``
    (:func:`generation_factor`), so this overestimates the loss for ``n >= 2``.
    """
    beta, T = beta_arg(beta), T_arg(T, allow_inf=True)
    T0 = param("T0", T0, lo=0.0, lo_open=True)
    n = param("n", n, lo=0, integer=True)
    c = 1.0 - 1.0 / beta
    with np.errstate(divide="ignore"):
        clean = np.where(np.isinf(T), 0.0, np.asarray(T, float) ** (-c))
    return np.asarray(C_beta(beta=beta) * (clean + n * T0 ** (-c)), dtype=np.float64)
