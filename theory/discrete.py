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
import math

import numpy as np
import sympy as sp
from scipy import sparse
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


#: Probability mass a truncated Binomial law may leave out: per generation, the skipped counts of
#: negligible weight, each synthetic row, and the fresh real draws (see :func:`_count_law`).
_TAIL = 1e-17


def _window(trials: int, p, tail: float = _TAIL) -> tuple[np.ndarray, np.ndarray]:
    """Counts lo..hi outside which Binomial(trials, p) has mass at most ``tail``.

    Bernstein's inequality for a sum of Bernoulli(p) variables (each within 1 of its mean),
    P(X - trials p >= t) <= exp(-t^2 / (2 (sigma^2 + t/3))) with sigma^2 = trials p (1 - p), and
    the same for the lower tail: each side holds at most tail/2 at
    t = L/3 + sqrt(L^2/9 + 2 L sigma^2), L = log(2/tail) (about 9 sigma at tail = 1e-17).
    """
    p = np.asarray(p, dtype=np.float64)
    L = math.log(2.0 / tail)
    mean = trials * p
    t = L / 3 + np.sqrt(L * L / 9 + 2 * L * mean * (1 - p))
    lo = np.clip(np.ceil(mean - t), 0, trials).astype(np.int64)
    hi = np.clip(np.floor(mean + t), 0, trials).astype(np.int64)
    return lo, hi


def _spread(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated counts lo[r]..hi[r] over rows r, and each count's row."""
    widths = hi - lo + 1
    row = np.repeat(np.arange(lo.size), widths)
    return lo[row] + np.arange(widths.sum()) - (np.cumsum(widths) - widths)[row], row


class _Synthetic:
    """One generation's synthetic draws: count c -> Binomial(trials, c/M), c = 0..M, as a banded
    sparse kernel. Row c is kept on its :func:`_window` (mass at most ``_TAIL`` left out) and
    evaluated with scipy.stats.binom.pmf the first time a law puts more than negligible weight
    near c."""

    def __init__(self, M: int, trials: int):
        self.M, self.trials = M, trials
        self.lo, self.hi = _window(trials, np.arange(M + 1) / M)
        self.built = np.zeros(M + 1, dtype=bool)
        # transpose of the built rows, (trials + 1, M + 1); rows not built are empty columns
        self.matrix = sparse.csc_array((trials + 1, M + 1))

    def __call__(self, law: np.ndarray) -> np.ndarray:
        """sum_c law[c] Binomial(trials, c/M): the rows not built carry the smallest weights,
        at most ``_TAIL`` in total."""
        order = np.argsort(law)
        needed = order[np.cumsum(law[order]) > _TAIL]
        new = needed[~self.built[needed]]
        if new.size:
            # Build a margin of rows around each new one as well (an eighth of the span of the
            # needed counts), so that a law spreading over generations extends the kernel
            # O(log M) times rather than every generation.
            pad = max(8, int(needed.max() - needed.min()) // 8)
            edges = np.zeros(self.M + 2, dtype=np.int64)
            np.add.at(edges, np.clip(new - pad, 0, self.M), 1)
            np.add.at(edges, np.clip(new + pad + 1, 0, self.M + 1), -1)
            new = np.flatnonzero((np.cumsum(edges[:-1]) > 0) & ~self.built)
            counts, row = _spread(self.lo[new], self.hi[new])
            widths = np.zeros(self.M + 1, dtype=np.int64)
            widths[new] = self.hi[new] - self.lo[new] + 1
            block = sparse.csc_array(
                (binom.pmf(counts, self.trials, new[row] / self.M), counts,
                 np.concatenate([[0], np.cumsum(widths)])), shape=self.matrix.shape)
            self.matrix = self.matrix + block  # disjoint columns
            self.built[new] = True
        return self.matrix @ law


@functools.lru_cache(maxsize=4)
def _synthetic(M: int, trials: int) -> _Synthetic:
    return _Synthetic(M, trials)


def _count_law(q: float, M: int, n: int, a: int) -> np.ndarray:
    """Law of one state's count at generation n >= 1 (initial mass q) on 0..M.

    c_1 ~ Binomial(M, q); then c_{t+1} ~ Binomial(M - a, c_t/M) + Binomial(a, q) (a fresh real
    draws under ``mix``, 0 otherwise). Each generation drops at most 3 ``_TAIL`` of probability
    (the skipped weights, the synthetic rows' windows, the real draws' window) and a Markov kernel
    never increases the total-variation distance, so, beyond float64 rounding, every entry is
    below its exact value by at most 3 (n - 1) ``_TAIL`` = 3e-17 (n - 1) (values smaller than
    that are not resolved in relative terms).
    """
    law = binom.pmf(np.arange(M + 1), M, q)
    step = _synthetic(M, M - a)
    if a:
        r_lo, r_hi = (int(x) for x in _window(a, q))
        real = binom.pmf(np.arange(r_lo, r_hi + 1), a, q)
    for _ in range(n - 1):
        law_syn = step(law)
        if a:
            law = np.zeros(M + 1)
            mixed = np.convolve(law_syn, real)
            law[r_lo:r_lo + mixed.size] = mixed
        else:
            law = law_syn
    return law


def expected_lost_mass(*, p, M, n, policy: Policy | str = "replace") -> np.ndarray:
    """E sum_i p_i 1[state i has zero mass at generation n] [exact] (THEORY 3.3).

    replace / mix: the per-state count chain (:func:`_count_law`) from c_1 ~ Binomial(M, p_i),
    each generation's Binomial laws truncated to windows that leave out at most 1e-17 of mass, so
    the result is low by at most 3e-17 (n - 1) (absolute; beyond float64 rounding).
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

    The count chain of :func:`_count_law` with its Binomial rows truncated to windows of about
    9 standard deviations: low by at most 3e-17 (n - 1) (absolute; beyond float64 rounding), in
    O(M sqrt(M)) work per generation instead of O(M^2). n = inf gives q (the frequency is a
    bounded martingale absorbed at 0 or 1)."""
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
