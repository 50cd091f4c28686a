"""A categorical law refitted to its own samples: the Wright-Fisher chain (THEORY 3.3).

Generation 0 is the true law p over K states. Generation t >= 1 is the empirical law of M samples
(Shumailov et al., Nature 2024, section "discrete distributions"; Kazdan et al. 2024): with the
``replace`` policy this is the neutral Wright-Fisher chain. The count of one state is itself a
two-allele chain, c_{t+1} ~ Binomial(M, c_t/M), c_1 ~ Binomial(M, p_i), so every per-state quantity
is an exact finite Markov-chain computation. Frequencies are martingales; every state is
eventually lost or fixed, fixed with probability its initial mass; a state of mass q is lost in one
generation with probability (1 - q)^M.

Policies (:mod:`theory.policy`): ``replace``; ``accumulate`` (all samples so far: a state seen once
keeps positive mass forever, so only the first generation loses states); ``mix`` (round(real M)
fresh samples from p each generation: lost states come back). The Zipf law with its tail cut by
resampling is the special case p_i ~ i^-beta (:mod:`theory.zipf`, THEORY 4.5).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy.stats import binom

from theory._symbolic import numeric
from theory.domain import Grid, broadcast, param
from theory.policy import Policy, as_policy

__all__ = ["DISCRETE_POLICIES", "THEORY_ONLY", "derive_loss_probability", "expected_lost_mass",
           "fixation_probability", "loss_probability", "validate_chain", "validate_fixation",
           "validate_loss"]

DISCRETE_POLICIES = ("replace", "accumulate", "mix")

#: Public functions without a simulator twin in :mod:`sim.discrete`, with the reason (the
#: ``derive_*`` and ``validate_*`` functions are not listed): none, every quantity is simulated.
THEORY_ONLY: dict[str, str] = {}

q_, M_ = sp.symbols("q M", positive=True)


def derive_loss_probability() -> sp.Expr:
    """P(a state of mass q gets no sample among M) = Binomial(M, q) pmf at 0 = (1 - q)^M."""
    k = sp.Symbol("k", integer=True, nonnegative=True)
    pmf = sp.binomial(M_, k) * q_**k * (1 - q_) ** (M_ - k)
    return sp.simplify(pmf.subs(k, 0))


@functools.cache
def _loss_numeric():
    """:func:`derive_loss_probability`, derived and lambdified once."""
    return numeric(derive_loss_probability(), [q_, M_])


def validate_loss(*, q, M) -> Grid:
    """Validate one generation of a state of mass ``q`` in [0, 1] with ``M`` >= 1 samples (an
    integer), broadcast together (theory and :mod:`sim.discrete` share it)."""
    return Grid(dict(q=param("q", q, lo=0, hi=1), M=param("M", M, lo=1, integer=True)))


def loss_probability(*, q, M) -> np.ndarray:
    """(1 - q)^M: a state of mass q is lost in one generation of M samples [exact]."""
    return _loss_numeric()(**validate_loss(q=q, M=M).arrays)


def validate_chain(*, p, M, n, policy: Policy | str = "replace") -> Grid:
    """Validate the categorical chain (theory and :mod:`sim.discrete` share it): ``M`` >= 1 and
    ``n`` >= 0 integers broadcast together; options ``p``, a 1-D probability vector of >= 2
    states, and ``policy``, one of ``DISCRETE_POLICIES`` (or a :class:`theory.policy.Policy`)."""
    p = param("p", p, lo=0, hi=1)
    if p.ndim != 1 or p.size < 2 or abs(p.sum() - 1) > 1e-9:
        raise ValueError(f"p must be a 1-D probability vector (>= 2 states, sum 1), got {p!r}")
    return Grid(dict(M=param("M", M, lo=1, integer=True), n=param("n", n, lo=0, integer=True)),
                dict(p=p, policy=as_policy(policy, DISCRETE_POLICIES)))


def validate_fixation(*, q, M, n) -> Grid:
    """Validate the fixation chain (theory and :mod:`sim.discrete` share it): ``q`` in [0, 1],
    ``M`` >= 1 an integer, ``n`` an integer >= 0 or inf, broadcast together."""
    grid = Grid(dict(q=param("q", q, lo=0, hi=1), M=param("M", M, lo=1, integer=True),
                     n=param("n", n, lo=0, allow_inf=True)))
    if np.any(np.isfinite(grid["n"]) & (grid["n"] != np.round(grid["n"]))):
        raise ValueError(f"n must be an integer >= 0 or inf, got {n!r}")
    return grid


@functools.lru_cache(maxsize=64)
def _kernel(M: int, a: int, q: float) -> np.ndarray:
    """Transition matrix of one state's count: Binomial(a, q) + Binomial(M - a, c/M)."""
    c = np.arange(M + 1)
    synthetic = binom.pmf(c[None, : M - a + 1], M - a, c[:, None] / M)  # (M+1, M-a+1)
    if a == 0:
        return synthetic
    real = binom.pmf(np.arange(a + 1), a, q)
    return np.stack([np.convolve(row, real) for row in synthetic])


def _count_law(q: float, M: int, n: int, a: int) -> np.ndarray:
    """Law of one state's count at generation n >= 1 (initial mass q)."""
    law = binom.pmf(np.arange(M + 1), M, q)
    kernel = _kernel(M, a, q if a else 0.0)
    for _ in range(n - 1):
        law = law @ kernel
    return law


def expected_lost_mass(*, p, M, n, policy: Policy | str = "replace") -> np.ndarray:
    """E sum_i p_i 1[state i has zero mass at generation n] [exact] (THEORY 3.3).

    replace / mix: the per-state count chain (:func:`_kernel`) from c_1 ~ Binomial(M, p_i);
    accumulate: sum_i p_i (1 - p_i)^M for every n >= 1 (only the first generation loses states).
    """
    grid = validate_chain(p=p, M=M, n=n, policy=policy)
    p, b, pol = grid.options["p"], grid.arrays, grid.options["policy"]
    out = np.zeros(b["n"].shape)
    for idx in np.ndindex(out.shape):
        m, gens = int(b["M"][idx]), int(b["n"][idx])
        if gens == 0:
            continue
        if pol.name == "accumulate":
            out[idx] = np.sum(p * loss_probability(q=p, M=m))
            continue
        a = int(np.rint(pol.real * m)) if pol.name == "mix" else 0
        out[idx] = sum(pi * _count_law(float(pi), m, gens, a)[0] for pi in p)
    return out


def fixation_probability(*, q, M, n) -> np.ndarray:
    """P(a state of initial mass q holds all M samples at generation n), replace [exact].

    n = inf gives q (the frequency is a bounded martingale absorbed at 0 or 1)."""
    b = broadcast(q=param("q", q, lo=0, hi=1), M=param("M", M, lo=1, integer=True),
                  n=param("n", n, lo=0, allow_inf=True))
    if np.any(np.isfinite(b["n"]) & (b["n"] != np.round(b["n"]))):
        raise ValueError(f"n must be an integer >= 0 or inf, got {n!r}")
    out = np.empty(b["q"].shape)
    for idx in np.ndindex(out.shape):
        q_i, m, gens = float(b["q"][idx]), int(b["M"][idx]), b["n"][idx]
        if not np.isfinite(gens):
            out[idx] = q_i
        elif gens == 0:
            out[idx] = float(q_i == 1.0)
        else:
            out[idx] = _count_law(q_i, m, int(gens), 0)[m]
    return out
