"""Curating synthetic data with a verifier (Feng, Dohmatob, Yang, Charton, Kempe, "Beyond Model
Collapse: Scaling Up with Synthesized Data Requires Verification", 2024, arXiv 2406.07515, BMC
below). See the verification page of the theory reference (docs/theory/verification.md).

The model (ours; see "Differences from the paper" below):

* real data: y = +-1 with probability 1/2, x = y mu + z, z ~ N(0, I_d); ``mu`` is the signal
  strength ||mu||; the Bayes classifier sign(mu.x) has accuracy Phi(mu);
* a generator labels each of ``n`` fresh real inputs, wrongly with probability ``p``, independently
  of x (symmetric label noise);
* a verifier keeps a correctly labelled sample with probability ``phi`` and a wrongly labelled one
  with probability ``psi``. Execution feedback (Llama 3.1: only solutions that pass the tests are
  kept) is the end ``phi = 1, psi ~ 0``;
* a linear classifier is trained on the kept samples and evaluated on fresh real data.

Exact facts: the number kept is Binomial(n, kept_fraction), and given the number kept the number
of wrong labels among them is Binomial(n_kept, effective_noise) (independent thinning). The
classifier crosses to the wrong side when effective_noise > 1/2, i.e. p > critical_noise =
phi/(phi + psi) = 1/(1 + psi/phi) (BMC's breakdown point p_*).

Which classifier the accuracy formulas describe:

* :func:`accuracy` [exact, finite n and d] and :func:`accuracy_proportional` [asymp, n, d -> inf
  with d/n fixed] describe the *averaging* (mean-difference) classifier
  w = (1/n_kept) sum_i y_i x_i,
  whose test accuracy is Phi(w.mu/||w||);
* :func:`accuracy_limit` [asymp, n -> inf at fixed d] holds for the averaging classifier and for
  any classifier whose population minimiser under symmetric label noise is along +-mu (logistic
  and ridge least squares, by rotational symmetry): Phi(mu) below the threshold, 1/2 on it,
  1 - Phi(mu) above. The optax-trained classifiers of :mod:`sim.verification` are compared with
  this limit only.

Iterating (:func:`iterated_error`): the classifier just trained becomes the next generator, and
(our modelling choice) it mislabels fresh samples independently with its error rate on real data.

The memorising Zipf model (:func:`zipf_error`, ToT section 2 model with a verifier): query i has
probability i^-beta/H_N(beta); the generator knows queries i <= k and answers them wrongly with
probability p, answers queries i > k always wrongly; the verifier keeps right answers with
probability phi and wrong ones with psi; the learner memorises every kept (query, answer) pair and
answers a query with one of its kept answers chosen without regard to correctness (e.g. the
latest), or wrongly if it kept none. Then, with a_i the generator's probability of a right answer,

    kept share of query i   r_i = p_i (a_i phi + (1 - a_i) psi)
    wrong share among kept  q_i = (1 - a_i) psi/(a_i phi + (1 - a_i) psi)
    E_test = sum_i p_i [q_i + (1 - q_i)(1 - r_i)^T]                                   [exact]

The floor sum_i p_i q_i is the error of verified-but-wrong answers; the second term is the
memorisation (scaling-law) term at the reduced sample rate r_i.

Differences from the paper. BMC's generator and verifier are themselves linear classifiers, so
their errors depend on x (they concentrate near the decision boundaries); here errors are
independent of x. BMC states the phase transition in a high-dimensional limit; we give
the exact finite-(n, d) accuracy of the averaging classifier, its proportional limit (derived
below) and the large-sample limit, and check all three by simulation. A numerical check with
BMC-style linear generator and verifier (notebooks/verification.py) finds the side of the
transition still given by effective_noise < 1/2, but the level below it is not Bayes: x-dependent
errors tilt the learned direction. The derivations here are ours, for this model; the threshold
p_* = 1/(1 + psi/phi) agrees with BMC's breakdown point.

The ``derive_*`` functions are the symbolic derivations the tests run.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
import sympy.stats as sps
from numpy.polynomial.hermite_e import hermegauss
from scipy import interpolate, special, stats

from theory._symbolic import numeric
from theory.domain import Grid, param

__all__ = [
    "THEORY_ONLY", "accuracy", "accuracy_limit", "accuracy_proportional",
    "collapse_dimension_ratio", "critical_noise", "effective_noise", "iterated_error",
    "kept_fraction", "validate_classifier", "validate_collapse", "validate_critical",
    "validate_iterated", "validate_kept", "validate_limit", "validate_verifier", "validate_zipf",
    "zipf_error", "zipf_probs", "zipf_terms",
]

#: Public functions without a simulator twin in :mod:`sim.verification`, with the reason (the
#: ``derive_*`` and ``validate_*`` functions are not listed).
THEORY_ONLY = {
    "critical_noise": "a threshold of the closed form (the generator error at which "
                      "effective_noise = 1/2), not an expectation; the simulated effective_noise "
                      "and accuracy are tested on both sides of it",
    "accuracy_limit": "the n -> inf limit at fixed d, not a finite-sample quantity; simulated "
                      "through accuracy and sim.verification.trained_accuracy at large n",
    "collapse_dimension_ratio": "a threshold of the proportional recursion (the d/n at which "
                                "its slope at p = 1/2 is 1), not an expectation; the simulated "
                                "iterated_error is tested on both sides of it",
    "zipf_probs": "helper: the Zipf law p_i = i^-beta / H_N(beta) as a float64 vector",
    "zipf_terms": "helper shared with the simulator: each query's kept share r_i and wrong "
                  "share q_i",
}

p_, phi_, psi_ = sp.symbols("p phi psi", nonnegative=True)
mu_, d_, n_ = sp.symbols("mu d n", positive=True)
a_ = sp.Symbol("a", real=True)  # 1 - 2 * effective noise


def _Phi(x: sp.Expr) -> sp.Expr:
    """Standard normal CDF."""
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


# --- symbolic derivations ------------------------------------------------------------------------

def derive_kept_fraction() -> sp.Expr:
    """P(kept) = P(right) P(keep | right) + P(wrong) P(keep | wrong) = (1 - p) phi + p psi."""
    return sp.expand((1 - p_) * phi_ + p_ * psi_)


def derive_effective_noise() -> sp.Expr:
    """Bayes' rule: P(wrong | kept) = p psi / P(kept) [exact]."""
    return p_ * psi_ / derive_kept_fraction()


