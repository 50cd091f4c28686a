"""A Gaussian refitted to its own samples; what keeping real data changes (THEORY 2.3, 3.1, 3.2).

The chain (Shumailov et al., Nature 631, 2024, section "Theoretical intuition", the Gaussian
example; Kazdan et al. 2024, section 3): generation 0 is N(mu, sigma^2). Generation i fits a mean
and a variance to M samples and is the next sampling law. ``estimator`` is ``"unbiased"``
(divisor M - 1, SHU's theory) or ``"mle"`` (divisor M, SHU's released code and KAZ). What the fit
sees is set by the data policy (:mod:`theory.policy`): ``replace`` (the M new samples only),
``accumulate`` (all samples so far), ``mix`` (a share ``real`` of the M samples fresh from the
truth).

Under ``replace``, sigma_n^2 = sigma^2 prod_i S_i with S_i iid chi2_{M-1}/div: E sigma_n^2 is
constant for the unbiased estimator while sigma_n^2 -> 0 almost surely (E log S_i < 0), so the mean
is carried by rare paths: test log-variance or medians, not the mean at large n.

Every function has a simulator twin in :mod:`sim.gaussian`; the ``derive_*`` functions are the
symbolic derivations the tests run.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from theory._symbolic import numeric
from theory.domain import Grid, broadcast, choice, param
from theory.policy import Policy, as_policy, derive_subsample_weights

__all__ = [
    "CHAIN_POLICIES", "ESTIMATORS", "THEORY_ONLY", "log_variance", "logdet_drift", "mean_drift",
    "optimal_real_weight", "real_count", "std_after", "validate_chain", "validate_logdet",
    "validate_weighted", "variance_after", "w2_risk", "weighted_stationary_variance",
]

ESTIMATORS = ("unbiased", "mle")
#: Public functions with no simulator twin, and why.
THEORY_ONLY = {
    "optimal_real_weight": "an optimiser over w of weighted_stationary_variance, whose twin "
                           "simulates the estimator at any w",
    "real_count": "arithmetic: the number of fresh real points in a mix generation",
}

#: The data policies of the 1-D chain (theory and simulation share this domain; a theory function
#: without a closed form for one of them says so).
CHAIN_POLICIES = ("replace", "accumulate", "mix", "accumulate-subsample")

# M is declared real (not integer): with integer M sympy rewrites Gamma(M/2) by the duplication
# formula, which hides the loggamma form needed for the large-M series and for stable numerics.
M_, k_ = sp.symbols("M k", positive=True)
d_ = sp.Symbol("d", positive=True, integer=True)
n_ = sp.Symbol("n", integer=True, nonnegative=True)
sigma_, w_, x_, nu_ = sp.symbols("sigma w x nu", positive=True)
i_ = sp.Symbol("i", integer=True, positive=True)


# --- symbolic derivations ------------------------------------------------------------------------

def _chi2_mean(f: sp.Expr, dof: sp.Expr) -> sp.Expr:
    """E f(X) for X ~ chi2_dof, by integrating the density."""
    density = x_ ** (nu_ / 2 - 1) * sp.exp(-x_ / 2) / (2 ** (nu_ / 2) * sp.gamma(nu_ / 2))
    return sp.simplify(sp.integrate(f * density, (x_, 0, sp.oo), conds="none")).subs(nu_, dof)


def _divisor(estimator: str) -> sp.Expr:
    return M_ - 1 if estimator == "unbiased" else M_


def derive_variance_factor(estimator: str) -> sp.Expr:
    """E S for one refit, S = sigma_i^2/sigma_{i-1}^2 = chi2_{M-1}/div: (M - 1)/div."""
    return sp.simplify(_chi2_mean(x_, M_ - 1) / _divisor(estimator))


def derive_std_factor(estimator: str) -> sp.Expr:
    """E sqrt(S): c(M) = sqrt(2/(M-1)) Gamma(M/2)/Gamma((M-1)/2) (unbiased), times sqrt((M-1)/M)
    for the MLE (SHU section 3, the "c(M)" of THEORY 3.1)."""
    return _chi2_mean(sp.sqrt(x_), M_ - 1) / sp.sqrt(_divisor(estimator))


@functools.cache
def derive_variance_after(estimator: str) -> sp.Expr:
    """THEORY 3.1 [exact]: E sigma_n^2 = sigma^2 (E S)^n (the S_i are independent)."""
    return sigma_**2 * derive_variance_factor(estimator) ** n_


def _log_form(expr: sp.Expr) -> sp.Expr:
    """log(expr) with log Gamma written as loggamma (no overflow of Gamma at large M)."""
    return sp.expand_log(sp.log(expr.replace(sp.gamma, lambda a: sp.exp(sp.loggamma(a)))),
                         force=True)


#: From this M on, log c(M) is evaluated by its series in 1/M (below, by log Gamma differences).
M_SERIES = 100
_SERIES_ORDER = 10


@functools.cache
def derive_log_std_factor(estimator: str) -> sp.Expr:
    """log E sqrt S, evaluable in float64 at any M [exact to rounding].

    The log Gamma form log Gamma(M/2) - log Gamma((M-1)/2) - log(M-1)/2 + ... cancels
    catastrophically at large M (log c(M) ~ -1/(4M) while each term is ~ M log M), so from
    ``M_SERIES`` on its series in 1/M, derived here by sympy to order 1/M^9, is used: the first
    omitted term is below 1e-19 relative there.
    """
    exact = _log_form(derive_std_factor(estimator))
    eps = sp.Symbol("epsilon", positive=True)  # 1/M
    series = sp.expand(sp.series(exact.subs(M_, 1 / eps), eps, 0, _SERIES_ORDER).removeO())
    constant, terms = series.as_independent(eps)  # log 2 + log pi - log 2 pi: 0, not 1e-17
    series = sp.simplify(sp.logcombine(constant, force=True)) + terms.subs(eps, 1 / M_)
    return sp.Piecewise((series, M_ >= M_SERIES), (exact, True))


@functools.cache
def derive_std_after(estimator: str) -> sp.Expr:
    """E sigma_n = sigma (E sqrt S)^n [exact], written sigma exp(n log E sqrt S)."""
    return sigma_ * sp.exp(n_ * derive_log_std_factor(estimator))


@functools.cache
def derive_mean_drift(estimator: str) -> sp.Expr:
    """E (mu_n - mu)^2 = sum_{j<n} E sigma_j^2 / M [exact, replace]:
    mu_{j+1} = mu_j + sigma_j g/sqrt(M) with g ~ N(0, 1) independent of the past, so the
    increments are uncorrelated."""
    j = sp.Symbol("j", integer=True, nonnegative=True)
    return sp.simplify(sp.Sum(derive_variance_after(estimator).subs(n_, j) / M_,
                              (j, 0, n_ - 1)).doit())


@functools.cache
def derive_w2_risk(estimator: str) -> sp.Expr:
    """E W2^2(N(mu_n, sigma_n^2), N(mu, sigma^2)) = E (mu_n - mu)^2 + E (sigma_n - sigma)^2 [exact].

    Unbiased: sigma^2 (n/M + 2 (1 - c(M)^n)) (THEORY 3.1). Written with expm1,
    E (sigma_n - sigma)^2 = sigma^2 [expm1(n log E S) - 2 expm1(n log E sqrt S)], so that it keeps
    its relative precision when the risk is tiny (large M).
    """
    log_var = sp.log(derive_variance_factor(estimator))
    if log_var != 0:  # the MLE: log((M - 1)/M), written log1p(-1/M)
        log_var = log1p(-1 / M_)
    spread = expm1(n_ * log_var) - 2 * expm1(n_ * derive_log_std_factor(estimator))
    return derive_mean_drift(estimator) + sigma_**2 * spread


def derive_w2_first_order() -> sp.Expr:
    """Leading term of the unbiased W2 risk for large M at fixed n: (3/2) sigma^2 n/M (SHU, eq. for
    the Wasserstein distance in their Gaussian theorem). Uses the Stirling series of log c(M)."""
    eps = sp.Symbol("epsilon", positive=True)  # 1/M
    log_c = sp.series(_log_form(derive_std_factor("unbiased")).subs(M_, 1 / eps), eps, 0,
                      2).removeO()
    risk = sigma_**2 * (n_ * eps + 2 * (1 - sp.exp(n_ * log_c)))
    return sp.simplify(sp.series(risk, eps, 0, 2).removeO().subs(eps, 1 / M_))


def derive_logdet_drift() -> sp.Expr:
    """THEORY 3.2 [exact]: per generation, E log det Sigma_i - E log det Sigma_{i-1}
    = E log det(W/(M-1)), W ~ Wishart_d(M-1, I) = sum_{i=1..d} [psi((M-i)/2) + log 2] - d log(M-1)
    (Bartlett: det W = prod chi2_{M-i}; E log chi2_nu = psi(nu/2) + log 2 by integration)."""
    per_factor = _chi2_mean(sp.log(x_), M_ - i_)
    return sp.Sum(per_factor, (i_, 1, d_)) - d_ * sp.log(M_ - 1)


def derive_weighted_stationary_variance() -> sp.Expr:
    """HXC (THEORY 2.3) [exact]: the error e_t of mu_t = w rbar_t + (1-w) sbar_t, with rbar_t the
    mean of n fresh real points and sbar_t of n/k points from N(mu_{t-1}, sigma^2), satisfies
    e_t = w a_t + (1-w)(e_{t-1} + b_t), Var a = sigma^2/n, Var b = k sigma^2/n; solve the fixed
    point."""
    V = sp.Symbol("V", positive=True)
    n = sp.Symbol("n", positive=True)
    eq = sp.Eq(V, w_**2 * sigma_**2 / n + (1 - w_) ** 2 * (V + k_ * sigma_**2 / n))
    return sp.factor(sp.solve(eq, V)[0])


def derive_optimal_real_weight() -> sp.Expr:
    """The w in (0, 1] minimising the stationary variance: the positive root of w^2 + k w - k = 0
    (k = 1: 1/golden ratio)."""
    V = derive_weighted_stationary_variance()
    numerator = sp.factor(sp.numer(sp.together(sp.diff(V, w_))))
    roots = [r for r in sp.solve(numerator, w_) if r.subs(k_, 1).is_positive]
    (root,) = roots
    return sp.simplify(root)


def derive_accumulate_bound() -> sp.Expr:
    """sum_{i>=1} 1/i^2 = pi^2/6: the accumulate error never exceeds pi^2/6 single-fit errors
    (Dey and Donoho)."""
    return sp.Sum(1 / i_**2, (i_, 1, sp.oo)).doit()


# --- numeric functions ---------------------------------------------------------------------------

@functools.cache
def _numeric(what: str, estimator: str):
    expr = {"variance": derive_variance_after, "std": derive_std_after,
            "drift": derive_mean_drift, "w2": derive_w2_risk}[what](estimator)
    return numeric(expr, [n_, M_, sigma_])


def validate_chain(*, n, M, sigma, estimator: str = "unbiased",
                   policy: Policy | str = "replace") -> Grid:
    """Validate the 1-D chain's arguments (theory and :mod:`sim.gaussian` share it): ``n`` an
    integer >= 0, ``M`` an integer >= 2, ``sigma`` > 0 broadcast together; ``estimator`` one of
    ``ESTIMATORS``; ``policy`` one of ``CHAIN_POLICIES`` (or a :class:`theory.policy.Policy`)."""
    arrays = dict(n=param("n", n, lo=0, integer=True), M=param("M", M, lo=2, integer=True),
                  sigma=param("sigma", sigma, lo=0, lo_open=True))
    return Grid(arrays, dict(estimator=choice("estimator", estimator, ESTIMATORS),
                             policy=as_policy(policy, CHAIN_POLICIES)))


def _closed(grid: Grid, name: str, policies: tuple[str, ...]) -> None:
    """Theory without a closed form for the grid's policy: a clear error (simulate it)."""
    if grid.options["policy"].name not in policies:
        raise ValueError(f"policy must be one of {', '.join(map(repr, policies))} for "
                         f"theory.gaussian.{name} (no closed form under "
                         f"{grid.options['policy']}; sim.gaussian.{name} simulates it)")


