"""A Gaussian kernel density estimate refitted to its own samples: the variance does not collapse
while the genealogy of the points coalesces.

The chain (Kazdan, Schaeffer, Dey, Gerstgrasser, Rafailov, Donoho and Koyejo, "Collapse or
Thrive? Perils and Promises of Synthetic Data in a Self-Generating World", 2024, arXiv
2410.16713, the kernel density estimation experiments, under the replace workflow): generation 0
is the truth N(0, sigma^2). Generation 1 is the Gaussian-kernel density fitted to M real draws;
generation k + 1 is the density fitted to M draws from generation k's density,
X'_j = X_{I_j} + h_k Z_j with I_j uniform on the M points and Z_j ~ N(0, 1).

The bandwidth is ``bandwidth="fixed"`` (h_k = h) or ``"silverman"``: re-selected at every
generation by Silverman's rule of thumb on that generation's points, times the factor h (R's
``adjust``): h_k = h (4/(3M))^(1/5) s_k, s_k the points' standard deviation with divisor M - 1
(``scipy.stats.gaussian_kde(bw_method="silverman")`` in one dimension at h = 1).

The quantity :func:`variance_after` is the variance of the fitted density itself,
W_n = V_n + h_n^2, V_n the biased (divisor M) variance of generation n's points (W_0 = sigma^2).
One refit gives E[V' | X] = (1 - 1/M)(V + h^2) exactly (:func:`derive_variance_step`), so

* fixed h: E W_n = c^n sigma^2 + M h^2 (1 - c^n), c = 1 - 1/M, tending to M h^2: no collapse (the
  kernel noise re-inflates what resampling loses; with a bandwidth of Silverman's size
  M h^2 ~ M^(3/5) sigma^2 the variance grows);
* Silverman's rule: h_n^2 = g V_n with g = h^2 (4/(3M))^(2/5) M/(M - 1), so
  E W_n = sigma^2 [(1 - 1/M)(1 + g)]^n [exact]: geometric growth when (1 - 1/M)(1 + g) > 1 (every
  M >= 2 at h = 1).

Meanwhile the points' genealogy is a neutral Wright-Fisher genealogy: :func:`ancestors_after` (the
expected number of distinct real points that are ancestors of generation n) falls to 1, the
time to the most recent common ancestor being about 2M generations.

Every quantity has a simulator twin in :mod:`sim.kde` (which also estimates the held-out
log-likelihood of real data, by simulation only); the ``derive_*`` functions are the symbolic
derivations the tests run.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p

from theory._symbolic import numeric
from theory.domain import Grid, choice, param

__all__ = [
    "BANDWIDTHS", "THEORY_ONLY", "ancestors_after", "derive_silverman_variance",
    "derive_stable_form", "derive_variance_after", "derive_variance_step", "silverman_factor",
    "stationary_variance", "validate_ancestors", "validate_kde", "variance_after",
]

#: Bandwidth rules: a fixed h, or Silverman's rule re-applied at each generation (times h).
BANDWIDTHS = ("fixed", "silverman")

#: Public functions with no simulator twin, and why.
THEORY_ONLY = {
    "silverman_factor": "arithmetic: Silverman's bandwidth factor (4/(3M))^(1/5) of the standard "
                        "deviation",
    "stationary_variance": "the n -> inf limit M h^2 of variance_after (fixed bandwidth), whose "
                           "twin simulates every finite n",
}

n_ = sp.Symbol("n", integer=True, nonnegative=True)
M_, h_, sigma_, V_, g_ = sp.symbols("M h sigma V g", positive=True)


# --- symbolic derivations ------------------------------------------------------------------------

def derive_variance_step() -> sp.Expr:
    """E[V' | X] for one refit, V' the biased variance of M draws X'_j = X_{I_j} + h Z_j [exact].

    With m1, m2 the first two moments of the M points (V = m2 - m1^2): E X'^2 = m2 + h^2 and
    E Xbar'^2 = Var(X')/M + m1^2 = (V + h^2)/M + m1^2, so E V' = E X'^2 - E Xbar'^2
    = (1 - 1/M)(V + h^2).
    """
    m1 = sp.Symbol("m1", real=True)
    m2 = V_ + m1**2
    second = m2 + h_**2                      # E X'^2: a resampled point plus kernel noise
    var_one = second - m1**2                 # Var X' = V + h^2
    mean_square = var_one / M_ + m1**2       # E Xbar'^2 for M independent draws
    return sp.factor(sp.simplify(second - mean_square))


@functools.cache
def derive_variance_after() -> sp.Expr:
    """E W_n for a fixed bandwidth h [exact]: W_{n+1} = (1 - 1/M) W_n + h^2 in expectation
    (W = V + h^2 and :func:`derive_variance_step`), W_0 = sigma^2, solved by sympy's rsolve:
    c^n sigma^2 + M h^2 (1 - c^n), c = 1 - 1/M."""
    W = sp.Function("W")
    c = 1 - 1 / M_
    step = derive_variance_step()
    # E W_{n+1} = E V_{n+1} + h^2 = step(V = W_n - h^2) + h^2
    rhs = sp.expand(step.subs(V_, W(n_) - h_**2) + h_**2)
    assert sp.simplify(rhs - (c * W(n_) + h_**2)) == 0
    sol = sp.rsolve(W(n_ + 1) - rhs, W(n_), {W(0): sigma_**2})
    return sp.simplify(sol)


def silverman_factor(*, M) -> np.ndarray:
    """Silverman's rule of thumb in one dimension: the bandwidth is (4/(3M))^(1/5) times the
    standard deviation (Silverman, "Density Estimation for Statistics and Data Analysis", 1986,
    eq. 3.28, with the sample standard deviation)."""
    M = param("M", M, lo=2, integer=True)
    return np.asarray((4.0 / (3.0 * M)) ** 0.2, dtype=np.float64)


@functools.cache
def derive_silverman_variance() -> sp.Expr:
    """E W_n under Silverman's rule times h [exact]: h_n^2 = h^2 f^2 s_n^2 = g V_n with
    g = h^2 f^2 M/(M - 1), f = (4/(3M))^(1/5), so W_n = (1 + g) V_n and, by
    :func:`derive_variance_step` with the bandwidth of the points being resampled,
    E W_{n+1} = (1 + g)(1 - 1/M) E W_n: E W_n = sigma^2 [(1 - 1/M)(1 + g)]^n."""
    W = sp.Function("W")
    step = derive_variance_step()
    # V_n = W_n/(1 + g), h_n^2 = g V_n: E W_{n+1} = (1 + g) step(V = V_n, h^2 = g V_n)
    v = W(n_) / (1 + g_)
    rhs = (1 + g_) * step.subs(h_, sp.sqrt(g_ * v)).subs(V_, v)
    sol = sp.rsolve(W(n_ + 1) - sp.simplify(rhs), W(n_), {W(0): sigma_**2})
    f2 = (sp.Rational(4, 3) / M_) ** sp.Rational(2, 5)
    return sp.simplify(sol).subs(g_, h_**2 * f2 * M_ / (M_ - 1))


# --- numeric functions ---------------------------------------------------------------------------

def derive_stable_form(bandwidth: str) -> sp.Expr:
    """The closed form of E W_n written for float64 at any n: c^n = exp(n log1p(-1/M)), so that
    neither M^n nor (M - 1)^n is formed (the tests check it equals the derived form)."""
    if bandwidth == "fixed":
        cn = sp.exp(n_ * log1p(-1 / M_))
        return cn * sigma_**2 + M_ * h_**2 * (1 - cn)
    g = h_**2 * (sp.Rational(4, 3) / M_) ** sp.Rational(2, 5) * M_ / (M_ - 1)
    return sigma_**2 * sp.exp(n_ * (log1p(-1 / M_) + log1p(g)))


@functools.cache
def _numeric(bandwidth: str):
    return numeric(derive_stable_form(bandwidth), [n_, M_, h_, sigma_])


def validate_kde(*, n, M, h, sigma=1.0, bandwidth: str = "fixed") -> Grid:
    """Validate the KDE chain (theory and :mod:`sim.kde` share it): ``n`` an integer >= 0 (the
    generation; 0 is the truth), ``M`` an integer >= 2 (points per generation), ``h`` > 0 (the
    bandwidth, or under ``"silverman"`` the factor on Silverman's rule), ``sigma`` > 0,
    broadcast together; ``bandwidth`` one of ``BANDWIDTHS``."""
    arrays = dict(n=param("n", n, lo=0, integer=True), M=param("M", M, lo=2, integer=True),
                  h=param("h", h, lo=0, lo_open=True),
                  sigma=param("sigma", sigma, lo=0, lo_open=True))
    return Grid(arrays, dict(bandwidth=choice("bandwidth", bandwidth, BANDWIDTHS)))


def variance_after(*, n, M, h, sigma=1.0, bandwidth: str = "fixed") -> np.ndarray:
    """E W_n, the variance of the density fitted at generation n (V_n + h_n^2, V_n the biased
    variance of its M points; W_0 = sigma^2) [exact].

    Kazdan et al., "Collapse or Thrive? Perils and Promises of Synthetic Data in a Self-Generating
    World", 2024, arXiv 2410.16713 (KDE experiments, replace workflow); the closed forms are
    derived here (:func:`derive_variance_after`, :func:`derive_silverman_variance`).

    fixed: c^n sigma^2 + M h^2 (1 - c^n), c = 1 - 1/M, tending to M h^2 (no collapse).
    silverman: sigma^2 [(1 - 1/M)(1 + g)]^n, g = h^2 (4/(3M))^(2/5) M/(M - 1) (growth for h = 1).

    Args:
        n: generation, an integer >= 0.
        M: points per generation, an integer >= 2.
        h: the bandwidth (> 0); under ``"silverman"`` the factor on Silverman's rule.
        sigma: the truth's standard deviation (> 0).
        bandwidth: ``"fixed"`` or ``"silverman"``.

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_kde(n=n, M=M, h=h, sigma=sigma, bandwidth=bandwidth)
    return _numeric(grid.options["bandwidth"])(**grid.arrays)


def stationary_variance(*, M, h) -> np.ndarray:
    """lim E W_n = M h^2 for a fixed bandwidth [exact]: the fixed point of
    W -> (1 - 1/M) W + h^2 (Args: M an integer >= 2, h > 0; Returns: float64 array)."""
    M = param("M", M, lo=2, integer=True)
    h = param("h", h, lo=0, lo_open=True)
    return np.asarray(M * h**2, dtype=np.float64)


def validate_ancestors(*, n, M) -> Grid:
    """Validate the genealogy: ``n`` an integer >= 1 (generation 1 holds the M real points),
    ``M`` an integer >= 1, broadcast together."""
    return Grid(dict(n=param("n", n, lo=1, integer=True), M=param("M", M, lo=1, integer=True)))


@functools.cache
def _coalescence_matrix(M: int) -> np.ndarray:
    """P[k, j]: from k lineages, j distinct parents among M after one generation back (k, j in
    0..M): the occupancy law of k balls in M boxes, built ball by ball
    (P_{b+1}(j) = P_b(j) j/M + P_b(j - 1)(M - j + 1)/M)."""
    P = np.zeros((M + 1, M + 1))
    P[0, 0] = 1.0
    j = np.arange(M + 1)
    for b in range(M):
        P[b + 1] = P[b] * j / M
        P[b + 1, 1:] += P[b, :-1] * (M - j[1:] + 1) / M
    return P


def ancestors_after(*, n, M) -> np.ndarray:
    """Expected number of distinct real (generation-1) points that are ancestors of generation
    n's M points [exact].

    Each point of generation k + 1 picks its parent uniformly among the M points of generation k
    (the I_j of the resampling), independently of the kernel noise and of the bandwidth: backwards
    in time the lineages follow the neutral Wright-Fisher coalescent. From K lineages, the number
    of distinct parents is the occupancy count of K balls in M boxes; the law of the count after
    n - 1 generations back from K = M is computed exactly by that (M + 1)-state chain. It falls
    from M (n = 1) towards 1 (a single real ancestor) while E W_n stays near M h^2
    (:func:`variance_after`); for large M, E A_n ~ 2M/(n - 1) once 1 << n << M (Kingman).

    Args:
        n: generation, an integer >= 1.
        M: points per generation, an integer >= 1.

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_ancestors(n=n, M=M)
    n_arr, M_arr = grid["n"], grid["M"]
    out = np.empty(grid.shape)
    for M_value in np.unique(M_arr):
        P = _coalescence_matrix(int(M_value))
        mask = M_arr == M_value
        steps = n_arr[mask] - 1
        law = np.zeros(int(M_value) + 1)
        law[-1] = 1.0
        means = np.empty(int(steps.max()) + 1)
        counts = np.arange(int(M_value) + 1)
        for s in range(int(steps.max()) + 1):
            means[s] = law @ counts
            law = law @ P
        out[mask] = means[steps]
    return np.asarray(out, dtype=np.float64)


#: What each parameter means, with the domain its validator enforces (the ``Args`` sections of
#: this module are built from this table, see :mod:`theory._docs`).
ARG_DOCS = {
    "n": "generation, an integer >= 0 (0 is the truth; >= 1 for ancestors_after).",
    "M": "points per generation, an integer >= 2 (>= 1 for ancestors_after).",
    "h": "the bandwidth, a real > 0 (under \"silverman\" the factor on Silverman's rule).",
    "sigma": "standard deviation of the truth N(0, sigma^2), a real > 0.",
    "bandwidth": "the bandwidth rule, one of BANDWIDTHS (\"fixed\" or \"silverman\").",
}

from theory._docs import document  # noqa: E402

document(globals(), __all__, ARG_DOCS,
         'Kazdan et al., "Collapse or Thrive? Perils and Promises of Synthetic Data in a '
         'Self-Generating World", 2024, arXiv 2410.16713 (the KDE experiments; the closed forms '
         "are derived here); docs/theory/kde.md.")