def derive_critical_noise() -> sp.Expr:
    """Solve effective_noise(p) = 1/2 for p: p_* = phi/(phi + psi) = 1/(1 + psi/phi)."""
    (root,) = sp.solve(sp.Eq(derive_effective_noise(), sp.Rational(1, 2)), p_)
    return sp.simplify(root)


def derive_proportional_moments() -> dict[str, sp.Expr]:
    """Moments behind the proportional limit. With N kept samples, a = mean of the +-1 signs
    (1 - 2 q in expectation, variance 4 q (1 - q)/N -> 0), and w = a mu + g/sqrt(N), g ~ N(0, I_d),
    write g = g1 mu/||mu|| + g_perp: w.mu = a mu^2 + mu g1/sqrt(N), ||w||^2 = a^2 mu^2
    + 2 a mu g1/sqrt(N) + X/N with X = ||g||^2 ~ chi2_d. Returns means and variances given a (by
    sympy.stats; the variance of ||w||^2 as the sum over its independent random terms, g1 and
    the g_perp part of X, plus their covariance 2 a mu E[g1 g1^2]/N^1.5 = 0); with d = gamma N
    both variances vanish as N -> inf."""
    g1 = sps.Normal("g1", 0, 1)
    X = sps.ChiSquared("X", d_)
    dot = a_ * mu_**2 + mu_ * g1 / sp.sqrt(n_)
    return {
        "E_dot": sp.simplify(sps.E(dot)), "Var_dot": sp.simplify(sps.variance(dot)),
        "E_norm2": sp.simplify(a_**2 * mu_**2 + sps.E(2 * a_ * mu_ * g1 / sp.sqrt(n_) + X / n_)),
        "Var_norm2": sp.expand(sps.variance(2 * a_ * mu_ * g1 / sp.sqrt(n_))
                               + sps.variance(X) / n_**2
                               + 2 * sps.E(2 * a_ * mu_ * g1**3) / n_ ** sp.Rational(3, 2)),
    }