def real_count(M, policy: Policy) -> np.ndarray:
    """Number of fresh real points among the M of a ``mix`` generation: round(real * M)."""
    return np.rint(np.asarray(M) * (policy.real if policy.name == "mix" else 0.0)).astype(np.int64)


def _moment_paths(n_max: int, M: int, estimator: str, policy: Policy) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """E sigma_i^2 and E (mu_i - mu)^2 for i = 0..n_max, sigma = 1, by exact linear recursions.

    * mix (replace when real = 0): a real points N(mu, 1) and b = M - a from N(mu_{i-1}, v):
      e_i = (a r + b (e_{i-1} + s))/M, and the pooled sum of squares is
      SS_r + SS_s + (a b/M)(rbar - sbar)^2, whose mean is
      (a-1) + (b-1) v + (a b/M)(1/a + v/b + D) (the a = 0 or b = 0 cases drop their terms).
    * accumulate: pooled mean mu_i = mu_{i-1} + sigma_{i-1} g_i/i (g_i ~ N(0, 1/M)); batch means
      xbar_j - mu = sum_{k<=j} c_jk sigma_{k-1} g_k with c_jk = 1/k (k < j), 1 (k = j), whose terms
      are uncorrelated martingale increments; the pooled sum of squares over iM points has mean
      (M-1) sum_j v_{j-1} + sum_k v_{k-1} sum_j (c_jk - cbar_k)^2.
    """
    div = (lambda N: N - 1) if estimator == "unbiased" else (lambda N: N)
    v = np.ones(n_max + 1)
    D = np.zeros(n_max + 1)
    if policy.name == "accumulate":
        for i in range(1, n_max + 1):
            k = np.arange(1, i + 1)
            c = np.where(k[None, :] < k[:, None], 1.0 / k[None, :], 0.0) + np.eye(i)  # c[j, k]
            spread = ((c - c.mean(axis=0)) ** 2).sum(axis=0)
            v[i] = ((M - 1) * v[:i].sum() + (v[:i] * spread).sum()) / div(i * M)
            D[i] = D[i - 1] + v[i - 1] / (M * i**2)
        return v, D
    a = int(real_count(M, policy))
    b = M - a
    for i in range(1, n_max + 1):
        ss = (a - 1) * (a > 0) + (b - 1) * (b > 0) * v[i - 1]
        if a and b:
            ss += a * b / M * (1 / a + v[i - 1] / b + D[i - 1])
        v[i] = ss / div(M)
        D[i] = (a + b * v[i - 1] + b**2 * D[i - 1]) / M**2
    return v, D


