"""Iterative training on a contaminated source: each round's data mix fresh draws from the truth
with draws from the last fitted model.

The loop (Bakshi and Chakraborty, "From Collapse to Improvement: Statistical Perspectives on the
Evolutionary Dynamics of Iterative Training on Contaminated Sources", 2026, arXiv 2602.10531, the
multinomial next-token model): P is a categorical law on K states. Round 0 fits Phat_0, the
empirical law of n_0 draws from P. Round t >= 1 trains on n_t draws from
Q_t = alpha_t P + (1 - alpha_t) Phat_{t-1} (each draw from the truth with probability alpha_t,
else from the last model) and fits their empirical law Phat_t. The risk is
R_t = E ||Phat_t - P||_2^2.

Derivation (:func:`derive_risk_step`) [exact]: given Q_t, n_t Phat_t is Multinomial(n_t, Q_t), so
E[||Phat_t - P||^2 | Q_t] = (1 - ||Q_t||^2)/n_t + ||Q_t - P||^2. With D = Phat_{t-1} - P,
Q_t - P = (1 - alpha_t) D and E D = 0 (E Phat_t = P at every round), so
E ||Q_t||^2 = ||P||^2 + (1 - alpha_t)^2 R_{t-1} and

    R_t = (1 - ||P||^2)/n_t + ((n_t - 1)/n_t) (1 - alpha_t)^2 R_{t-1},   R_0 = (1 - ||P||^2)/n_0,

the recursion the paper states (its R_t = (n_0/n_t) R_0 + ((n_t - 1)/n_t)(1 - alpha_t)^2 R_{t-1}),
confirmed here by simulation. For constant alpha and n (t >= 1) the risk tends geometrically, at
the rate c = ((n - 1)/n)(1 - alpha)^2, to the stationary risk
R* = (1 - ||P||^2)/(n (1 - c)); alpha = 0 (no fresh data) gives R* = 1 - ||P||^2, a collapsed
point mass. The loop improves at round t (R_t < R_{t-1}) exactly when
(1 - ||P||^2)/n_t < (1 - c_t) R_{t-1}; under constant schedules R_t - R* = c^t (R_0 - R*), so the
risk decreases at every round iff R_0 > R*, i.e. iff n (1 - c) > n_0.

API: ``p`` (the truth) and the schedules are options of the :class:`theory.domain.Grid`, not
broadcast: ``alpha`` is a scalar (a constant schedule) or a 1-D array (alpha_1, ..., alpha_T),
``n_samples`` a scalar or a 1-D array (n_0, n_1, ..., n_T); the broadcast array is the round
``t`` (an integer in [0, T], T the schedules' length). :func:`stationary_risk`, for constant
schedules, broadcasts its constants ``alpha`` and ``n``.

:func:`risk` has a simulator twin in :mod:`sim.contamination`; the ``derive_*`` functions are the
symbolic derivations the tests run.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.domain import Grid, param

__all__ = ["THEORY_ONLY", "derive_risk_step", "derive_stationary_risk", "improves", "risk",
           "stationary_risk", "validate_risk", "validate_stationary"]

#: Public functions with no simulator twin, and why.
THEORY_ONLY = {
    "stationary_risk": "the t -> inf limit of risk under constant schedules, whose twin "
                       "simulates every finite t",
    "improves": "a boolean condition (R_t < R_{t-1}) on the exact recursion of risk",
}

alpha_, n_, R_, S_ = sp.symbols("alpha n R S", positive=True)  # S = ||P||^2


def derive_risk_step(K: int = 3) -> sp.Expr:
    """R_t in terms of R = R_{t-1}, alpha = alpha_t, n = n_t and S = ||P||^2 [exact].

    Derived on K states with symbolic P, D = Phat_{t-1} - P and the second moments of a
    multinomial: E[(Phat_i - P_i)^2 | Q] = Q_i (1 - Q_i)/n + (Q_i - P_i)^2 summed over i, then
    E D_i = 0 and sum_i E D_i^2 = R (linearity: only first and second moments of D enter).
    """
    P = sp.symbols(f"p0:{K}", positive=True)
    D = sp.symbols(f"d0:{K}", real=True)
    Q = [p + (1 - alpha_) * d for p, d in zip(P, D)]
    conditional = sum(q * (1 - q) / n_ + (q - p) ** 2 for q, p in zip(Q, P))
    poly = sp.Poly(sp.expand(conditional), *D)
    out = sp.Integer(0)
    for monomial, coeff in poly.terms():
        degree = sum(monomial)
        if degree == 0:
            out += coeff
        elif degree == 2 and max(monomial) == 2:  # D_i^2: its mean E_i
            out += coeff * sp.Symbol(f"E{monomial.index(2)}")
        elif degree == 2:  # a cross moment E D_i D_j would not reduce to R
            raise AssertionError("cross moments of D enter the risk")
        # degree 1: E D_i = 0
    # the D_i^2 coefficients are equal, so the sum of E D_i^2 is R
    coeffs = {sp.simplify(out.coeff(sp.Symbol(f"E{i}"))) for i in range(K)}
    assert len(coeffs) == 1
    (c,) = coeffs
    constant = out.subs({sp.Symbol(f"E{i}"): 0 for i in range(K)})
    S = sum(p**2 for p in P)
    constant = sp.simplify(sp.expand(constant).subs(P[-1], 1 - sum(P[:-1])))
    target = sp.simplify(sp.expand((1 - S) / n_).subs(P[-1], 1 - sum(P[:-1])))
    if sp.simplify(constant - target) != 0:
        raise AssertionError("the fresh term is not (1 - ||P||^2)/n")
    return sp.factor(c) * R_ + (1 - S_) / n_


def derive_stationary_risk() -> sp.Expr:
    """The fixed point of :func:`derive_risk_step` for constant alpha and n:
    (1 - ||P||^2)/(n (1 - c)), c = ((n - 1)/n)(1 - alpha)^2 [exact]."""
    (root,) = sp.solve(sp.Eq(R_, derive_risk_step()), R_)
    return sp.factor(root)


def _probability_vector(p) -> np.ndarray:
    p = param("p", p, lo=0, hi=1)
    if p.ndim != 1 or p.size < 2 or abs(p.sum() - 1) > 1e-9:
        raise ValueError(f"p must be a 1-D probability vector (>= 2 states, sum 1), got {p!r}")
    return p


def _schedule(name: str, value, *, integer: bool, lo: float, hi: float | None) -> np.ndarray:
    arr = param(name, value, lo=lo, hi=hi, integer=integer)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D schedule over rounds, got shape "
                         f"{arr.shape}")
    return arr


def validate_risk(*, p, alpha, n_samples, t) -> Grid:
    """Validate the contaminated loop (theory and :mod:`sim.contamination` share it).

    Options: ``p`` a 1-D probability vector (>= 2 states); ``alpha`` in [0, 1], a scalar or the
    1-D schedule (alpha_1, ..., alpha_T); ``n_samples`` integers >= 1, a scalar or the 1-D
    schedule (n_0, ..., n_T). Broadcast: ``t``, integers in [0, T] (any t >= 0 when both
    schedules are constant). The options hold the schedules as full arrays over rounds
    0..max t (alpha_0 = 1: round 0 draws from the truth).
    """
    p = _probability_vector(p)
    alpha = _schedule("alpha", alpha, integer=False, lo=0, hi=1)
    n_samples = _schedule("n_samples", n_samples, integer=True, lo=1, hi=None)
    limits = []
    if alpha.ndim:
        limits.append(alpha.size)
    if n_samples.ndim:
        limits.append(n_samples.size - 1)
    hi = min(limits) if limits else None
    t = param("t", t, lo=0, hi=hi, integer=True)
    rounds = int(np.max(t))
    alphas = np.concatenate([[1.0], np.broadcast_to(alpha, (rounds,)) if not alpha.ndim
                             else alpha[:rounds]])
    ns = np.broadcast_to(n_samples, (rounds + 1,)) if not n_samples.ndim \
        else n_samples[:rounds + 1]
    return Grid(dict(t=t), dict(p=p, alpha=alphas.astype(np.float64),
                                n_samples=np.asarray(ns, dtype=np.float64)))


def _path(grid: Grid) -> np.ndarray:
    """R_0..R_max t by the exact recursion."""
    p, alpha, ns = grid.options["p"], grid.options["alpha"], grid.options["n_samples"]
    fresh = 1.0 - float(p @ p)
    R = np.empty(alpha.size)
    R[0] = fresh / ns[0]
    for t in range(1, alpha.size):
        R[t] = fresh / ns[t] + (ns[t] - 1) / ns[t] * (1 - alpha[t]) ** 2 * R[t - 1]
    return R


def risk(*, p, alpha, n_samples, t) -> np.ndarray:
    """E ||Phat_t - P||_2^2 after round t of training on a contaminated source [exact].

    Bakshi and Chakraborty, "From Collapse to Improvement: Statistical Perspectives on the
    Evolutionary Dynamics of Iterative Training on Contaminated Sources", arXiv 2602.10531
    (multinomial model; their risk recursion, re-derived in :func:`derive_risk_step` and confirmed
    by simulation): R_t = (1 - ||P||^2)/n_t + ((n_t - 1)/n_t)(1 - alpha_t)^2 R_{t-1},
    R_0 = (1 - ||P||^2)/n_0.

    Args:
        p: the truth P, a 1-D probability vector of >= 2 states (an option, not broadcast).
        alpha: the truth's share alpha_t of round t's training law, in [0, 1]: a scalar
            (constant) or the 1-D schedule (alpha_1, ..., alpha_T) (an option).
        n_samples: draws per round, integers >= 1: a scalar or the 1-D schedule
            (n_0, ..., n_T) (an option).
        t: the round, integers in [0, T] (broadcast).

    Returns:
        float64 array of t's shape.
    """
    grid = validate_risk(p=p, alpha=alpha, n_samples=n_samples, t=t)
    return np.asarray(_path(grid)[grid["t"]], dtype=np.float64)


def improves(*, p, alpha, n_samples, t) -> np.ndarray:
    """Whether round t lowers the risk, R_t < R_{t-1} [exact]: iff
    (1 - ||P||^2)/n_t < (1 - c_t) R_{t-1}, c_t = ((n_t - 1)/n_t)(1 - alpha_t)^2. Arguments as
    :func:`risk`, with t >= 1; returns a bool array of t's shape."""
    grid = validate_risk(p=p, alpha=alpha, n_samples=n_samples, t=t)
    if np.any(grid["t"] < 1):
        raise ValueError(f"t must be an integer >= 1 (a round after the first fit), got {t!r}")
    R = _path(grid)
    return R[grid["t"]] < R[grid["t"] - 1]