@functools.cache
def derive_accuracy_proportional() -> sp.Expr:
    """[asymp] n, d -> inf with d/n fixed: w.mu/||w|| -> E_dot/sqrt(E_norm2) (both concentrate),
    with n the expected number kept, n * kept_fraction; accuracy = Phi of it:
    Phi((1 - 2q) mu / sqrt((1 - 2q)^2 + d/(n f mu^2))), f = kept_fraction, q = effective_noise."""
    m = derive_proportional_moments()
    margin = sp.simplify(m["E_dot"] / sp.sqrt(m["E_norm2"]) / mu_)  # a mu/sqrt(a^2 mu^2 + d/N)
    kept = n_ * derive_kept_fraction()
    return _Phi(mu_ * margin.subs({a_: 1 - 2 * derive_effective_noise(), n_: kept}))


def derive_accuracy_limit() -> sp.Expr:
    """[asymp] n -> inf at fixed d of the proportional form: the margin a mu/sqrt(a^2 mu^2)
    -> sign(a) mu, so Phi(mu) (Bayes) for q < 1/2 and 1 - Phi(mu) for q > 1/2."""
    margin = a_ * mu_ / sp.sqrt(a_**2 * mu_**2 + d_ / n_)  # the cosine of w and mu
    pos = sp.limit(margin.subs(a_, sp.Symbol("A", positive=True)), n_, sp.oo)
    neg = sp.limit(margin.subs(a_, -sp.Symbol("A", positive=True)), n_, sp.oo)
    return sp.Piecewise((_Phi(mu_ * pos), a_ > 0), (sp.Rational(1, 2), sp.Eq(a_, 0)),
                        (_Phi(mu_ * neg), True))


def derive_execution_feedback_limit() -> sp.Expr:
    """phi = 1, psi -> 0 (only verified solutions survive): the effective noise -> 0 for p < 1."""
    return sp.limit(derive_effective_noise().subs(phi_, 1), psi_, 0)


def derive_iteration_slope() -> sp.Expr:
    """No verifier (phi = psi = 1), iterated in the proportional limit: p' = 1 - A(p) with
    A = Phi((1-2p) mu/sqrt((1-2p)^2 + d/(n mu^2))). p = 1/2 is a fixed point; its slope is
    dp'/dp at p = 1/2 = 2 mu^2 sqrt(n/d)/sqrt(2 pi)."""
    nxt = 1 - derive_accuracy_proportional().subs({phi_: 1, psi_: 1})
    return sp.simplify(sp.diff(nxt, p_).subs(p_, sp.Rational(1, 2)))


def derive_collapse_dimension_ratio() -> sp.Expr:
    """Slope < 1 (chance accuracy attracts: collapse) iff d/n > this ratio: 2 mu^4/pi."""
    gamma = sp.Symbol("gamma", positive=True)  # d/n
    slope = derive_iteration_slope().subs(d_, gamma * n_)
    (root,) = sp.solve(sp.Eq(slope, 1), gamma)
    return sp.simplify(root)


# --- validation ----------------------------------------------------------------------------------

# Each public function validates its arguments with one of these, and so does its simulator twin
# in :mod:`sim.verification`.