def _recursion(which: int, n, M, sigma, estimator, policy) -> np.ndarray:
    out = np.empty(n.shape)
    for idx in np.ndindex(n.shape):
        paths = _moment_paths(int(n[idx]), int(M[idx]), estimator, policy)
        out[idx] = paths[which][int(n[idx])] * sigma[idx] ** 2
    return out


def variance_after(*, n, M, sigma=1.0, estimator: str = "unbiased",
                   policy: Policy | str = "replace") -> np.ndarray:
    """E sigma_n^2 after n refits on M samples (THEORY 3.1; SHU section 3, KAZ section 3) [exact].

    replace: sigma^2 for ``"unbiased"``, sigma^2 ((M-1)/M)^n for ``"mle"`` (worked value: M = 100,
    n = 100, MLE: 0.366). accumulate and mix: the exact linear recursion of :func:`_moment_paths`
    (the variance stays near sigma^2 instead of shrinking).
    """
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy)
    _closed(grid, "variance_after", ("replace", "accumulate", "mix"))
    b, est, pol = grid.arrays, grid.options["estimator"], grid.options["policy"]
    if pol.name == "replace":
        return _numeric("variance", est)(**b)
    return _recursion(0, b["n"], b["M"], b["sigma"], est, pol)


def std_after(*, n, M, sigma=1.0, estimator: str = "unbiased",
              policy: Policy | str = "replace") -> np.ndarray:
    """E sigma_n = sigma c(M)^n (unbiased; times ((M-1)/M)^(n/2) for the MLE), replace [exact].

    Worked value: M = 100, n = 100, unbiased: 0.777 (THEORY 3.1). Other policies have no closed
    form (E of a square root of the pooled variance): a ValueError; the simulator twin runs them.
    """
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy)
    _closed(grid, "std_after", ("replace",))
    return _numeric("std", grid.options["estimator"])(**grid.arrays)


