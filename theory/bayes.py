"""Iterated learning with Bayesian agents: each generation learns a hypothesis from data produced
by the previous generation's hypothesis.

The chain (Griffiths and Kalish, "Language evolution by iterated learning with Bayesian agents",
Cognitive Science 31(3), 2007, the Beta-Bernoulli example and the general results of their
sections 3-4): generation 0 holds the hypothesis h_0. Generation t + 1 sees n Bernoulli(h_t) data
(k ones), forms the posterior Beta(a + k, b + n - k) under the prior Beta(a, b) and picks h_{t+1}
by its ``learner``:

* ``"sample"``: a posterior sample. (h_t, k_t) is a Gibbs sampler of the joint law
  prior x likelihood, so the law of h_t converges to the prior Beta(a, b) whatever h_0, and the
  data count to the prior predictive Beta-Binomial(n, a, b) (Griffiths and Kalish, section 3).
* ``"map"``: the posterior mode (a + k - 1)/(a + b + n - 2) (a, b >= 1). At a = b = 1 it is the
  maximum-likelihood refit k/n, the Wright-Fisher chain, absorbed at 0 or 1; larger a, b pull
  the chain toward the prior mode (a - 1)/(a + b - 2).
* ``"mean"``: the posterior mean (a + k)/(a + b + n), add-a smoothing: never absorbed,
  shrunk toward the prior mean a/(a + b).

Exact results: every learner maps the count k to a hypothesis whose first two moments given k are
affine and quadratic in k, and k | h is Binomial(n, h), so (E h_t, E h_t^2) follow an exact affine
recursion (:func:`derive_moment_step`); the law itself is that of the (n + 1)-state Markov chain
of the counts (:func:`count_chain`; its stationary law is :func:`stationary_law`). The
categorical version (K hypotheses' weights theta under a Dirichlet(alpha) prior, n categorical
data per generation) closes the same way coordinate by coordinate, for the expected
heterozygosity 1 - ||theta_t||^2 (:func:`heterozygosity_after`).

Every quantity but :func:`stationary_law` has a simulator twin in :mod:`sim.bayes`; the
``derive_*`` functions are the symbolic derivations the tests run.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import stats

from theory.domain import Grid, choice, param

__all__ = [
    "LEARNERS", "THEORY_ONLY", "count_chain", "derive_moment_step", "heterozygosity_after",
    "mean_after", "stationary_law", "validate_beta", "validate_dirichlet", "variance_after",
]

#: How a learner picks its hypothesis from the posterior.
LEARNERS = ("sample", "map", "mean")

#: Public functions with no simulator twin, and why.
THEORY_ONLY = {
    "stationary_law": "the t -> inf law of the count chain (a left eigenvector); the twins "
                      "simulate the moments at every finite t",
    "count_chain": "the transition matrix of the exact finite-state chain of counts",
}

m_, q_, n_, beta_, B_, alpha_ = sp.symbols("m q n beta B alpha", positive=True)


# --- symbolic derivations ------------------------------------------------------------------------

def derive_moment_step(learner: str) -> tuple[sp.Expr, sp.Expr]:
    """(E h', E h'^2) of one generation given E h = m and E h^2 = q, for one coordinate [exact].

    The count is k | h ~ Binomial(n, h): E k and E k(k - 1) from its generating function
    (1 - h + h z)^n. The learner's hypothesis given k:

    * mean / map: h' = (beta + k)/B with beta = alpha, B = A + n (mean; A the prior's total
      mass, alpha the coordinate's) or beta = alpha - 1, B = A - K + n (map, K states; a + b - 2
      for the Beta prior);
    * sample: h' ~ Beta(alpha + k, A + n - alpha - k), whose moments are computed by sympy.stats:
      E h' = (alpha + k)/(A + n), E h'^2 = (alpha + k)(alpha + k + 1)/((A + n)(A + n + 1)).

    Returned in the symbols m, q, n, and beta, B (mean/map) or alpha, B = A + n (sample).
    """
    z, h, k = sp.symbols("z h k", positive=True)
    pgf = (1 - h + h * z) ** n_
    Ek = sp.simplify(sp.diff(pgf, z).subs(z, 1))
    Ek2 = sp.simplify(sp.diff(pgf, z, 2).subs(z, 1) + Ek)

    def average(poly_in_k: sp.Expr) -> sp.Expr:
        """E over k | h, then over h (moments m, q): poly_in_k of degree <= 2 in k."""
        p = sp.Poly(sp.expand(poly_in_k), k)
        by_h = sum(c * {0: 1, 1: Ek, 2: Ek2}[d[0]] for d, c in p.terms())
        ph = sp.Poly(sp.expand(by_h), h)
        return sp.expand(sum(c * {0: 1, 1: m_, 2: q_}[d[0]] for d, c in ph.terms()))

    if learner == "sample":
        from sympy.stats import Beta, E
        x = Beta("x", alpha_ + k, B_ - alpha_ - k)
        first = sp.simplify(E(x))
        second = sp.factor(sp.simplify(E(x**2)))
    else:
        first = (beta_ + k) / B_
        second = first**2
    return sp.factor(average(first)), sp.factor(average(second))


@functools.cache
def _steps(learner: str):
    first, second = derive_moment_step(learner)
    symbols = (m_, q_, n_, alpha_ if learner == "sample" else beta_, B_)
    return sp.lambdify(symbols, first, "numpy"), sp.lambdify(symbols, second, "numpy")


def _coordinate_moments(learner: str, t: np.ndarray, n: np.ndarray, alpha: np.ndarray,
                        total: np.ndarray, K: int, start: np.ndarray) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """(E theta_t, E theta_t^2) of one coordinate of prior mass alpha (total A, K states) started
    at theta_0 = start, by the exact affine recursion of :func:`derive_moment_step`."""
    f1, f2 = _steps(learner)
    if learner == "sample":
        lead, B = alpha, total + n
    elif learner == "mean":
        lead, B = alpha, total + n
    else:
        lead, B = alpha - 1.0, total - K + n
    m, q = start.astype(np.float64), start.astype(np.float64) ** 2
    out_m, out_q = np.array(m, copy=True), np.array(q, copy=True)
    for step in range(1, int(np.max(t)) + 1):
        m, q = f1(m, q, n, lead, B), f2(m, q, n, lead, B)
        here = t == step
        out_m[here], out_q[here] = m[here], q[here]
    return out_m, out_q


def _check_map(learner: str, values: np.ndarray, names: str) -> None:
    if learner == "map" and np.any(values < 1):
        raise ValueError(f"{names} must be real numbers >= 1 for learner='map' (a unimodal "
                         f"posterior, whose mode is (a + k - 1)/(a + b + n - 2)), got "
                         f"{values[values < 1].flat[0]!r}")


def validate_beta(*, t, n, a, b, h0, learner: str = "sample") -> Grid:
    """Validate the Beta-Bernoulli chain (theory and :mod:`sim.bayes` share it): ``t`` an integer
    >= 0 (generation), ``n`` an integer >= 1 (data per generation), ``a``, ``b`` > 0 (the prior;
    >= 1 under ``"map"``), ``h0`` in [0, 1] (the first hypothesis), broadcast together;
    ``learner`` one of ``LEARNERS``."""
    learner = choice("learner", learner, LEARNERS)
    arrays = dict(t=param("t", t, lo=0, integer=True), n=param("n", n, lo=1, integer=True),
                  a=param("a", a, lo=0, lo_open=True), b=param("b", b, lo=0, lo_open=True),
                  h0=param("h0", h0, lo=0, hi=1))
    grid = Grid(arrays, dict(learner=learner))
    _check_map(learner, np.concatenate([np.ravel(grid["a"]), np.ravel(grid["b"])]), "a and b")
    return grid


def _beta_moments(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    g = {k: np.asarray(v, dtype=np.float64) for k, v in grid.arrays.items()}
    t = np.asarray(grid["t"])
    return _coordinate_moments(grid.options["learner"], t, g["n"], g["a"], g["a"] + g["b"], 2,
                               g["h0"])


def mean_after(*, t, n, a, b, h0, learner: str = "sample") -> np.ndarray:
    """E h_t, the mean hypothesis after t generations of iterated Bayesian learning [exact].

    Griffiths and Kalish, "Language evolution by iterated learning with Bayesian agents",
    Cognitive Science 31(3), 2007 (Beta-Bernoulli chain). sample and mean:
    E h_{t+1} = (a + n E h_t)/(a + b + n), so E h_t -> a/(a + b) geometrically at the rate
    n/(a + b + n); map: (a - 1 + n E h_t)/(a + b + n - 2), tending to the prior mode
    (a - 1)/(a + b - 2) (a = b = 1: E h_t = h_0 for ever, the Wright-Fisher martingale).

    Args:
        t: generation, an integer >= 0 (h_0 at t = 0).
        n: data per generation, an integer >= 1.
        a, b: the Beta(a, b) prior, > 0 (>= 1 under ``"map"``).
        h0: the first hypothesis, in [0, 1].
        learner: ``"sample"``, ``"map"`` or ``"mean"``.

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_beta(t=t, n=n, a=a, b=b, h0=h0, learner=learner)
    return np.asarray(_beta_moments(grid)[0], dtype=np.float64)