def validate_verifier(*, p, phi, psi) -> Grid:
    """Generator error ``p`` and verifier rates ``phi``, ``psi`` in [0, 1], broadcast together,
    with phi + psi > 0."""
    grid = Grid(dict(p=param("p", p, lo=0, hi=1), phi=param("phi", phi, lo=0, hi=1),
                     psi=param("psi", psi, lo=0, hi=1)))
    if np.any((grid["phi"] == 0) & (grid["psi"] == 0)):
        raise ValueError("phi and psi must not both be 0: a verifier with phi = psi = 0 keeps "
                         "nothing (phi, psi in [0, 1], phi + psi > 0)")
    return grid


def validate_critical(*, phi, psi) -> Grid:
    """The verifier alone: ``phi``, ``psi`` in [0, 1], phi + psi > 0."""
    arrays = validate_verifier(p=0.0, phi=phi, psi=psi).arrays
    return Grid({"phi": arrays["phi"], "psi": arrays["psi"]})


def validate_kept(*, p, phi, psi) -> Grid:
    """:func:`validate_verifier`, and kept_fraction > 0 (p = 0 with phi = 0, or p = 1 with
    psi = 0, keep nothing)."""
    grid = validate_verifier(p=p, phi=phi, psi=psi)
    if np.any(_numeric("kept")(**grid.arrays) <= 0):
        raise ValueError("p, phi, psi keep nothing (kept_fraction = 0): need phi > 0 when p = 0 "
                         "and psi > 0 when p = 1")
    return grid


def validate_limit(*, p, phi, psi, mu) -> Grid:
    """:func:`validate_kept` and a signal strength ``mu`` > 0."""
    return Grid(dict(validate_kept(p=p, phi=phi, psi=psi).arrays,
                     mu=param("mu", mu, lo=0, lo_open=True)))


def validate_classifier(*, p, phi, psi, mu, d, n) -> Grid:
    """:func:`validate_limit` and integers ``d`` >= 1 (dimension), ``n`` >= 1 (samples
    generated)."""
    return Grid(dict(validate_limit(p=p, phi=phi, psi=psi, mu=mu).arrays,
                     d=param("d", d, lo=1, integer=True), n=param("n", n, lo=1, integer=True)))


def validate_iterated(*, p, phi, psi, mu, d, n, generations) -> Grid:
    """:func:`validate_classifier`; option ``generations``, one integer >= 0."""
    grid = validate_classifier(p=p, phi=phi, psi=psi, mu=mu, d=d, n=n)
    G = param("generations", generations, lo=0, integer=True)
    if G.ndim:
        raise ValueError(f"generations must be one integer >= 0 (not broadcast), got "
                         f"{generations!r}")
    return Grid(grid.arrays, dict(generations=int(G)))


def validate_collapse(*, mu) -> Grid:
    """A signal strength ``mu`` > 0."""
    return Grid(dict(mu=param("mu", mu, lo=0, lo_open=True)))


def validate_zipf(*, T, beta, N, k, p, phi, psi) -> Grid:
    """Integers ``T`` >= 0 (pairs generated), ``N`` >= 1 (queries), 0 <= ``k`` <= N (queries the
    generator knows), ``beta`` > 0, and :func:`validate_verifier`'s p, phi, psi."""
    N = param("N", N, lo=1, integer=True)
    return Grid(dict(T=param("T", T, lo=0, integer=True),
                     beta=param("beta", beta, lo=0, lo_open=True), N=N,
                     k=param("k", k, lo=0, hi=N, integer=True),
                     **validate_verifier(p=p, phi=phi, psi=psi).arrays))


# --- numeric functions ---------------------------------------------------------------------------

@functools.cache
def _numeric(what: str):
    symbols = {"kept": [p_, phi_, psi_], "noise": [p_, phi_, psi_], "critical": [phi_, psi_],
               "proportional": [p_, phi_, psi_, mu_, d_, n_], "phi": [mu_]}[what]
    expr = {"kept": derive_kept_fraction, "noise": derive_effective_noise,
            "critical": derive_critical_noise, "proportional": derive_accuracy_proportional,
            "phi": lambda: _Phi(mu_)}[what]()
    return numeric(expr, symbols)