def mean_drift(*, n, M, sigma=1.0, estimator: str = "unbiased",
               policy: Policy | str = "replace") -> np.ndarray:
    """E (mu_n - mu)^2 (THEORY 3.1): sum_{j<n} E sigma_j^2/M under replace (n sigma^2/M
    unbiased) [exact]. accumulate: sum_{i<=n} E sigma_{i-1}^2/(M i^2), at most about
    (pi^2/6) sigma^2/M (GER; Dey-Donoho) [exact]; mix: exact recursion (bounded by the fresh real
    data) [exact].

    accumulate-subsample (KAZ's fixed budget of M points drawn without replacement from the pool)
    [asymp: leading order in 1/M, derived here]: a point of the pool from batch j is
    mu_j + sigma_j z, so mu_i - mu = sum_j (c_j/M)(mu_j - mu) + eta_i with c_j the budget's share
    of batch j (mean M/i) and eta_i the mean of the chosen z's (times sigma_j ~ sigma); the
    budgets of generations k < i share M/i points on average, Cov(eta_i, eta_k) = sigma^2/(M i).
    This is the recursion of :func:`theory.policy.derive_subsample_weights` with v = sigma^2/M;
    the share fluctuations and sigma_j - sigma enter at relative order 1/M.
    """
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy)
    b, est, pol = grid.arrays, grid.options["estimator"], grid.options["policy"]
    if pol.name == "accumulate-subsample":
        factors = derive_subsample_weights(int(b["n"].max()))
        return factors[b["n"]] * b["sigma"] ** 2 / b["M"]
    if pol.name == "replace":
        return _numeric("drift", est)(**b)
    return _recursion(1, b["n"], b["M"], b["sigma"], est, pol)