def variance_after(*, t, n, a, b, h0, learner: str = "sample") -> np.ndarray:
    """Var h_t after t generations of iterated Bayesian learning [exact]: E h_t^2 - (E h_t)^2 by
    the affine recursion of :func:`derive_moment_step` (Griffiths and Kalish 2007, Beta-Bernoulli
    chain). sample: tends to the prior's variance ab/((a + b)^2 (a + b + 1)); map at a = b = 1:
    h_0 (1 - h_0)(1 - (1 - 1/n)^t), the Wright-Fisher fixation; mean: a variance far below the
    prior's (the smoothing shrinks every generation). Arguments as :func:`mean_after`; returns a
    float64 array of the broadcast shape."""
    grid = validate_beta(t=t, n=n, a=a, b=b, h0=h0, learner=learner)
    m, q = _beta_moments(grid)
    return np.asarray(np.maximum(q - m**2, 0.0), dtype=np.float64)


def count_chain(*, n, a, b, learner: str = "sample") -> np.ndarray:
    """The (n + 1) x (n + 1) transition matrix of the data counts, T[k, j] = P(k_{t+1} = j | k_t
    = k) [exact]: Beta-Binomial(n, a + k, b + n - k) (sample) or Binomial(n, g(k)), g the
    posterior mode or mean (map, mean). Scalars: n an integer >= 1, a, b > 0."""
    grid = validate_beta(t=0, n=n, a=a, b=b, h0=0.5, learner=learner)
    if grid.shape:
        raise ValueError("n, a and b must be scalars for count_chain")
    nn, a, b = int(grid["n"]), float(grid["a"]), float(grid["b"])
    k = np.arange(nn + 1)
    if grid.options["learner"] == "sample":
        return stats.betabinom.pmf(k[None, :], nn, a + k[:, None], b + nn - k[:, None])
    g = (a + k - 1) / (a + b + nn - 2) if grid.options["learner"] == "map" \
        else (a + k) / (a + b + nn)
    return stats.binom.pmf(k[None, :], nn, g[:, None])