def kept_fraction(*, p, phi, psi) -> np.ndarray:
    """Fraction of generated samples the verifier keeps: p psi + (1 - p) phi [exact] (BMC's
    verifier model; docs/theory/verification.md)."""
    return _numeric("kept")(**validate_verifier(p=p, phi=phi, psi=psi).arrays)


def effective_noise(*, p, phi, psi) -> np.ndarray:
    """Label-error rate among kept samples: p psi/(p psi + (1 - p) phi) [exact] (BMC's verifier
    model; docs/theory/verification.md).

    Raises ValueError where nothing is kept (kept_fraction = 0)."""
    return _numeric("noise")(**validate_kept(p=p, phi=phi, psi=psi).arrays)


def critical_noise(*, phi, psi) -> np.ndarray:
    """Generator error above which the kept labels are mostly wrong: phi/(phi + psi)
    = 1/(1 + psi/phi) [exact] (BMC's breakdown point p_*; docs/theory/verification.md). Equals 1
    when psi = 0."""
    return _numeric("critical")(**validate_critical(phi=phi, psi=psi).arrays)


def accuracy_limit(*, p, phi, psi, mu) -> np.ndarray:
    """Large-sample (n -> inf at fixed d) accuracy on real data [asymp]: Phi(mu) (Bayes) when
    p < critical_noise, 1/2 at it, 1 - Phi(mu) above (BMC's phase transition;
    docs/theory/verification.md).

    Holds for the averaging classifier and for ridge / logistic regression on the kept data."""
    args = validate_limit(p=p, phi=phi, psi=psi, mu=mu).arrays
    a = 1 - 2 * _numeric("noise")(p=args["p"], phi=args["phi"], psi=args["psi"])
    bayes = _numeric("phi")(mu=args["mu"])
    return np.where(a > 0, bayes, np.where(a < 0, 1 - bayes, 0.5))


def accuracy_proportional(*, p, phi, psi, mu, d, n) -> np.ndarray:
    """Accuracy of the averaging classifier trained on what the verifier kept of ``n`` generated
    samples, in the proportional limit n, d -> inf with d/n fixed [asymp]:

        Phi((1 - 2q) mu / sqrt((1 - 2q)^2 + d/(n f mu^2))),  q = effective_noise, f = kept_fraction

    (derived in :func:`derive_accuracy_proportional`). At fixed d/n its gap to the exact
    :func:`accuracy` shrinks like 1/n (measured at p=0.3, phi=0.9, psi=0.3, mu=1, d=n/2:
    4.0e-3, 9.4e-4, 2.3e-4, 5.7e-5 at n = 40, 160, 640, 2560)."""
    return _numeric("proportional")(**validate_classifier(p=p, phi=phi, psi=psi, mu=mu, d=d,
                                                          n=n).arrays)


# --- exact finite-n accuracy of the averaging classifier -----------------------------------------

_NODES = 64  # Gauss-Hermite nodes per dimension
_GRID = 2049  # F(c) is computed at most here (cubic spline in between)
_TAIL = 1e-16  # binomial mass left out at each end
_MAX_N = 801  # kept counts at which E[F | N kept] is computed (interpolated between)