def w2_risk(*, n, M, sigma=1.0, estimator: str = "unbiased",
            policy: Policy | str = "replace") -> np.ndarray:
    """E W2^2 between the generation-n fit and the truth, replace [exact] (SHU's Gaussian theorem):
    unbiased sigma^2 (n/M + 2(1 - c(M)^n)) ~ (3/2) sigma^2 n/M; finite as n grows only if M grows
    superlinearly in n. Other policies: no closed form (a ValueError; simulate them)."""
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy)
    _closed(grid, "w2_risk", ("replace",))
    return _numeric("w2", grid.options["estimator"])(**grid.arrays)


def derive_log_variance_factor(estimator: str) -> sp.Expr:
    """E log S for one refit, S = chi2_{M-1}/div: psi((M-1)/2) + log 2 - log div (the
    chi-square's log-moment by integration)."""
    return sp.simplify(_chi2_mean(sp.log(x_), M_ - 1) - sp.log(_divisor(estimator)))


@functools.cache
def _log_variance_numeric(estimator: str):
    return numeric(n_ * derive_log_variance_factor(estimator), [n_, M_])


def log_variance(*, n, M, sigma=1.0, estimator: str = "unbiased",
                 policy: Policy | str = "replace") -> np.ndarray:
    """E log(sigma_n^2/sigma^2) after n refits on M samples, replace [exact]:
    n [psi((M-1)/2) + log 2 - log div] (div = M - 1 unbiased, M for the MLE), since
    log sigma_n^2/sigma^2 is a sum of n independent log chi2_{M-1}/div. Negative for every M: the
    variance collapses almost surely (median about sigma^2 exp(-n/(M-1)), unbiased) although its
    unbiased mean stays sigma^2. It is :func:`logdet_drift` at d = 1 for the unbiased estimator.
    Other policies: no closed form (a ValueError; simulate them)."""
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy)
    _closed(grid, "log_variance", ("replace",))
    b = grid.arrays
    return _log_variance_numeric(grid.options["estimator"])(n=b["n"], M=b["M"]) \
        + np.zeros(b["sigma"].shape)


