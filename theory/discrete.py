"""A categorical law refitted to its own samples: the Wright-Fisher chain, and relatives.

Generation 0 is the true law p over K states. Generation t >= 1 is the empirical law of M samples
(Shumailov et al., Nature 2024, section "discrete distributions"; Kazdan et al. 2024): with the
``replace`` policy this is the neutral Wright-Fisher chain. The count of one state is itself a
two-allele chain, c_{t+1} ~ Binomial(M, c_t/M), c_1 ~ Binomial(M, p_i), so every per-state quantity
is an exact finite Markov-chain computation. Frequencies are martingales; every state is
eventually lost or fixed, fixed with probability its initial mass; a state of mass q is lost in one
generation with probability (1 - q)^M.

Policies (:mod:`theory.policy`): ``replace``; ``accumulate`` (all samples so far: a state seen once
keeps positive mass forever, so only the first generation loses states); ``mix`` (round(real M)
fresh samples from p each generation: lost states come back); ``fixed-real`` (Bertrand et al.,
ICLR 2024, arXiv:2310.00429: a real sample of M points drawn once is kept in every training set,
with round(ratio M) synthetic points from the previous generation; generation 1 fits the real
sample alone). The Zipf law with its tail cut by resampling is the special case p_i ~ i^-beta
(:mod:`theory.zipf`).

Also here: the Poisson chain of Suresh, Thangaraj and Khandavally ("Rate of Model Collapse in
Recursive Training", AISTATS 2025, arXiv:2412.17646), the expected heterozygosity (diversity) of
the refitted law (Seddik et al., COLM 2024, arXiv:2404.05090) under every policy, and curation by
a reward (Ferbach et al., NeurIPS 2024, arXiv:2407.09499).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import sympy as sp
from scipy import sparse
from scipy.integrate import quad_vec
from scipy.special import digamma as sp_digamma
from scipy.stats import binom

from theory._symbolic import numeric
from theory.domain import Grid, broadcast, param
from theory.policy import Policy, as_policy

__all__ = ["CURATION_POLICIES", "DISCRETE_POLICIES", "THEORY_ONLY", "curated_law", "curated_reward",
           "derive_accumulate_limit", "derive_loss_probability", "derive_mix_heterozygosity",
           "derive_poisson_pgf", "expected_lost_mass", "expected_support",
           "fixation_probability", "heterozygosity", "loss_probability", "poisson_survival",
           "poisson_survival_bounds", "squared_distance", "validate_chain", "validate_curation",
           "validate_fixation", "validate_loss", "validate_moments", "validate_poisson"]

DISCRETE_POLICIES = ("replace", "accumulate", "mix", "fixed-real")

#: Public functions without a simulator twin in :mod:`sim.discrete`, with the reason (the
#: ``derive_*`` and ``validate_*`` functions are not listed).
THEORY_ONLY: dict[str, str] = {
    "poisson_survival_bounds": "bounds on poisson_survival, an exact quantity whose twin "
                               "simulates the chain itself",
}

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
    """E sum_i p_i 1[state i has zero mass at generation n] [exact].

    replace / mix: the per-state count chain (:func:`_count_law`) from c_1 ~ Binomial(M, p_i),
    each generation's Binomial laws truncated to windows that leave out at most 1e-17 of mass, so
    the result is low by at most 3e-17 (n - 1) (absolute; beyond float64 rounding).
    accumulate, fixed-real: sum_i p_i (1 - p_i)^M for every n >= 1 (only the first generation
    loses states: a state seen in the pool or in the kept real sample is in every later training
    set, one absent from generation 1 has mass 0 in every later law).
    """
    grid = validate_chain(p=p, M=M, n=n, policy=policy)
    p, b, pol = grid.options["p"], grid.arrays, grid.options["policy"]
    out = np.zeros(b["n"].shape)
    for idx in np.ndindex(out.shape):
        m, gens = int(b["M"][idx]), int(b["n"][idx])
        if gens == 0:
            continue
        if pol.name in ("accumulate", "fixed-real"):
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


# --------------------------------------------------------------------------------------------
# The Poisson chain (Suresh, Thangaraj and Khandavally, arXiv:2412.17646)

lam_, s_ = sp.symbols("lambda s", positive=True)


def derive_poisson_pgf() -> sp.Expr:
    """E s^X for X ~ Poisson(lambda), summed by sympy: exp(lambda (s - 1)).

    With X_j = n rate_j (an integer for j >= 1), X_{j+1} | X_j ~ Poisson(X_j) = the sum of X_j
    independent Poisson(1) variables: a critical Galton-Watson process with offspring pgf
    f(s) = exp(s - 1). Hence P(X_k = 0 | X_1) = f_{k-1}(0)^{X_1} (f_j: f iterated j times), and
    averaging over X_1 ~ Poisson(n rate_0) with this pgf gives the exact survival
    1 - exp(-n rate_0 (1 - f_{k-1}(0))) of :func:`poisson_survival`.
    """
    x = sp.Symbol("x", integer=True, nonnegative=True)
    return sp.simplify(sp.summation(sp.exp(-lam_) * lam_**x / sp.factorial(x) * s_**x,
                                    (x, 0, sp.oo)))


def validate_poisson(*, n, rate0, k) -> Grid:
    """Validate the Poisson chain (theory and :mod:`sim.discrete` share it): ``n`` >= 1 samples
    per refit and ``k`` >= 0 refits, integers, and ``rate0`` > 0, broadcast together."""
    return Grid(dict(n=param("n", n, lo=1, integer=True),
                     rate0=param("rate0", rate0, lo=0, lo_open=True),
                     k=param("k", k, lo=0, integer=True)))


@functools.lru_cache(maxsize=8)
def _poisson_g(k_max: int) -> np.ndarray:
    """g_0..g_{k_max}: g_0 = 0, g_1 = 1, g_{j+1} = 1 - exp(-g_j)."""
    g = np.zeros(k_max + 1)
    if k_max >= 1:
        g[1] = 1.0
    for j in range(1, k_max):
        g[j + 1] = -math.expm1(-g[j])
    return g


def poisson_survival(*, n, rate0, k) -> np.ndarray:
    """P(rate_k > 0) for the Poisson chain refitted k times on n samples [exact].

    The chain: rate_{j+1} is the mean of n draws from Poisson(rate_j) (the maximum-likelihood
    refit), from rate_0. Once a refit sees only zeros the rate is 0 forever ("collapse").

    Exactly (:func:`derive_poisson_pgf`, a critical Galton-Watson process),
    P(rate_k > 0) = 1 - exp(-n rate_0 g_k) for k >= 1, with g_1 = 1 and g_{j+1} = 1 - exp(-g_j):
    a closed iterated map, not only a bound; k = 0 gives 1. The map satisfies
    1/g_{j+1} - 1/g_j = h(g_j) with h(x) = 1/(1 - e^-x) - 1/x increasing from 1/2 and at most
    1/2 + x/12 on (0, 1], so 2/(k + 1 + (H_k - 1)/3) <= g_k <= 2/(k + 1) (H_k the harmonic
    number; :func:`poisson_survival_bounds`): g_k ~ 2/k, and a rate seen n rate_0 times in the
    first sample survives about n rate_0 refits, as the paper's Theorem on the Poisson model
    states (g_k of order 1/k).

    References: Suresh, Thangaraj and Khandavally, "Rate of Model Collapse in Recursive Training",
    AISTATS 2025, arXiv:2412.17646, section 3 (Poisson and Bernoulli models).

    Args:
        n: samples per refit, an integer >= 1.
        rate0: the initial rate, > 0.
        k: number of refits, an integer >= 0.

    Returns: float64 array of the broadcast shape.
    """
    b = validate_poisson(n=n, rate0=rate0, k=k).arrays
    g = _poisson_g(int(np.max(b["k"])))[b["k"]]
    return np.where(b["k"] == 0, 1.0, -np.expm1(-b["n"] * b["rate0"] * g))


def poisson_survival_bounds(*, n, rate0, k) -> np.ndarray:
    """Lower and upper bounds on :func:`poisson_survival` (trailing axis of 2) [exact bounds].

    1 - exp(-n rate_0 g) at g = 2/(k + 1 + (H_k - 1)/3) and at g = 2/(k + 1), the bounds on
    g_k derived in :func:`poisson_survival` (equal to the exact value at k = 1; k = 0 gives 1).
    """
    b = validate_poisson(n=n, rate0=rate0, k=k).arrays
    k_ = b["k"].astype(np.float64)
    harmonic = np.where(k_ > 0, sp_digamma(k_ + 1) + np.euler_gamma, 0.0)
    lo = 2.0 / (k_ + 1 + (harmonic - 1) / 3)
    hi = 2.0 / (k_ + 1)
    x = b["n"] * b["rate0"]
    out = np.stack([-np.expm1(-x * lo), -np.expm1(-x * hi)], axis=-1)
    return np.where((b["k"] == 0)[..., None], 1.0, out)


# --------------------------------------------------------------------------------------------
# Second moments of the refitted law: heterozygosity, distance to the truth, support

Mm, a_, b_, S_, S0_ = sp.symbols("M a b S S_0", positive=True)


def derive_mix_heterozygosity() -> tuple[sp.Expr, sp.Expr]:
    """One ``mix`` refit of the homozygosity S = sum_i p_i^2, by sympy; returns the coefficients
    (rho, c) of H' = rho H + c H_0 (H = 1 - S, H_0 = 1 - sum_i p_i^2 of the truth).

    Given the law q, b = M - a synthetic counts ~ Multinomial(b, q) and a real counts ~
    Multinomial(a, p), independent: E c_i^2 = b q_i + b(b - 1) q_i^2, likewise for the real ones,
    and the cross term 2 a b q_i p_i. Summed over i, with sum_i q_i p_i = sum_i p_i^2 in
    expectation (E q = p: every policy is unbiased), E S' = [M + b(b-1) S + (2ab + a(a-1)) S_0]/M^2.
    """
    S_next = (a_ + b_ + b_ * (b_ - 1) * S_ + (2 * a_ * b_ + a_ * (a_ - 1)) * S0_) / (a_ + b_) ** 2
    H, H0 = sp.symbols("H H_0")
    H_next = sp.expand(1 - S_next.subs({S_: 1 - H, S0_: 1 - H0}))
    rho, c = sp.simplify(H_next.coeff(H)), sp.simplify(H_next.coeff(H0))
    assert sp.simplify(H_next - rho * H - c * H0) == 0
    return rho, c


def derive_accumulate_limit(order: int = 12) -> sp.Expr:
    """prod_{j>=1} (1 - x^2/j^2) with x^2 = 1/M, the ``accumulate`` limit of H_n/H_0:
    sin(pi x)/(pi x) (Euler's product for the sine), checked by sympy through its logarithm,
    sum_j log(1 - x^2/j^2) = -sum_{k>=1} zeta(2k) x^(2k)/k, to x^``order``."""
    x = sp.Symbol("x", positive=True)
    limit = sp.sin(sp.pi * x) / (sp.pi * x)
    lhs = sp.series(sp.log(limit), x, 0, order + 1).removeO()
    rhs = -sum(sp.zeta(2 * k) * x ** (2 * k) / k for k in range(1, order // 2 + 1))
    assert sp.simplify(sp.expand(lhs - rhs)) == 0
    return limit.subs(x, 1 / sp.sqrt(Mm))


def validate_moments(*, p, M, n, policy: Policy | str = "replace") -> Grid:
    """As :func:`validate_chain` but ``n`` may also be inf (the stationary value)."""
    grid = validate_chain(p=p, M=M, n=0, policy=policy)
    n = param("n", n, lo=0, allow_inf=True)
    if np.any(np.isfinite(n) & (n != np.round(n))):
        raise ValueError(f"n must be an integer >= 0 or inf, got {n!r}")
    return Grid(dict(M=grid["M"], n=n), grid.options)


def _fixed_real_map(M: int, s: int, S0: float) -> tuple[np.ndarray, np.ndarray]:
    """The affine map of (S, A, 1) over one ``fixed-real`` generation t >= 1 -> t + 1, and the
    value at generation 1 (see :func:`heterozygosity`)."""
    L = M + s
    R2 = M + M * (M - 1) * S0  # E sum_i r_i^2, r ~ Multinomial(M, p)
    T = np.array([[s * (s - 1) / L**2, 2 * s / L**2, (R2 + s) / L**2],
                  [0.0, s / L, R2 / L],
                  [0.0, 0.0, 1.0]])
    return T, np.array([R2 / M**2, R2 / M, 1.0])


def _homozygosity(p: np.ndarray, M: int, n: float, pol: Policy) -> float:
    """E sum_i p_{n,i}^2 (see :func:`heterozygosity`)."""
    S0 = float(np.sum(p**2))
    H0 = 1.0 - S0
    if n == 0:
        return S0
    if pol.name == "replace":
        return 1.0 - H0 * (1.0 - 1.0 / M) ** n if np.isfinite(n) else 1.0
    if pol.name == "accumulate":
        if not np.isfinite(n):
            x = math.pi / math.sqrt(M)
            return 1.0 - H0 * math.sin(x) / x
        j = np.arange(1, int(n) + 1, dtype=np.float64)
        return 1.0 - H0 * float(np.prod(1.0 - 1.0 / (M * j**2)))
    if pol.name == "mix":
        a = int(np.rint(pol.real * M))
        b = M - a
        rho, c = b * (b - 1) / M**2, (2 * a * b + a * (a - 1)) / M**2
        stationary = c * H0 / (1.0 - rho)
        if not np.isfinite(n):
            return 1.0 - stationary
        return 1.0 - (stationary + (H0 - stationary) * rho**n)
    s = int(np.rint(pol.ratio * M))
    T, first = _fixed_real_map(M, s, S0)
    if not np.isfinite(n):
        A = first[1]  # the fixed point A* = R2/M is generation 1's value
        return (T[0, 2] + T[0, 1] * A) / (1.0 - T[0, 0])
    return float((np.linalg.matrix_power(T, int(n) - 1) @ first)[0])


def heterozygosity(*, p, M, n, policy: Policy | str = "replace") -> np.ndarray:
    """E[1 - sum_i p_{n,i}^2]: the expected heterozygosity (Gini-Simpson diversity) of the law
    after n refits on M samples [exact]; n = inf gives the limit.

    Every refit is unbiased (E p_n = p), and the second moments close: per generation, with
    H_0 = 1 - sum_i p_i^2 the truth's value,

    * replace: E H_{t+1} = (1 - 1/M) E H_t, so E H_n = (1 - 1/M)^n H_0 (Seddik et al., section 3,
      fully synthetic loop); -> 0.
    * accumulate (generation t holds t M points): E H_{t+1} = (1 - 1/(M (t+1)^2)) E H_t, so
      E H_n = H_0 prod_{j<=n} (1 - 1/(M j^2)) -> H_0 sin(pi/sqrt M)/(pi/sqrt M)
      (:func:`derive_accumulate_limit`): the diversity is never lost.
    * mix (a = round(real M) fresh real points, b = M - a synthetic):
      E H_{t+1} = b(b-1)/M^2 E H_t + (2ab + a(a-1))/M^2 H_0 (:func:`derive_mix_heterozygosity`),
      a contraction with rate b(b-1)/M^2 to H* = (2ab + a(a-1)) H_0 / (M^2 - b(b-1)).
    * fixed-real (a real sample r ~ Multinomial(M, p) kept, s = round(ratio M) synthetic points,
      L = M + s; generation 1 is r/M): with S_t = E sum_i p_{t,i}^2, A_t = E sum_i r_i p_{t,i},
      R_2 = E sum_i r_i^2 = M + M(M-1) sum_i p_i^2: A_{t+1} = (R_2 + s A_t)/L and
      S_{t+1} = (R_2 + 2 s A_t + s + s(s-1) S_t)/L^2. A_1 = R_2/M is already the fixed point, so
      S_t contracts at the rate s(s-1)/L^2 < 1 to S* = (R_2 (1 + 2s/M) + s)/(L^2 - s(s-1)). The
      recursion is stable for every ratio: where Bertrand et al.'s general stability theorem asks
      for a small enough synthetic share lambda, this model is stable for every lambda, the rate
      s(s-1)/(M+s)^2 tending to 1 only as lambda -> inf.

    References: Seddik et al., "How Bad is Training on Synthetic Data? A Statistical Analysis of
    Language Model Collapse", COLM 2024, arXiv:2404.05090; Bertrand et al., "On the Stability of
    Iterative Retraining of Generative Models on their Own Data", ICLR 2024, arXiv:2310.00429.

    Args:
        p: the true law, a 1-D probability vector of >= 2 states.
        M: samples per refit (under fixed-real: the size of the kept real sample), an integer >= 1.
        n: generation, an integer >= 0 or inf.
        policy: ``replace``, ``accumulate``, ``Policy.mix(real)`` or ``Policy.fixed_real(ratio)``.

    Returns: float64 array of the broadcast shape of (M, n).
    """
    grid = validate_moments(p=p, M=M, n=n, policy=policy)
    p, b, pol = grid.options["p"], grid.arrays, grid.options["policy"]
    out = np.empty(grid.shape)
    for idx in np.ndindex(out.shape):
        out[idx] = 1.0 - _homozygosity(p, int(b["M"][idx]), float(b["n"][idx]), pol)
    return out


def squared_distance(*, p, M, n, policy: Policy | str = "replace") -> np.ndarray:
    """E sum_i (p_{n,i} - p_i)^2: the expected squared distance of the law after n refits to the
    truth [exact]; n = inf gives the limit.

    Every policy is unbiased (E p_n = p: the multinomial refits are martingales, and the real data
    of ``mix`` and ``fixed-real`` are drawn from p), so the cross term is sum_i p_i^2 and
    E sum_i (p_{n,i} - p_i)^2 = E sum_i p_{n,i}^2 - sum_i p_i^2 = H_0 - E H_n
    (:func:`heterozygosity`). Stationary values: H_0 (replace), H_0 (1 - sin(x)/x), x = pi/sqrt M
    (accumulate), H_0 - H* (mix, fixed-real).

    References: as :func:`heterozygosity` (Seddik et al., arXiv:2404.05090).

    Returns: float64 array of the broadcast shape of (M, n).
    """
    grid = validate_moments(p=p, M=M, n=n, policy=policy)
    H0 = 1.0 - float(np.sum(grid.options["p"] ** 2))
    return H0 - heterozygosity(p=p, M=M, n=n, policy=policy)


def expected_support(*, p, M, n, policy: Policy | str = "replace") -> np.ndarray:
    """E #{i : p_{n,i} > 0}: the expected number of distinct symbols left after n refits [exact].

    The unique-symbol count of Suresh et al. (arXiv:2412.17646, section on discrete
    distributions). replace / mix: sum_i P(c_{n,i} > 0) by the count chain (as
    :func:`expected_lost_mass`, truncation error below 3e-17 (n - 1) per state); accumulate and
    fixed-real: sum_i (1 - (1 - p_i)^M) for n >= 1. n = 0: the support of p.

    Returns: float64 array of the broadcast shape of (M, n).
    """
    grid = validate_chain(p=p, M=M, n=n, policy=policy)
    p, b, pol = grid.options["p"], grid.arrays, grid.options["policy"]
    out = np.zeros(grid.shape)
    for idx in np.ndindex(out.shape):
        m, gens = int(b["M"][idx]), int(b["n"][idx])
        if gens == 0:
            out[idx] = np.count_nonzero(p)
        elif pol.name in ("accumulate", "fixed-real"):
            out[idx] = np.sum(1.0 - loss_probability(q=p, M=m))
        else:
            a = int(np.rint(pol.real * m)) if pol.name == "mix" else 0
            out[idx] = sum(1.0 - _count_law(float(pi), m, gens, a)[0] for pi in p if pi > 0)
    return out


# --------------------------------------------------------------------------------------------
# Curation by a reward (Ferbach et al., arXiv:2407.09499)


CURATION_POLICIES = ("replace", "mix")


def validate_curation(*, p, reward, K, n, M=np.inf, policy: Policy | str = "replace") -> Grid:
    """Validate the curated chain (theory and :mod:`sim.discrete` share it): ``K`` an integer
    >= 1 or inf, ``n`` an integer >= 0, ``M`` an integer >= 1 or inf, broadcast together;
    options ``p`` (a 1-D probability vector of >= 2 states), ``reward`` (finite reals, one per
    state) and ``policy`` (``replace`` or ``Policy.mix(real)``)."""
    p = validate_chain(p=p, M=1, n=0).options["p"]
    try:
        r = np.asarray(reward, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"reward must be a finite real vector with one entry per state, got "
                         f"{reward!r}") from exc
    if r.shape != p.shape or not np.all(np.isfinite(r)):
        raise ValueError(f"reward must be a finite real vector with one entry per state "
                         f"({p.size}), got {reward!r}")
    if np.ptp(r[p > 0]) > 700:
        raise ValueError(f"reward must span at most 700 over the states of positive mass (the "
                         f"weights exp(reward) would underflow), got a span of "
                         f"{np.ptp(r[p > 0]):g}")
    arrays = dict(K=param("K", K, lo=1, allow_inf=True), n=param("n", n, lo=0, integer=True),
                  M=param("M", M, lo=1, allow_inf=True))
    for name in ("K", "M"):
        v = arrays[name]
        if np.any(np.isfinite(v) & (v != np.round(v))):
            raise ValueError(f"{name} must be an integer >= 1 or inf, got {v!r}")
    return Grid(arrays, dict(p=p, reward=r, policy=as_policy(policy, CURATION_POLICIES)))


def _curate(p: np.ndarray, reward: np.ndarray, K: float) -> np.ndarray:
    """One round of curation with an infinite retraining sample (see :func:`curated_law`).

    ``p`` is renormalised first: the map sends a vector of sum S to one of sum S^K, so rounding
    errors in the sum would otherwise grow K-fold per round."""
    p = p / p.sum()
    if K == 1:
        return p
    on = p > 0
    w = np.zeros_like(p)
    w[on] = np.exp(reward[on] - reward[on].max())
    if not np.isfinite(K):
        return p * w / np.sum(p * w)
    q, v = p[on], w[on]

    def integrand(t: float) -> np.ndarray:  # s = e^t, ds = e^t dt
        e = np.exp(-v * math.exp(t))
        return K * q * v * e * np.sum(q * e) ** (K - 1) * math.exp(t)

    # The integrand's scales are 1/v_j and 1/(K E v); below s0 it is K q v (1 + O(s0)), beyond
    # s1 every term is below e^-80 of its peak.
    s0 = 1e-18 / (K * v.max())
    s1 = 80.0 / (v.min() * (K - 1) + v.min())
    marks = np.log(np.concatenate([1.0 / v, [1.0 / (K * np.sum(q * v))]]))
    edges = np.unique(np.clip(np.concatenate([[math.log(s0), math.log(s1)], marks]),
                              math.log(s0), math.log(s1)))
    total = K * q * v * s0
    for lo, hi in itertools.pairwise(edges):
        total = total + quad_vec(integrand, lo, hi, epsabs=1e-17, epsrel=1e-13)[0]
    out = np.zeros_like(p)
    out[on] = total
    return out


@functools.lru_cache(maxsize=64)
def _curated_path(p: tuple, reward: tuple, K: float, n: int, real: float) -> np.ndarray:
    """Laws 0..n of the curated chain with an infinite retraining sample, a share ``real`` of
    each round's data fresh from p."""
    laws = [np.array(p)]
    for _ in range(n):
        laws.append(real * laws[0] + (1 - real) * _curate(laws[-1], np.array(reward), K))
    return np.array(laws)


def _curated_counts(p: np.ndarray, reward: np.ndarray, K: float, n: int, M: int,
                    a: int) -> np.ndarray:
    """E p_n for two states and M samples per round (a of them fresh from p): the count chain
    c -> Binomial(M - a, f(c/M)) + Binomial(a, p_0), f the first coordinate of one round."""
    c = np.arange(M + 1)
    f = np.array([_curate(np.array([x, 1 - x]), reward, K)[0] for x in c / M])
    real = binom.pmf(np.arange(a + 1), a, p[0])
    kernel = np.stack([np.convolve(row, real)
                       for row in binom.pmf(c[None, : M - a + 1], M - a, f[:, None])])
    law = np.convolve(binom.pmf(c[: M - a + 1], M - a, _curate(p, reward, K)[0]), real)
    for _ in range(n - 1):
        law = law @ kernel
    mean = law @ c / M
    return np.array([mean, 1 - mean])


def curated_law(*, p, reward, K, n, M=np.inf, policy: Policy | str = "replace") -> np.ndarray:
    """E p_n: the law after n rounds of curation by a reward (trailing axis: the states) [exact].

    A round draws K candidates from the current law and keeps one, candidate j with probability
    exp(r(x_j)) / sum_l exp(r(x_l)) (a Bradley-Terry / Luce choice); the next law is fitted to M
    kept samples (M = inf: the law of one kept sample). With an infinite sample, one round maps p
    to (derived here, by averaging over the other K - 1 candidates and writing
    1/a = int_0^inf e^(-a s) ds)

        p'_i = K p_i w_i int_0^inf e^(-w_i s) phi(s)^(K-1) ds,   phi(s) = sum_j p_j e^(-w_j s),

    w = exp(r) (shift-invariant; the integrals by adaptive quadrature in log s, split at the
    scales 1/w_j, relative error ~1e-13; rewards may span up to 700 nats).
    K = 1 leaves p unchanged; K -> inf gives p e^r / E_p e^r (the K = inf case), Ferbach et
    al.'s limit; the expected reward increases every round and the law concentrates on the
    states of maximal reward (their Theorem 2.1).

    ``Policy.mix(real)``: a share of each round's data is fresh from p (M = inf: the law
    real p + (1 - real) p'; finite M: round(real M) fresh samples). The reward then stays bounded
    away from its maximum and the law from a point mass: with an infinite sample the chain
    converges to the fixed point of q -> real p + (1 - real) G(q) (G: one curation round),
    which keeps at least a share ``real`` of p.

    Finite M: E p_1 = p' for every M; after more rounds the refits' noise (Wright-Fisher drift
    with selection) changes E p_n. It is computed exactly for two states (the count chain
    c_{t+1} ~ Binomial(M - a, f(c_t/M)) + Binomial(a, p_0), a fresh real samples, dense,
    M <= 5000); for more states and n >= 2 it has no closed form (a ValueError;
    :func:`sim.discrete.curated_law` simulates it).

    References: Ferbach, Bertrand, Bose and Gidel, "Self-Consuming Generative Models with Curated
    Data Provably Optimize Human Preferences", NeurIPS 2024, arXiv:2407.09499, section 2.

    Args:
        p: the initial law, a 1-D probability vector of >= 2 states.
        reward: one finite real reward per state (negative allowed).
        K: candidates per kept sample, an integer >= 1 or inf.
        n: rounds, an integer >= 0.
        M: kept samples per round, an integer >= 1 or inf (default).
        policy: ``replace`` (default) or ``Policy.mix(real)``.

    Returns: float64 array of the broadcast shape of (K, n, M) plus a trailing axis of len(p).
    """
    grid = validate_curation(p=p, reward=reward, K=K, n=n, M=M, policy=policy)
    p, r, b = grid.options["p"], grid.options["reward"], grid.arrays
    real = grid.options["policy"].real
    out = np.empty(grid.shape + p.shape)
    for idx in np.ndindex(grid.shape):
        K_, n_, M_ = float(b["K"][idx]), int(b["n"][idx]), float(b["M"][idx])
        a = int(np.rint(real * M_)) if np.isfinite(M_) else 0
        if not np.isfinite(M_) or n_ <= 1:
            share = real if not np.isfinite(M_) else a / M_
            top = int(grid.max("n")) if not np.isfinite(M_) else n_  # one path per (K, M)
            out[idx] = _curated_path(tuple(p), tuple(r), K_, top, share)[n_]
        elif p.size == 2 and M_ <= 5000:
            out[idx] = _curated_counts(p, r, K_, n_, int(M_), a)
        else:
            raise ValueError(f"M must be inf (or <= 5000 with two states) for the theory of "
                             f"curated_law after n >= 2 rounds, got M={M_:g} with {p.size} "
                             f"states; sim.discrete.curated_law simulates it")
    return out


def curated_reward(*, p, reward, K, n, M=np.inf,
                   policy: Policy | str = "replace") -> np.ndarray:
    """E sum_i p_{n,i} r_i: the expected reward after n rounds of curation [exact].

    See :func:`curated_law` (same arguments and regimes); increasing in n at M = inf.

    Returns: float64 array of the broadcast shape of (K, n, M).
    """
    law = curated_law(p=p, reward=reward, K=K, n=n, M=M, policy=policy)
    return law @ validate_curation(p=p, reward=reward, K=1, n=0).options["reward"]


# --------------------------------------------------------------------------------------------
# Documentation: every public function's Args (domains as the validators enforce them)

#: What each parameter means, with the domain its validator enforces.
ARG_DOCS = {
    "p": "the true law, a 1-D probability vector of >= 2 states (summing to 1).",
    "M": "samples per refit, an integer >= 1 (broadcast; under ``fixed-real`` the size of the "
         "kept real sample).",
    "n": "generation (number of refits), an integer >= 0 (broadcast).",
    "policy": "the data policy: one of ``DISCRETE_POLICIES`` (``replace``, ``accumulate``, "
              "``Policy.mix(real)``, ``Policy.fixed_real(ratio)``) or its name.",
    "q": "initial mass of one state, a real in [0, 1] (broadcast).",
    "rate0": "the initial Poisson rate, a real > 0 (broadcast).",
    "k": "number of refits of the Poisson rate, an integer >= 0 (broadcast).",
    "reward": "one finite real reward per state of p (spanning at most 700 over the states of "
              "positive mass).",
    "K": "candidates drawn per kept sample, an integer >= 1 or inf (broadcast).",
    "order": "the order in x = 1/sqrt(M) to which the series identity is checked, an even "
             "integer >= 2.",
}

_N_INF = {"n": "generation, an integer >= 0 or inf (the limit) (broadcast)."}
_CURATION = {"p": "the initial law, a 1-D probability vector of >= 2 states.",
             "n": "rounds of curation, an integer >= 0 (broadcast).",
             "M": "kept samples per round, an integer >= 1 or inf (the default; broadcast).",
             "policy": "``replace`` (the default) or ``Policy.mix(real)``."}
#: Per-function domains that differ from :data:`ARG_DOCS`.
ARG_OVERRIDES = {
    "loss_probability": {"M": "samples in the generation, an integer >= 1 (broadcast)."},
    "validate_loss": {"M": "samples in the generation, an integer >= 1 (broadcast)."},
    "fixation_probability": _N_INF,
    "validate_fixation": _N_INF,
    "validate_moments": _N_INF,
    "squared_distance": _N_INF,
    "poisson_survival_bounds": {"n": "samples per refit, an integer >= 1 (broadcast)."},
    "validate_poisson": {"n": "samples per refit, an integer >= 1 (broadcast)."},
    "curated_reward": _CURATION,
    "validate_curation": _CURATION,
}

from theory._docs import document  # noqa: E402

document(globals(), __all__, ARG_DOCS,
         'Shumailov et al., "AI models collapse when trained on recursively generated data", '
         "Nature 631 (2024), arXiv 2305.17493, the discrete model of Section 4; Suresh, "
         "Thangaraj, Khandavally, arXiv 2412.17646; Seddik et al., arXiv 2404.05090; Ferbach et "
         "al., arXiv 2407.09499; docs/theory/discrete.md.", ARG_OVERRIDES)