@functools.cache
def _quadrature(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes for E over g ~ N(0,1) and R ~ chi2_{d-1}: R = F^{-1}(Phi(z)), z ~ N(0,1) (quantile
    transform, smooth in z), both on probabilists' Gauss-Hermite nodes."""
    z, w = hermegauss(_NODES if d >= 10 else 2 * _NODES)
    w = w / w.sum()
    r = np.where(z < 0, stats.chi2.ppf(stats.norm.cdf(z), d - 1),
                 stats.chi2.isf(stats.norm.sf(z), d - 1))
    return z, w, r


def _F(c: np.ndarray, mu: float, d: int) -> np.ndarray:
    """F(c) = E Phi(mu U/sqrt(U^2 + R)), U = c + g, g ~ N(0,1), R ~ chi2_{d-1}: the accuracy of
    the averaging classifier given c = mu S/sqrt(N) (S = sum of the kept +-1 signs, N kept)."""
    if d == 1:  # R = 0: w is +-mu, right with probability P(U > 0) = Phi(c)
        return special.ndtr(mu) * special.ndtr(c) + special.ndtr(-mu) * special.ndtr(-c)
    z, w, r = _quadrature(d)
    u = c[:, None] + z[None, :]
    cos = u[:, :, None] / np.sqrt(u[:, :, None] ** 2 + r[None, None, :])
    return np.einsum("cgr,g,r->c", special.ndtr(mu * cos), w, w)


def _log_binom(k: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    return (special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)
            + special.xlogy(k, q) + special.xlog1py(n - k, -q))


def _support(n: int, q: float) -> tuple[int, int]:
    """Integer range holding all but 2 * _TAIL of Binomial(n, q)."""
    if q in (0.0, 1.0):
        return round(n * q), round(n * q)
    lo, hi = int(stats.binom.ppf(_TAIL, n, q)), int(stats.binom.isf(_TAIL, n, q)) + 1
    return max(lo, 0), min(hi, n)


def _exact_one(p: float, phi: float, psi: float, mu: float, d: int, n: int) -> float:
    f = float(_numeric("kept")(p=p, phi=phi, psi=psi))
    q = float(_numeric("noise")(p=p, phi=phi, psi=psi))
    none = (1 - f) ** n  # nothing kept: w = 0, a coin flip
    lo, hi = _support(n, f)
    lo = max(lo, 1)
    if hi < lo:
        return 0.5
    every = np.arange(lo, hi + 1)
    kept = every if every.size <= _MAX_N else np.unique(
        np.linspace(lo, hi, _MAX_N).round().astype(np.int64))
    # number wrong among N kept: K = K0(N) + j, j = 0..J-1 covers Binomial(N, q)
    sd = np.sqrt(kept * q * (1 - q))
    k0 = np.clip(np.floor(kept * q - 9 * sd - 1), 0, None)
    K = k0[:, None] + np.arange(int(np.ceil(18 * sd.max() + 3)))[None, :]
    valid = K <= kept[:, None]
    K = np.where(valid, K, kept[:, None])
    c = mu * (kept[:, None] - 2 * K) / np.sqrt(kept[:, None])
    values, where = np.unique(c, return_inverse=True)
    if values.size <= _GRID:
        Fc = _F(values, mu, d)[where].reshape(c.shape)
    else:
        grid = np.linspace(values[0], values[-1], _GRID)
        Fc = interpolate.CubicSpline(grid, _F(grid, mu, d))(c)
    wK = np.where(valid, np.exp(_log_binom(K, kept[:, None], q)), 0.0)
    G = np.sum(wK * Fc, axis=1) / np.sum(wK, axis=1)  # E[F | N kept]
    wN = np.exp(_log_binom(every, np.float64(n), f))
    return float(np.sum(wN * np.interp(every, kept, G)) + 0.5 * none)


def accuracy(*, p, phi, psi, mu, d, n) -> np.ndarray:
    """Expected accuracy on fresh real data of the averaging classifier w = mean of y x over the
    kept samples, for ``n`` generated samples [exact, finite n and d; no Monte Carlo].

    Derivation: given N kept with K wrong labels, N w = S mu + sqrt(N) g (S = N - 2K, g ~ N(0, I_d)
    independent: each y z is standard normal whatever the label), so the accuracy
    Phi(w.mu/||w||) = Phi(mu U/sqrt(U^2 + R)) with U = mu S/sqrt(N) + g1 ~ N(c, 1) and
    R = ||g_perp||^2 ~ chi2_{d-1} independent. Hence accuracy = E_{N, K} F(mu S/sqrt(N)) with
    N ~ Bin(n, f), K | N ~ Bin(N, q), and accuracy 1/2 when N = 0 (w = 0: a coin flip).
    F is computed by 64 x 64 Gauss-Hermite quadrature (128 x 128 for d < 10; R through its
    quantile transform) at every value of c, or, beyond 2049 values, on a grid with a cubic spline
    between; binomial tails below 1e-16 are dropped, and when N has more than 801 likely values
    E[F | N] is interpolated in N. Numerical error below 1e-7 for d >= 10, about 1e-6 at d = 5 and
    up to 1e-3 at d = 2 (the integrand is sharp near U = 0 when R is small; measured against
    higher-order quadrature). d = 1 is closed form.
    """
    args = validate_classifier(p=p, phi=phi, psi=psi, mu=mu, d=d, n=n).arrays
    out = [_exact_one(*(v.flat[i].item() for v in args.values())) for i in range(args["p"].size)]
    return np.asarray(out, dtype=np.float64).reshape(args["p"].shape)


# --- iterated generate -> verify -> retrain ------------------------------------------------------

def iterated_error(*, p, phi, psi, mu, d, n, generations) -> np.ndarray:
    """Error rate on real data of the generator at generations 0..``generations`` (last axis) when
    each generation's averaging classifier, trained on the verified data of ``n`` samples from the
    previous one, becomes the next generator (mislabelling independently at its error rate):

        p_{k+1} = 1 - accuracy_proportional(p_k, phi, psi, mu, d, n)       [asymp, proportional]

    In the proportional limit each generation's error rate concentrates, so the recursion is on
    numbers, not distributions. Without a verifier (phi = psi = 1), p = 1/2 is a fixed point, and
    it attracts (the loop collapses to chance) iff d/n > 2 mu^4/pi
    (:func:`collapse_dimension_ratio`); otherwise the error settles at a degraded fixed point.
    With a verifier that rejects wrong labels (psi << phi) the error drops toward that of a
    classifier trained on clean data, and toward Bayes, 1 - Phi(mu), as n/d grows.

    When the loop improves: p_{k+1} < p_k iff accuracy_proportional(p_k) > 1 - p_k (the classifier
    trained on the curated data beats its generator). The map p -> p' is increasing (q grows
    with p, and with phi >= psi fewer samples are kept), so the errors move monotonically to the
    nearest fixed point in the direction of the first step.
    """
    grid = validate_iterated(p=p, phi=phi, psi=psi, mu=mu, d=d, n=n, generations=generations)
    args, G = grid.arrays, grid.options["generations"]
    step = _numeric("proportional")
    errs = [args["p"]]
    for _ in range(G):
        prev = errs[-1]
        kept = _numeric("kept")(p=prev, phi=args["phi"], psi=args["psi"])
        # a generator that nothing passes leaves the data (and the error) unchanged
        safe = np.where(kept > 0, prev, 0.5)
        nxt = 1 - step(**{**args, "p": safe})
        errs.append(np.where(kept > 0, nxt, prev))
    return np.stack(errs, axis=-1)


@functools.cache
def _collapse_ratio_numeric():
    """:func:`derive_collapse_dimension_ratio`, derived and lambdified once."""
    return numeric(derive_collapse_dimension_ratio(), [mu_])


def collapse_dimension_ratio(*, mu) -> np.ndarray:
    """d/n above which the verifier-free loop is attracted to chance accuracy: 2 mu^4/pi [asymp]
    (from the slope of the recursion at p = 1/2; :func:`derive_collapse_dimension_ratio`)."""
    mu = param("mu", mu, lo=0, lo_open=True)
    return _collapse_ratio_numeric()(mu=mu)


# --- memorising Zipf model with a verifier -------------------------------------------------------

def zipf_probs(N: int, beta: float) -> np.ndarray:
    """p_i = i^-beta / sum_{j<=N} j^-beta, i = 1..N (float64)."""
    w = np.arange(1, N + 1, dtype=np.float64) ** -float(beta)
    return w / w.sum()


def zipf_terms(probs: jax.Array, k: int, p, phi, psi) -> tuple[jax.Array, jax.Array]:
    """(r_i, q_i): per-draw probability that query i is drawn and kept, and the wrong share among
    its kept answers (0 where nothing of query i can be kept). Shared with the simulator."""
    known = jnp.arange(1, probs.shape[0] + 1) <= k
    right = jnp.where(known, 1 - p, 0.0)
    keep = right * phi + (1 - right) * psi
    q = jnp.where(keep > 0, (1 - right) * psi / jnp.where(keep > 0, keep, 1.0), 0.0)
    return probs * keep, q


@functools.partial(jax.jit, static_argnames=("N",))
def _zipf_error(T, beta, k, p, phi, psi, *, N):
    probs = jnp.arange(1, N + 1, dtype=jnp.float64) ** -beta
    probs = probs / probs.sum()
    r, q = zipf_terms(probs, k, p, phi, psi)
    return jnp.sum(probs * (q + (1 - q) * jnp.exp(T * jnp.log1p(-r))))


def zipf_error(*, T, beta, N, k, p, phi, psi) -> np.ndarray:
    """P(wrong answer on a fresh real query) of a memorising learner trained on the verified part
    of T generated (query, answer) pairs [exact]:

        sum_{i<=N} p_i [q_i + (1 - q_i)(1 - r_i)^T]

    (model, r_i and q_i in the module docstring; ToT's memorising learner with BMC's verifier).
    phi = psi = 1 is no curation; phi = 1, psi = 0 is execution feedback (only right answers kept),
    which gives sum_i p_i (1 - p_i a_i)^T with no floor.
    """
    args = validate_zipf(T=T, beta=beta, N=N, k=k, p=p, phi=phi, psi=psi).arrays
    out = np.empty(args["T"].shape)
    with jax.enable_x64(True):
        for idx in np.ndindex(out.shape):
            v = {name: a[idx] for name, a in args.items()}
            out[idx] = float(_zipf_error(float(v["T"]), float(v["beta"]), int(v["k"]),
                                         float(v["p"]), float(v["phi"]), float(v["psi"]),
                                         N=int(v["N"])))
    return out


#: What each parameter means, with the domain its validator enforces (the ``Args`` sections of
#: this module are built from this table, see :mod:`theory._docs`).
ARG_DOCS = {
    "p": "the generator's label-error probability, a real in [0, 1].",
    "phi": "probability that the verifier keeps a correctly labelled sample, a real in [0, 1] "
           "(phi + psi > 0).",
    "psi": "probability that the verifier keeps a wrongly labelled sample, a real in [0, 1].",
    "mu": "signal strength ||mu|| of the two-class mixture, a real > 0.",
    "d": "dimension, an integer >= 1.",
    "n": "samples generated per round, an integer >= 1.",
    "generations": "rounds of generate, verify, retrain: one integer >= 0 (not broadcast).",
    "T": "(query, answer) pairs generated, an integer >= 0.",
    "beta": "Zipf exponent of the queries, a real > 0.",
    "N": "number of queries, an integer >= 1.",
    "k": "number of queries the generator knows, an integer in [0, N].",
    "probs": "the Zipf law of the queries, a 1-D float64 array (from zipf_probs).",
}

from theory._docs import document  # noqa: E402

document(globals(), __all__, ARG_DOCS,
         'Feng, Dohmatob, Yang, Charton, Kempe, "Beyond Model Collapse: Scaling Up with '
         'Synthesized Data Requires Verification", 2024, arXiv 2406.07515 (the model of this '
         "module is stated in its docstring); docs/theory/verification.md.",
         {"zipf_terms": {"k": "number of queries the generator knows, an integer in [0, N]."}})