def validate_stationary(*, p, alpha, n) -> Grid:
    """Validate constant schedules: ``p`` a probability vector (an option); ``alpha`` in [0, 1]
    and ``n`` an integer >= 1, broadcast together."""
    return Grid(dict(alpha=param("alpha", alpha, lo=0, hi=1),
                     n=param("n", n, lo=1, integer=True)), dict(p=_probability_vector(p)))


def stationary_risk(*, p, alpha, n) -> np.ndarray:
    """lim_t R_t for constant alpha and n: (1 - ||P||^2)/(n (1 - c)), c = ((n - 1)/n)(1 - alpha)^2
    [exact] (1 - ||P||^2 at alpha = 0, n = 1 as everywhere else: the formula is finite since
    n (1 - c) >= 1). Args: p a probability vector; alpha in [0, 1]; n an integer >= 1 (broadcast).
    Returns: float64 array of the broadcast shape."""
    grid = validate_stationary(p=p, alpha=alpha, n=n)
    p, a, m = grid.options["p"], grid["alpha"], grid["n"]
    c = (m - 1) / m * (1 - a) ** 2
    return np.asarray((1 - p @ p) / (m * (1 - c)), dtype=np.float64)


#: What each parameter means, with the domain its validator enforces (the ``Args`` sections of
#: this module are built from this table, see :mod:`theory._docs`).
ARG_DOCS = {
    "p": "the true categorical law P, a 1-D probability vector of K >= 2 states (an option, not "
         "broadcast).",
    "alpha": "share of fresh draws from the truth, a real in [0, 1]: a scalar (constant "
             "schedule) or the 1-D schedule (alpha_1, ..., alpha_T).",
    "n_samples": "samples per round, integers >= 1: a scalar or the 1-D schedule (n_0, ..., "
                 "n_T).",
    "t": "the round, integers in [0, T] (broadcast; any t >= 0 for constant schedules).",
    "n": "samples per round of a constant schedule, an integer >= 1.",
    "K": "number of states of the symbolic check, an integer >= 2.",
}

from theory._docs import document  # noqa: E402

document(globals(), __all__, ARG_DOCS,
         'Bakshi, Chakraborty, "From Collapse to Improvement: Statistical Perspectives on the '
         'Evolutionary Dynamics of Iterative Training on Contaminated Sources", 2026, arXiv '
         "2602.10531; docs/theory/contamination.md.",
         {"stationary_risk": {"alpha": "share of fresh draws of a constant schedule, a real in "
                                       "[0, 1] (broadcast)."},
          "validate_stationary": {"alpha": "share of fresh draws of a constant schedule, a real "
                                           "in [0, 1] (broadcast)."}})
