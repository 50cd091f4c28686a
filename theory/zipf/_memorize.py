"""The memorising model on Zipf data: clean, tail-cut, narrowed and mixed training (ToT; HUT).

Queries ``i = 1, 2, ...`` have probability ``p_i = i^-beta / Z`` (``Z = zeta(beta)``, or
``H_N(beta)`` for a vocabulary of ``N`` items); the learner memorises every query it has seen, and
its test error is the real mass of the queries it has not seen (Dohmatob et al., "A Tale of
Tails", ICML 2024, arXiv 2402.07043, section 2, ToT below; docs/theory/zipf.md):

    E = sum_i p_i prod_s (1 - q_i^(s))^(T_s)          [exact]

for ``T_s`` samples from each training law ``q^(s)``. Exact sums use :mod:`theory.zipf._engine`
(``N = None``: head summed exactly, tail bounded to relative ``1e-10``); asymptotic laws use the
constants derived in :mod:`theory.zipf._derive`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from theory._symbolic import numeric
from theory.domain import param
from theory.zipf import _derive as D
from theory.zipf import _engine
from theory.zipf._engine import M_MAX, Source, head_mass, normaliser, on_grid, zeta, zipf_sum
from theory.zipf.domain import (
    N_arg,
    beta_arg,
    k_arg,
    prob_arg,
    validate_capacity,
    validate_memorization,
    validate_mixed,
    validate_narrowed,
    validate_tail_band,
    validate_tail_cut,
)


@functools.cache
def _numeric(name: str):
    """The derivation ``name`` of :mod:`theory.zipf._derive` as a float64 function (lazily:
    sympy runs on first use, not at import)."""
    symbols = {"C_beta": [D.beta, D.Z], "first_correction": [D.beta],
               "narrowed_constant": [D.beta, D.b, D.Z, D.Zq],
               "tail_mass_asymptotic": [D.beta, D.k, D.Z], "crossover": [D.beta, D.k, D.Z],
               "generator_cutoff": [D.beta, D.T0, D.Z]}[name]
    return numeric(getattr(D, name)(), symbols)


def zipf_probs(*, beta, N) -> np.ndarray:
    """``p_i = i^-beta / H_N(beta)``, ``i = 1..N``: shape ``beta.shape + (N,)`` (float64).

    ``N`` is a finite integer (a probability vector must have finite length).
    """
    beta = beta_arg(beta)
    N = param("N", N, lo=1, hi=M_MAX, integer=True)
    if np.ndim(N):
        raise ValueError("N must be a single integer for zipf_probs")
    i = np.arange(1, int(N) + 1, dtype=np.float64)
    w = i ** (-beta[..., None])
    return w / w.sum(-1, keepdims=True)


def zeta_beta(*, beta) -> np.ndarray:
    """Riemann ``zeta(beta)``, the normaliser of the infinite Zipf law (float64)."""
    return zeta(beta_arg(beta))


def C_beta(*, beta) -> np.ndarray:
    """``C_beta = Gamma(1 - 1/beta) / (beta zeta(beta)^(1/beta))`` (ToT Thm 2.1; HUT) [derived]."""
    beta = beta_arg(beta)
    return _numeric("C_beta")(beta=beta, Z=zeta(beta))


def memorization_error(*, beta, T, N=None) -> np.ndarray:
    """Expected test error ``sum_i p_i (1 - p_i)^T`` after ``T`` clean samples [exact].

    ToT section 2 (the clean memoriser); Hutter, "Learning Curve Theory", arXiv 2102.04074,
    section 4; docs/theory/zipf.md. ``N = None``:
    infinite vocabulary, exact head plus a binomial-series tail with a stated bound (relative
    error below 1e-10, checked). ``T`` may be any real >= 0 (the formula is analytic in T).
    """
    grid = validate_memorization(beta=beta, T=T, N=N)
    return on_grid(lambda beta, T, N: zipf_sum(beta, N, [Source(beta, normaliser(beta, N), 1.0, N,
                                                                T)]), **grid.arrays)


def memorization_error_asymptotic(*, beta, T, order: int = 1) -> np.ndarray:
    """``C_beta T^-c (1 + a1/T)``, ``c = 1 - 1/beta`` (``order=0`` drops the correction) [asymp].

    Infinite vocabulary, large ``T``. ``a1 = -(2 - 1/beta)(1 - 1/beta)/2`` is derived by sympy
    (:func:`theory.zipf._derive.first_correction`; docs/theory/zipf.md). The remainder is
    ``O(T^-2)`` relative.
    """
    beta, T = beta_arg(beta), param("T", T, lo=0.0, lo_open=True)
    order = int(param("order", order, lo=0, hi=1, integer=True))
    c = 1.0 - 1.0 / beta
    a1 = _numeric("first_correction")(beta=beta)
    return np.asarray(C_beta(beta=beta) * T ** (-c) * (1.0 + order * a1 / T), dtype=np.float64)


def tail_mass(*, beta, k, N=None) -> np.ndarray:
    """``1 - P_k = sum_{i>k} p_i``: the plateau of the tail-cut error [exact, Hurwitz zeta]."""
    beta, N = beta_arg(beta), N_arg(N)
    k = k_arg(k, N)
    return on_grid(_engine.tail_mass, beta=beta, k=k, N=N)


def tail_mass_asymptotic(*, beta, k) -> np.ndarray:
    """``1 - P_k ~ k^(1-beta) / ((beta-1) zeta(beta))`` for large ``k`` [asymp, derived]."""
    beta, k = beta_arg(beta), param("k", k, lo=1, integer=True)
    return _numeric("tail_mass_asymptotic")(beta=beta, k=k, Z=zeta(beta))


def tail_cut_error(*, beta, T, k, N=None) -> np.ndarray:
    """Error after ``T`` samples of the top-``k`` law ``q_i = p_i 1[i<=k] / P_k`` [exact].

    ``sum_{i<=k} p_i (1 - p_i/P_k)^T + (1 - P_k)`` (ToT section 3, tail cutting;
    docs/theory/zipf.md).
    Scaling stops at the plateau :func:`tail_mass` once ``T >~ k^beta``.
    """
    grid = validate_tail_cut(beta=beta, T=T, k=k, N=N)

    def one(beta, T, k, N):
        Zk = normaliser(beta, N) * head_mass(beta, k, N)
        return zipf_sum(beta, N, [Source(beta, Zk, 1.0, k, T)])

    return on_grid(one, **grid.arrays)


def tail_cut_crossover(*, beta, k) -> np.ndarray:
    """``T* = ((beta-1) zeta(beta) C_beta)^(1/c) k^beta``: clean law meets plateau [asymp]."""
    beta, k = beta_arg(beta), param("k", k, lo=1, integer=True)
    return _numeric("crossover")(beta=beta, k=k, Z=zeta(beta))


def top_p_cutoff(*, beta, p, N=None) -> np.ndarray:
    """Smallest ``k`` with ``P_k >= p``: the effective tail cut of top-p sampling [exact].

    ToT section 3 (top-p sampling; docs/theory/zipf.md; beta = 2: p = 0.9, 0.95, 0.99 give
    k = 6, 12, 61). Integer bisection on the
    Hurwitz-zeta head mass; returned as float64.
    """
    beta, p, N = beta_arg(beta), prob_arg(p), N_arg(N)

    def one(beta, p, N):
        hi = 1.0
        while head_mass(beta, hi, N) < p:
            hi *= 2.0
            if hi > 2.0**53:
                raise ValueError(f"p={p} needs a cut-off above 2^53 at beta={beta}")
        lo = math.floor(hi / 2.0)  # P_lo < p unless lo == 0
        while hi - lo > 1:
            mid = math.floor((lo + hi) / 2.0)
            lo, hi = (lo, mid) if head_mass(beta, mid, N) >= p else (mid, hi)
        return hi

    return on_grid(one, beta=beta, p=p, N=N)


def generator_cutoff(*, beta, T0) -> np.ndarray:
    """Effective ``k`` of a generator trained on ``T0`` clean samples [asymp, derived].

    The generator knows only what it saw; its lost mass ``C_beta T0^-c`` equals the tail mass
    ``k^(1-beta)/((beta-1) zeta(beta))`` at ``k = (beta / ((beta-1) Gamma(1-1/beta)))^(1/(beta-1))
    (T0/zeta(beta))^(1/beta)``, i.e. ``k ~ T0^(1/beta)`` (ToT section 3; docs/theory/zipf.md).
    """
    beta, T0 = beta_arg(beta), param("T0", T0, lo=0.0, lo_open=True)
    return _numeric("generator_cutoff")(beta=beta, T0=T0, Z=zeta(beta))


def temperature_exponent(*, beta, tau) -> np.ndarray:
    """Exponent ``beta/tau`` of a Zipf(beta) law sampled at temperature ``tau`` (``p^(1/tau)``).

    ``tau < 1`` narrows the tail (``beta' > beta``; ToT section 3.2, docs/theory/zipf.md).
    Requires
    ``0 < tau < beta`` so that the result is > 1.
    """
    beta = beta_arg(beta)
    tau = param("tau", tau, lo=0.0, lo_open=True)
    if np.any(tau >= beta):
        raise ValueError("tau must be a real number in (0, beta) so that beta/tau > 1")
    return np.asarray(beta / tau, dtype=np.float64)


def narrowed_error(*, beta, beta_ai, T, N=None) -> np.ndarray:
    """Error after ``T`` samples of a Zipf(``beta_ai``) law on the same vocabulary [exact].

    ``sum_i p_i (1 - q_i)^T``, ``q_i = i^-beta_ai / Z'`` (ToT section 3.2, tail narrowing).
    """
    grid = validate_narrowed(beta=beta, beta_ai=beta_ai, T=T, N=N)
    return on_grid(lambda beta, beta_ai, T, N: zipf_sum(
        beta, N, [Source(beta_ai, normaliser(beta_ai, N), 1.0, N, T)]), **grid.arrays)


def narrowed_error_asymptotic(*, beta, beta_ai, T) -> np.ndarray:
    """``K T^(-(beta-1)/beta_ai)``, ``K = Gamma((beta-1)/beta_ai) zeta(beta_ai)^((beta-1)/beta_ai)
    / (beta_ai zeta(beta))`` [asymp, derived by sympy]; ToT section 3.2, docs/theory/zipf.md.
    Scaling slows, never stops."""
    beta, beta_ai = beta_arg(beta), beta_arg(beta_ai, "beta_ai")
    T = param("T", T, lo=0.0, lo_open=True)
    K = _numeric("narrowed_constant")(beta=beta, b=beta_ai, Z=zeta(beta), Zq=zeta(beta_ai))
    return np.asarray(K * T ** (-(beta - 1.0) / beta_ai), dtype=np.float64)


def mixed_error(*, beta, T, k, pi, N=None) -> np.ndarray:
    """``pi T`` clean samples plus ``(1-pi) T`` top-``k`` samples (ToT section 3.3;
    docs/theory/zipf.md).

    ``sum_{i<=k} p_i (1-p_i)^(pi T) (1-p_i/P_k)^((1-pi) T) + sum_{i>k} p_i (1-p_i)^(pi T)``:
    [exact] when ``pi T`` is an integer (the simulator draws ``round(pi T)`` clean samples).
    Regimes: ``T^-c`` for ``T <~ k^beta``; plateau at the tail mass until ``T ~ k^beta / pi``;
    then ``C_beta (pi T)^-c`` (the "grokking" resumption).
    """
    grid = validate_mixed(beta=beta, T=T, k=k, pi=pi, N=N)

    def one(beta, T, k, pi, N):
        Z = normaliser(beta, N)
        return zipf_sum(beta, N, [Source(beta, Z, 1.0, N, pi * T),
                                  Source(beta, Z * head_mass(beta, k, N), 1.0, k, (1 - pi) * T)])

    return on_grid(one, **grid.arrays)


def tail_band_error(*, beta, T, k, pi, j, N=None) -> np.ndarray:
    """Top-``k`` AI data plus real data only from the deep tail ``i > j`` (``j >= k``) [exact].

    ``(1-pi) T`` samples of ``p`` cut to ``i <= k`` and ``pi T`` samples of ``p`` restricted to
    ``i > j``: ``sum_{i<=k} p_i (1-p_i/P_k)^((1-pi)T) + (P_j - P_k) + sum_{i>j} p_i (1 -
    p_i/(1-P_j))^(pi T)``. The skipped band ``(k, j]`` stays as a floor ``P_j - P_k`` (ToT
    section 3.3; docs/theory/zipf.md).
    """
    grid = validate_tail_band(beta=beta, T=T, k=k, pi=pi, j=j, N=N)

    def one(beta, T, k, pi, j, N):
        Z = normaliser(beta, N)
        sources = [Source(beta, Z * head_mass(beta, k, N), 1.0, k, (1 - pi) * T)]
        if j < N:
            sources.append(Source(beta, Z * _engine.tail_mass(beta, j, N), j + 1.0, N, pi * T))
        return zipf_sum(beta, N, sources)

    return on_grid(one, **grid.arrays)


def capacity_error(*, beta, T, d, N=None, ranking: str = "oracle") -> np.ndarray:
    """Error of an ideal memory of capacity ``d`` that stores only queries ``i <= d`` [exact].

    ``sum_{i<=d} p_i (1 - p_i)^T + (1 - P_d)``: the top-``d`` memory term of ToT section 5
    (docs/theory/zipf.md). Its plateau ``1 - P_d ~ d^(1-beta)/((beta-1) zeta(beta))`` is the
    capacity term of the triplet law ``T^-c + d^-(beta-1) + k^-(beta-1)``. The count-ranked memory
    (store the ``d`` most frequent seen queries, ``ranking="counts"``) has no closed form: a
    ValueError here; :func:`sim.zipf.capacity_error` simulates it.
    """
    grid = validate_capacity(beta=beta, T=T, d=d, N=N, ranking=ranking)
    if grid.options["ranking"] != "oracle":
        raise ValueError("ranking must be 'oracle' for theory.zipf.capacity_error (no closed form "
                         "for ranking='counts'; sim.zipf.capacity_error simulates it)")
    return on_grid(lambda beta, T, d, N: zipf_sum(
        beta, N, [Source(beta, normaliser(beta, N), 1.0, d, T)]), **grid.arrays)