@functools.cache
def _logdet_summand():
    """The derived sum's i-th term, minus its share log(M-1) of the normalisation, numeric."""
    (total,) = derive_logdet_drift().atoms(sp.Sum)
    return numeric(total.function - sp.log(M_ - 1), [i_, M_])


def validate_logdet(*, d, M, n=1) -> Grid:
    """Validate the d-dimensional covariance chain: ``d`` >= 1, ``M`` >= d + 1, ``n`` >= 0."""
    b = broadcast(d=param("d", d, lo=1, integer=True), M=param("M", M, lo=2, integer=True),
                  n=param("n", n, lo=0, integer=True))
    if np.any(b["M"] < b["d"] + 1):
        raise ValueError(f"M must be an integer >= d + 1 (a full-rank covariance fit), got "
                         f"M = {M}, d = {d}")
    return Grid(b)


def logdet_drift(*, d, M, n=1) -> np.ndarray:
    """E log det Sigma_n - log det Sigma after n unbiased covariance refits on M samples in
    dimension d (THEORY 3.2) [exact]: n [sum_{i=1..d} psi((M-i)/2) + d log 2 - d log(M-1)],
    about -n d(d+1)/(2M). With d = 1 it is E log(sigma_n^2/sigma^2) of the 1-D chain, whose
    negativity makes sigma_n^2 -> 0 almost surely (median about sigma^2 exp(-n/(M-1)))."""
    b = validate_logdet(d=d, M=M, n=n).arrays
    summand = _logdet_summand()
    per = np.array([summand(i=np.arange(1.0, dd + 1), M=mm).sum()
                    for dd, mm in zip(b["d"].ravel(), b["M"].ravel())]).reshape(b["d"].shape)
    return b["n"] * per


def validate_weighted(*, w, k, n, sigma=1.0) -> Grid:
    """Validate HXC's weighted estimator: w in (0, 1], k > 0, n >= 1 an integer, sigma > 0."""
    return Grid(dict(w=param("w", w, lo=0, lo_open=True, hi=1),
                     k=param("k", k, lo=0, lo_open=True), n=param("n", n, lo=1, integer=True),
                     sigma=param("sigma", sigma, lo=0, lo_open=True)))


@functools.cache
def _weighted_numeric():
    return numeric(derive_weighted_stationary_variance(),
                   [w_, k_, sp.Symbol("n", positive=True), sigma_])


@functools.cache
def _optimal_weight_numeric():
    return numeric(derive_optimal_real_weight(), [k_])


def weighted_stationary_variance(*, w, k, n, sigma=1.0) -> np.ndarray:
    """Stationary E (mu_t - mu)^2 of HXC's weighted estimator (THEORY 2.3) [exact, Gaussian mean]:
    (sigma^2/n) [w^2 + k (1-w)^2]/[w (2-w)]; n fresh real points, n/k synthetic ones per round."""
    b = validate_weighted(w=w, k=k, n=n, sigma=sigma).arrays
    return _weighted_numeric()(**b)


def optimal_real_weight(*, k) -> np.ndarray:
    """HXC's optimal real weight w* = (sqrt(k^2 + 4k) - k)/2 (THEORY 2.3) [exact]; k = 1 gives
    1/golden ratio = 0.618034."""
    k = param("k", k, lo=0, lo_open=True)
    return _optimal_weight_numeric()(k=k)