def stationary_law(*, n, a, b, learner: str = "sample") -> np.ndarray:
    """The stationary law of a generation's data count k = 0..n (shape (n + 1,)) [exact]: the
    left eigenvector of :func:`count_chain` of eigenvalue 1. Given k, the hypothesis is
    Beta(a + k, b + n - k) (sample) or the posterior mode/mean at k. For ``"sample"`` it is the
    prior predictive Beta-Binomial(n, a, b) and h's stationary law is the prior Beta(a, b)
    (Griffiths and Kalish 2007, section 3). Under ``"map"`` with a = 1 or b = 1 the chain can be
    absorbed (at k = 0 or k = n) and has no unique stationary law: a ValueError."""
    T = count_chain(n=n, a=a, b=b, learner=learner)
    if learner == "map" and (float(a) == 1 or float(b) == 1):
        raise ValueError("a and b must be > 1 for the stationary law under learner='map' (with a "
                         "or b = 1 the chain is absorbed at an end: no unique stationary law)")
    size = T.shape[0]
    A = np.vstack([T.T - np.eye(size), np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    law = np.linalg.lstsq(A, rhs, rcond=None)[0]
    return np.asarray(np.clip(law, 0.0, None) / np.clip(law, 0.0, None).sum(), dtype=np.float64)


def validate_dirichlet(*, t, n, alpha, theta0, learner: str = "sample") -> Grid:
    """Validate the Dirichlet-categorical chain: ``t`` an integer >= 0 and ``n`` an integer >= 1
    broadcast together; options ``alpha``, the Dirichlet prior (a 1-D array of K >= 2 values
    > 0, >= 1 under ``"map"``), ``theta0`` a probability vector of the same length, and
    ``learner`` one of ``LEARNERS``."""
    learner = choice("learner", learner, LEARNERS)
    alpha = param("alpha", alpha, lo=0, lo_open=True)
    if alpha.ndim != 1 or alpha.size < 2:
        raise ValueError(f"alpha must be a 1-D array of >= 2 prior masses > 0, got {alpha!r}")
    _check_map(learner, alpha, "alpha")
    theta0 = param("theta0", theta0, lo=0, hi=1)
    if theta0.shape != alpha.shape or abs(theta0.sum() - 1) > 1e-9:
        raise ValueError(f"theta0 must be a probability vector of alpha's length {alpha.size}, "
                         f"got {theta0!r}")
    return Grid(dict(t=param("t", t, lo=0, integer=True), n=param("n", n, lo=1, integer=True)),
                dict(alpha=alpha, theta0=theta0, learner=learner))


def heterozygosity_after(*, t, n, alpha, theta0, learner: str = "sample") -> np.ndarray:
    """E (1 - ||theta_t||^2) after t generations of iterated learning of a categorical law under
    a Dirichlet(alpha) prior [exact] (Griffiths and Kalish 2007, the multinomial generalisation).

    Per coordinate, theta_i is learnt from Binomial(n, theta_i) counts with the Beta(alpha_i,
    A - alpha_i) marginal of the posterior (sample), the mean (alpha_i + c_i)/(A + n) or the mode
    (alpha_i - 1 + c_i)/(A - K + n) (map; alpha >= 1), so E theta_i^2 follows the affine recursion
    of :func:`derive_moment_step`. sample: tends to the prior's 1 - sum alpha_i (alpha_i + 1)/
    (A (A + 1)); map with alpha = 1: (1 - 1/n)^t (1 - ||theta_0||^2), the Wright-Fisher loss of
    diversity.

    Args:
        t: generation, an integer >= 0; n: data per generation, an integer >= 1 (broadcast).
        alpha: the Dirichlet prior, a 1-D array of K >= 2 masses > 0 (>= 1 under ``"map"``).
        theta0: the first hypothesis, a probability vector of length K.
        learner: ``"sample"``, ``"map"`` or ``"mean"``.

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_dirichlet(t=t, n=n, alpha=alpha, theta0=theta0, learner=learner)
    alpha, theta0 = grid.options["alpha"], grid.options["theta0"]
    t, nn = np.asarray(grid["t"]), np.asarray(grid["n"], dtype=np.float64)
    total = float(alpha.sum())
    square = np.zeros(grid.shape)
    for a_i, th_i in zip(alpha, theta0):
        _, q = _coordinate_moments(grid.options["learner"], t, nn, np.full(grid.shape, a_i),
                                   np.full(grid.shape, total), alpha.size,
                                   np.full(grid.shape, th_i))
        square = square + q
    return np.asarray(1.0 - square, dtype=np.float64)


#: What each parameter means, with the domain its validator enforces (the ``Args`` sections of
#: this module are built from this table, see :mod:`theory._docs`).
ARG_DOCS = {
    "t": "generation, an integer >= 0.",
    "n": "data per generation, an integer >= 1.",
    "a": "first parameter of the Beta(a, b) prior, a real > 0 (>= 1 under \"map\").",
    "b": "second parameter of the Beta(a, b) prior, a real > 0 (>= 1 under \"map\").",
    "h0": "the first hypothesis, a real in [0, 1].",
    "learner": "how a learner picks its hypothesis, one of LEARNERS (\"sample\", \"map\", "
               "\"mean\").",
    "alpha": "the Dirichlet prior, a 1-D array of K >= 2 reals > 0 (>= 1 under \"map\").",
    "theta0": "the first hypothesis, a probability vector of alpha's length.",
}

from theory._docs import document  # noqa: E402

document(globals(), __all__, ARG_DOCS,
         'Griffiths, Kalish, "Language evolution by iterated learning with Bayesian agents", '
         "Cognitive Science 31(3), 2007, sections 3-4; docs/theory/bayes.md.")
