"""A Gaussian refitted to its own samples; what keeping real data changes.

The chain (Shumailov et al., Nature 631, 2024, section "Theoretical intuition", the Gaussian
example; Kazdan et al. 2024, section 3): generation 0 is N(mu, sigma^2). Generation i fits a mean
and a variance to M samples and is the next sampling law. ``estimator`` is ``"unbiased"``
(divisor M - 1, SHU's theory) or ``"mle"`` (divisor M, SHU's released code and KAZ). What the fit
sees is set by the data policy (:mod:`theory.policy`): ``replace`` (the M new samples only),
``accumulate`` (all samples so far), ``mix`` (a share ``real`` of the M samples fresh from the
truth), ``accumulate-subsample`` (M points drawn without replacement from the pool of all points
so far; Kazdan et al., "Collapse or Thrive?", arXiv:2410.16713) and ``fixed-real`` (one real
sample kept, plus ratio times as many synthetic points; Bertrand et al., arXiv:2310.00429).
``sampling_bias`` (Alemohammad et al., "Self-Consuming Generative Models Go MAD",
arXiv:2307.01850, their lambda) draws every synthetic point from N(mu_i, sampling_bias
sigma_i^2). The same chain in dimension d (mean and full covariance refitted):
:func:`mean_sq_error`, :func:`covariance_ratio`, :func:`covariance_sq_error`. Loops run to
stationarity with real data in every generation (MAD's fresh data loop, the synthetic
augmentation loop): :func:`stationary_mean_error`, :func:`stationary_variance`,
:func:`stationary_fit_error`, :func:`effective_sample_size`.

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
from theory.policy import Policy, as_policy

__all__ = [
    "CHAIN_POLICIES",
    "ESS_ERRORS",
    "ESTIMATORS",
    "LOOPS",
    "THEORY_ONLY",
    "covariance_ratio",
    "covariance_sq_error",
    "derive_loop_map",
    "derive_loop_moment_system",
    "derive_real_fit_sample_size",
    "derive_stationary_moments",
    "effective_sample_size",
    "fourth_moment_contraction",
    "log_variance",
    "logdet_drift",
    "mean_drift",
    "mean_sq_error",
    "moment_contraction",
    "optimal_real_weight",
    "real_count",
    "stationary_fit_error",
    "stationary_mean_error",
    "stationary_variance",
    "std_after",
    "synthetic_count",
    "validate_chain",
    "validate_chain_d",
    "validate_logdet",
    "validate_loop",
    "validate_weighted",
    "variance_after",
    "w2_risk",
    "weighted_stationary_variance",
]

ESTIMATORS = ("unbiased", "mle")
#: Public functions with no simulator twin, and why.
THEORY_ONLY = {
    "optimal_real_weight": "an optimiser over w of weighted_stationary_variance, whose twin "
                           "simulates the estimator at any w",
    "real_count": "arithmetic: the number of fresh real points in a mix generation",
    "synthetic_count": "arithmetic: the number of synthetic points in a fixed-real generation",
    "effective_sample_size": "arithmetic on stationary_mean_error (sigma^2 over it), whose twin "
                             "simulates the loop",
    "moment_contraction": "the spectral radius of the exact moment map, a property of the "
                          "recursion rather than of one run of the loop",
    "fourth_moment_contraction": "the spectral radius of the exact fourth-order moment map, a "
                                 "property of the recursion rather than of one run",
}

#: The data policies of the 1-D chain (theory and simulation share this domain; a theory function
#: without a closed form for one of them says so).
CHAIN_POLICIES = ("replace", "accumulate", "mix", "accumulate-subsample", "fixed-real")

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
    for the MLE (SHU section 3, their "c(M)")."""
    return _chi2_mean(sp.sqrt(x_), M_ - 1) / sp.sqrt(_divisor(estimator))


@functools.cache
def derive_variance_after(estimator: str) -> sp.Expr:
    """SHU section 3 [exact]: E sigma_n^2 = sigma^2 (E S)^n (the S_i are independent)."""
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

    Unbiased: sigma^2 (n/M + 2 (1 - c(M)^n)) (SHU's Gaussian theorem). Written with expm1,
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
    """[exact] per generation, E log det Sigma_i - E log det Sigma_{i-1}
    = E log det(W/(M-1)), W ~ Wishart_d(M-1, I) = sum_{i=1..d} [psi((M-i)/2) + log 2] - d log(M-1)
    (Bartlett: det W = prod chi2_{M-i}; E log chi2_nu = psi(nu/2) + log 2 by integration)."""
    per_factor = _chi2_mean(sp.log(x_), M_ - i_)
    return sp.Sum(per_factor, (i_, 1, d_)) - d_ * sp.log(M_ - 1)


def derive_weighted_stationary_variance() -> sp.Expr:
    """HXC ("Recursive Learning Without Collapse") [exact]: the error e_t of
    mu_t = w rbar_t + (1-w) sbar_t, with rbar_t the
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
                   policy: Policy | str = "replace", sampling_bias=1.0) -> Grid:
    """Validate the 1-D chain's arguments (theory and :mod:`sim.gaussian` share it): ``n`` an
    integer >= 0, ``M`` an integer >= 2, ``sigma`` > 0 and ``sampling_bias`` in (0, 1] broadcast
    together; ``estimator`` one of ``ESTIMATORS``; ``policy`` one of ``CHAIN_POLICIES`` (or a
    :class:`theory.policy.Policy`)."""
    arrays = dict(n=param("n", n, lo=0, integer=True), M=param("M", M, lo=2, integer=True),
                  sigma=param("sigma", sigma, lo=0, lo_open=True),
                  sampling_bias=param("sampling_bias", sampling_bias, lo=0, lo_open=True, hi=1))
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


def synthetic_count(M, policy: Policy) -> np.ndarray:
    """Synthetic points per generation under ``fixed-real``: round(ratio * M), M the real set."""
    ratio = policy.ratio if policy.name == "fixed-real" else 0.0
    return np.rint(np.asarray(M) * ratio).astype(np.int64)


def _subsample_paths(n_max: int, M: int, div: int, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """accumulate-subsample's E sigma_i^2 and E mu_i^2 (sigma = 1, mu = 0), i = 0..n_max [exact].

    Step i (pool of N = (i+1) M points: batch j drawn from generation j, batch 0 real) fits
    generation i+1 on M points drawn uniformly without replacement. A point a of batch j is
    mu_j + e_a with e_a = sqrt(w_j) sigma_j z_a (w_0 = 1: real data are never biased; w_j =
    sampling_bias after); the subsets do not depend on the data, so mu_i = sum_a C_ia e_a with
    coefficients C set by the subsets alone, and the e_a are orthogonal martingale increments with
    E e_a^2 = W_j = w_j E sigma_j^2. Hence E mu_i^2 = sum_m M G^(m)_ii W_m, G^(m)_jk = E C_ja C_ka
    and F^(m)_k = E C_ka for a point a of batch m (exchangeable within a batch). With
    y_a' = C_{b(a'),a} + 1[a' = a] (b(a') the batch of a'), C_{i+1,a} = (1/M) sum_{a' in S_i} y_a',
    and inclusion probabilities p1 = M/N, p2 = M(M-1)/(N(N-1)):

    * E C_{i+1,a} C_ka = [M sum_{j<=i} G_jk + F_k 1[m<=i]]/N, k <= i;
    * E C_{i+1,a}^2 = [p2 E(sum_a' y_a')^2 + (p1 - p2) sum_a' E y_a'^2]/M^2 with
      E(sum y)^2 = M^2 sum_{j,k<=i} G_jk + 2M sum_{j<=i} F_j 1[m<=i] + 1[m<=i] and
      sum E y^2 = M sum_{j<=i} G_jj + 1[m<=i] (C_ma = 0: a point enters later fits only);
    * F_{i+1} = [M sum_{j<=i} F_j + 1[m<=i]]/N.

    The variance: E sigma_{i+1}^2 = [(M/N) M sum_{j<=i} (E mu_j^2 + W_j) - M E mu_{i+1}^2]/(M - div)
    (the subset's sum of squares about its mean). Running sums over j make it O(n_max^3).
    """
    n = n_max
    V, D, W = np.ones(n + 1), np.zeros(n + 1), np.zeros(n + 1)
    W[0] = 1.0
    if n == 0:
        return V, D
    batch = np.arange(n)
    col = np.zeros((n, n + 1))  # sum_{j<=i} G^(m)_jk, per batch m and column k
    F = np.zeros((n, n + 1))
    sum_f, sum_diag, sum_all = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        N = (i + 1) * M
        inside = (batch <= i).astype(np.float64)
        row = (M * col[:, :i + 1] + F[:, :i + 1] * inside[:, None]) / N
        p1, p2 = M / N, M * (M - 1) / (N * (N - 1))
        square = M * M * sum_all + 2 * M * sum_f * inside + inside
        diag = (p2 * square + (p1 - p2) * (M * sum_diag + inside)) / M**2
        F[:, i + 1] = (M * sum_f + inside) / N
        col[:, :i + 1] += row
        col[:, i + 1] = row.sum(axis=1) + diag
        sum_all += 2 * row.sum(axis=1) + diag
        sum_diag += diag
        sum_f += F[:, i + 1]
        D[i + 1] = M * np.sum(diag * W[:n])
        V[i + 1] = ((M / N) * M * np.sum(D[:i + 1] + W[:i + 1]) - M * D[i + 1]) / (M - div)
        if i + 1 < n:
            W[i + 1] = lam * V[i + 1]
    return V, D


@functools.lru_cache(maxsize=1024)
def _moment_paths(n_max: int, M: int, estimator: str, policy: Policy,
                  lam: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """E sigma_i^2 and E (mu_i - mu)^2 for i = 0..n_max, sigma = 1, by exact linear recursions.

    Generation 0 is the truth, so the first fit's data are real and never biased; every later
    synthetic point is drawn from N(mu_i, lam sigma_i^2) (lam = ``sampling_bias``); w_j below is
    the variance of generation j's draws (w_0 = 1, w_j = lam v_j).

    * mix (replace when real = 0): a real points N(mu, 1) and b = M - a from N(mu_{i-1}, w):
      e_i = (a r + b (e_{i-1} + s))/M, and the pooled sum of squares is
      SS_r + SS_s + (a b/M)(rbar - sbar)^2, whose mean is
      (a-1) + (b-1) w + (a b/M)(1/a + w/b + D) (the a = 0 or b = 0 cases drop their terms).
    * accumulate: pooled mean mu_i = mu_{i-1} + (xbar_i - mu_{i-1})/i with Var = w_{i-1}/(M i^2);
      batch means xbar_j - mu = sum_{k<=j} c_jk sqrt(w_{k-1}) g_k with c_jk = 1/k (k < j),
      1 (k = j), whose terms are uncorrelated martingale increments; the pooled sum of squares
      over iM points has mean (M-1) sum_j w_{j-1} + sum_k w_{k-1} sum_j (c_jk - cbar_k)^2.
    * accumulate-subsample: :func:`_subsample_paths`.
    * fixed-real (a real set of M points drawn once, s = round(ratio M) synthetic points per
      generation, N = M + s): generation 1 fits the real set alone; after it, with
      u_i = mu_i - rbar (rbar the real set's mean, U_i = E u_i^2), u_{i+1} = (s/N)(u_i + sbar noise)
      so U_{i+1} = (s/N)^2 U_i + s w_i/N^2; the pooled sum of squares has mean
      (M-1) + (s-1) w_i + (M s/N)(U_i + w_i/s); E (mu_i - mu)^2 = 1/M + U_i (u_i has mean 0 given
      the real set).
    """
    div = (lambda N: N - 1) if estimator == "unbiased" else (lambda N: N)
    v = np.ones(n_max + 1)
    D = np.zeros(n_max + 1)
    bias = np.full(n_max + 1, lam)
    bias[0] = 1.0
    if policy.name == "accumulate-subsample":
        return _subsample_paths(n_max, M, M - div(M), lam)
    if policy.name == "accumulate":
        for i in range(1, n_max + 1):
            k = np.arange(1, i + 1)
            c = np.where(k[None, :] < k[:, None], 1.0 / k[None, :], 0.0) + np.eye(i)  # c[j, k]
            spread = ((c - c.mean(axis=0)) ** 2).sum(axis=0)
            w = v[:i] * bias[:i]
            v[i] = ((M - 1) * w.sum() + (w * spread).sum()) / div(i * M)
            D[i] = D[i - 1] + w[i - 1] / (M * i**2)
        return v, D
    if policy.name == "fixed-real":
        s = int(synthetic_count(M, policy))
        N, U = M + s, 0.0
        for i in range(1, n_max + 1):
            if i == 1:
                v[1], D[1] = (M - 1) / div(M), 1.0 / M
                continue
            w = lam * v[i - 1]
            ss = (M - 1) + ((s - 1) * w + M * s / N * (U + w / s) if s else 0.0)
            v[i] = ss / div(N)
            U = (s / N) ** 2 * U + s * w / N**2
            D[i] = 1.0 / M + U
        return v, D
    a = int(real_count(M, policy))
    b = M - a
    for i in range(1, n_max + 1):
        w = v[i - 1] * bias[i - 1]
        ss = (a - 1) * (a > 0) + (b - 1) * (b > 0) * w
        if a and b:
            ss += a * b / M * (1 / a + w / b + D[i - 1])
        v[i] = ss / div(M)
        D[i] = (a + b * w + b**2 * D[i - 1]) / M**2
    return v, D


def _chain_moments(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """E sigma_n^2 and E (mu_n - mu)^2 at every grid point, from :func:`_moment_paths` (one path
    per distinct (M, sampling_bias), as long as the grid's largest n)."""
    b, est, pol = grid.arrays, grid.options["estimator"], grid.options["policy"]
    n_max = int(grid.max("n"))
    var, drift = np.empty(grid.shape), np.empty(grid.shape)
    for idx in np.ndindex(grid.shape):
        v, D = _moment_paths(n_max, int(b["M"][idx]), est, pol, float(b["sampling_bias"][idx]))
        n, s2 = int(b["n"][idx]), float(b["sigma"][idx]) ** 2
        var[idx], drift[idx] = v[n] * s2, D[n] * s2
    return var, drift


def _biased_steps(grid: Grid) -> np.ndarray:
    """Generations drawn with the sampling bias under replace: max(n - 1, 0) (generation 0, the
    truth, yields the real data of the first fit)."""
    return np.maximum(grid["n"] - 1, 0)


def variance_after(*, n, M, sigma=1.0, estimator: str = "unbiased",
                   policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E sigma_n^2 after n refits on M samples (SHU section 3, KAZ section 3) [exact].

    replace: sigma^2 for ``"unbiased"``, sigma^2 ((M-1)/M)^n for ``"mle"`` (worked value: M = 100,
    n = 100, MLE: 0.366), times sampling_bias^(n-1) (Alemohammad et al., "Self-Consuming Generative
    Models Go MAD", ICLR 2024, arXiv:2307.01850: every synthetic sample drawn from
    N(mu_i, sampling_bias sigma_i^2); the first fit's data are real). accumulate, mix,
    accumulate-subsample (KAZ's fixed budget) and fixed-real: the exact linear recursions of
    :func:`_moment_paths` (accumulate-subsample: :func:`_subsample_paths`).

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                          sampling_bias=sampling_bias)
    b, est, pol = grid.arrays, grid.options["estimator"], grid.options["policy"]
    if pol.name == "replace":
        return _numeric("variance", est)(n=b["n"], M=b["M"], sigma=b["sigma"]) \
            * b["sampling_bias"] ** _biased_steps(grid)
    return _chain_moments(grid)[0]


def std_after(*, n, M, sigma=1.0, estimator: str = "unbiased",
              policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E sigma_n = sigma c(M)^n (unbiased; times ((M-1)/M)^(n/2) for the MLE), replace [exact],
    times sampling_bias^((n-1)/2) under sampling bias (sigma_n = sigma sqrt(S_1 prod_{i>=2}
    sampling_bias S_i)).

    Worked value: M = 100, n = 100, unbiased: 0.777. Other policies have no closed form (E of a
    square root of the pooled variance): a ValueError; the simulator twin runs them.
    """
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                          sampling_bias=sampling_bias)
    _closed(grid, "std_after", ("replace",))
    b = grid.arrays
    return _numeric("std", grid.options["estimator"])(n=b["n"], M=b["M"], sigma=b["sigma"]) \
        * b["sampling_bias"] ** (_biased_steps(grid) / 2)


def mean_drift(*, n, M, sigma=1.0, estimator: str = "unbiased",
               policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E (mu_n - mu)^2 after n refits on M samples [exact for every policy].

    replace: sum_{j<n} w_j E sigma_j^2/M (n sigma^2/M unbiased and unbiased sampling; w_0 = 1,
    w_j = sampling_bias). accumulate: sum_{i<=n} w_{i-1} E sigma_{i-1}^2/(M i^2), at most about
    (pi^2/6) sigma^2/M (GER; Dey-Donoho). mix: bounded by the fresh real data.
    accumulate-subsample (Kazdan et al., "Collapse or Thrive?", arXiv:2410.16713, section 2: M
    points drawn without replacement from the pool of all points so far): the exact finite-M
    recursion of :func:`_subsample_paths` over the subsets' coefficient moments (checked against
    an exact enumeration of the subsets at M = 2, 3); the leading order in 1/M
    (:func:`theory.policy.derive_subsample_weights`, sigma^2/M times its factors) is off by
    +0.8%, -2.6%, -8.2% at M = 10 and n = 5, 20, 100 (-2.5% at M = 32, n = 100). fixed-real:
    sigma^2/M (the real set's own error) plus the synthetic part U_n of :func:`_moment_paths`.

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                          sampling_bias=sampling_bias)
    b, est, pol = grid.arrays, grid.options["estimator"], grid.options["policy"]
    if pol.name == "replace" and np.all(b["sampling_bias"] == 1):
        return _numeric("drift", est)(n=b["n"], M=b["M"], sigma=b["sigma"])
    return _chain_moments(grid)[1]


def w2_risk(*, n, M, sigma=1.0, estimator: str = "unbiased",
            policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E W2^2 between the generation-n fit and the truth, replace [exact] (SHU's Gaussian theorem):
    unbiased sigma^2 (n/M + 2(1 - c(M)^n)) ~ (3/2) sigma^2 n/M; finite as n grows only if M grows
    superlinearly in n. Under sampling bias, E (mu_n - mu)^2 + E sigma_n^2 - 2 sigma E sigma_n
    + sigma^2 from :func:`mean_drift`, :func:`variance_after`, :func:`std_after`. Other policies:
    no closed form (a ValueError; simulate them)."""
    kw = dict(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
              sampling_bias=sampling_bias)
    grid = validate_chain(**kw)
    _closed(grid, "w2_risk", ("replace",))
    b = grid.arrays
    exact = _numeric("w2", grid.options["estimator"])(n=b["n"], M=b["M"], sigma=b["sigma"])
    if np.all(b["sampling_bias"] == 1):
        return exact
    parts = (mean_drift(**kw) + variance_after(**kw) - 2 * b["sigma"] * std_after(**kw)
             + b["sigma"] ** 2)
    return np.where(b["sampling_bias"] == 1, exact, parts)


def derive_log_variance_factor(estimator: str) -> sp.Expr:
    """E log S for one refit, S = chi2_{M-1}/div: psi((M-1)/2) + log 2 - log div (the
    chi-square's log-moment by integration)."""
    return sp.simplify(_chi2_mean(sp.log(x_), M_ - 1) - sp.log(_divisor(estimator)))


@functools.cache
def _log_variance_numeric(estimator: str):
    return numeric(n_ * derive_log_variance_factor(estimator), [n_, M_])


def log_variance(*, n, M, sigma=1.0, estimator: str = "unbiased",
                 policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E log(sigma_n^2/sigma^2) after n refits on M samples, replace [exact]:
    n [psi((M-1)/2) + log 2 - log div] (div = M - 1 unbiased, M for the MLE), plus
    (n - 1) log sampling_bias, since log sigma_n^2/sigma^2 is a sum of n independent
    log chi2_{M-1}/div (and of the bias's logs). Negative for every M: the variance collapses
    almost surely (median about sigma^2 exp(-n/(M-1)), unbiased) although its unbiased mean stays
    sigma^2. It is :func:`logdet_drift` at d = 1 for the unbiased estimator.
    Other policies: no closed form (a ValueError; simulate them)."""
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                          sampling_bias=sampling_bias)
    _closed(grid, "log_variance", ("replace",))
    b = grid.arrays
    return _log_variance_numeric(grid.options["estimator"])(n=b["n"], M=b["M"]) \
        + _biased_steps(grid) * np.log(b["sampling_bias"]) + np.zeros(b["sigma"].shape)


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
    dimension d [exact]: n [sum_{i=1..d} psi((M-i)/2) + d log 2 - d log(M-1)],
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
    """Stationary E (mu_t - mu)^2 of HXC's weighted estimator [exact, Gaussian mean]:
    (sigma^2/n) [w^2 + k (1-w)^2]/[w (2-w)]; n fresh real points, n/k synthetic ones per round."""
    b = validate_weighted(w=w, k=k, n=n, sigma=sigma).arrays
    return _weighted_numeric()(**b)


def optimal_real_weight(*, k) -> np.ndarray:
    """HXC's optimal real weight w* = (sqrt(k^2 + 4k) - k)/2 (HXC) [exact]; k = 1 gives
    1/golden ratio = 0.618034."""
    k = param("k", k, lo=0, lo_open=True)
    return _optimal_weight_numeric()(k=k)


# --- the chain in dimension d --------------------------------------------------------------------

def validate_chain_d(*, d, n, M, sigma=1.0, estimator: str = "unbiased",
                     policy: Policy | str = "replace", sampling_bias=1.0) -> Grid:
    """Validate the d-dimensional chain: ``d`` an integer >= 1, ``M`` >= d + 1 (a full-rank
    covariance fit), the rest as :func:`validate_chain`."""
    grid = validate_chain(n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                          sampling_bias=sampling_bias)
    arrays = broadcast(d=param("d", d, lo=1, integer=True), **grid.arrays)
    if np.any(arrays["M"] < arrays["d"] + 1):
        bad = np.argmax(arrays["M"] < arrays["d"] + 1)
        raise ValueError(f"M must be an integer >= d + 1 (a full-rank covariance fit), got "
                         f"M = {arrays['M'].flat[bad]}, d = {arrays['d'].flat[bad]}")
    return Grid(arrays, grid.options)


def _chain_d(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    one = Grid({k: v for k, v in grid.arrays.items() if k != "d"}, grid.options)
    return _chain_moments(one)


def mean_sq_error(*, d, n, M, sigma=1.0, estimator: str = "unbiased",
                  policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E ||mu_n - mu||^2 of the chain in dimension d, truth N(mu, sigma^2 I), each generation
    fitting a mean and a covariance (divisor M - 1 or M) and sampling N(mu_n, sampling_bias
    Sigma_n) [exact]: d times the 1-D :func:`mean_drift`.

    Derived fact: every step of these policies (replace, accumulate, mix, accumulate-subsample,
    fixed-real) maps the second moments E (mu_i - mu)(mu_i - mu)' and E Sigma_i linearly (the
    batch noises L_j z_a are orthogonal martingale increments with E L_j z z' L_j' = E Sigma_j,
    and E of a sample covariance is the same combination of these matrices as the 1-D sum of
    squares is of the variances), starting from 0 and Sigma. So every moment is a multiple of
    Sigma with the 1-D recursion's coefficient: for a general Sigma, E ||mu_n - mu||^2 =
    D_n tr Sigma and E Sigma_n = V_n Sigma (D_n, V_n the 1-D values at sigma = 1). Only tr Sigma
    enters, so the isotropic Sigma = sigma^2 I loses nothing. The fourth moments do not reduce
    to the 1-D chain: E ||Sigma_n - Sigma||_F^2 has a (tr Sigma)^2 cross term
    (:func:`covariance_sq_error`).

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_chain_d(d=d, n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                            sampling_bias=sampling_bias)
    return grid["d"] * _chain_d(grid)[1]


def covariance_ratio(*, d, n, M, sigma=1.0, estimator: str = "unbiased",
                     policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E tr(Sigma_n)/tr(Sigma) of the chain in dimension d [exact]: the 1-D
    E sigma_n^2/sigma^2 (:func:`variance_after` at sigma = 1), for every d and every Sigma (the
    derived fact of :func:`mean_sq_error`); independent of ``sigma``.

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_chain_d(d=d, n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                            sampling_bias=sampling_bias)
    return _chain_d(grid)[0] / grid["sigma"] ** 2


def derive_covariance_moment_map(estimator: str) -> sp.Matrix:
    """One replace refit in dimension d as a linear map of (E tr Sigma^2, E (tr Sigma)^2) [exact].

    Sigma' = c L W L'/div with L L' = Sigma, W = sum_{k<M} g_k g_k' ~ Wishart_d(M - 1, I) and c
    the synthetic draws' variance factor (``sampling_bias``; 1 for the real data). With
    A = Sigma: E tr(W A W A) = sum_{k,l} E (g_k' A g_l)^2 and E (tr W A)^2 = E (sum_k g_k' A g_k)^2,
    where E (g'Ag)^2 = (tr A)^2 + 2 tr A^2 and E (g_k' A g_l)^2 = tr A^2 (k != l) (Isserlis; checked
    by sympy in the tests). Hence, with m = M - 1,
    E tr Sigma'^2 = c^2 [m M tr A^2 + m (tr A)^2]/div^2 and
    E (tr Sigma')^2 = c^2 [2 m tr A^2 + m^2 (tr A)^2]/div^2: the cross term (tr A)^2 feeds the
    Frobenius error, so it is not d times the 1-D E (sigma_n^2 - sigma^2)^2.
    """
    c = sp.Symbol("c", positive=True)
    m = M_ - 1
    return c**2 / _divisor(estimator) ** 2 * sp.Matrix([[m * M_, m], [2 * m, m**2]])


@functools.cache
def _covariance_map_numeric(estimator: str):
    T = derive_covariance_moment_map(estimator)
    c = sp.Symbol("c", positive=True)
    return [[numeric(T[i, j], [M_, c]) for j in range(2)] for i in range(2)]


def covariance_sq_error(*, d, n, M, sigma=1.0, estimator: str = "unbiased",
                        policy: Policy | str = "replace", sampling_bias=1.0) -> np.ndarray:
    """E ||Sigma_n - Sigma||_F^2 / ||Sigma||_F^2 of the d-dimensional replace chain, truth
    N(mu, sigma^2 I), full covariance refits [exact].

    From :func:`derive_covariance_moment_map`: (E tr Sigma_n^2, E (tr Sigma_n)^2) by n steps of
    the linear map from (d sigma^4, d^2 sigma^4), and
    E ||Sigma_n - Sigma||_F^2 = E tr Sigma_n^2 - 2 sigma^2 E tr Sigma_n + d sigma^4. At d = 1 it
    is E (sigma_n^2 - sigma^2)^2/sigma^4; in dimension d the (tr Sigma)^2 cross term makes it
    grow faster than the 1-D value (about (d + 1) n/M per coordinate at small n/M, against
    2 n/M in 1-D). Other policies: no closed form here (a ValueError; the simulator twin runs
    them).

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_chain_d(d=d, n=n, M=M, sigma=sigma, estimator=estimator, policy=policy,
                            sampling_bias=sampling_bias)
    _closed(grid, "covariance_sq_error", ("replace",))
    b, f = grid.arrays, _covariance_map_numeric(grid.options["estimator"])
    out = np.empty(grid.shape)
    for idx in np.ndindex(grid.shape):
        dd, M_i, lam = float(b["d"][idx]), float(b["M"][idx]), float(b["sampling_bias"][idx])
        x = np.array([dd, dd * dd])  # sigma = 1: the ratio does not depend on sigma
        for i in range(int(b["n"][idx])):
            c = 1.0 if i == 0 else lam
            x = np.array([[f[r][q](M=M_i, c=c) for q in range(2)] for r in range(2)]) @ x
        trace = dd * covariance_ratio(d=1, n=b["n"][idx], M=M_i, estimator=grid.options[
            "estimator"], policy="replace", sampling_bias=lam)
        out[idx] = (x[0] - 2 * trace + dd) / dd
    return out


# --- stationary loops with real data: fresh each generation, or fixed ---------------------------

#: Alemohammad et al.'s loops with real data in every generation: ``"fresh"`` (n_real new real
#: points each generation, their fresh data loop, the ``mix`` policy) and ``"augmentation"``
#: (one real set of n_real points drawn once, their synthetic augmentation loop, Bertrand et al.'s
#: setting, the ``fixed-real`` policy). Their fully synthetic loop is ``replace``.
LOOPS = ("fresh", "augmentation")

nr_, ns_, lam_ = sp.symbols("n_r n_s lambda", positive=True)


@functools.cache
def derive_loop_map(loop: str, estimator: str) -> tuple[sp.Matrix, sp.Matrix]:
    """One generation of the loop as an affine map of (E sigma_t^2, X_t), sigma = 1 [exact]:
    x_{t+1} = A x_t + c. n_r real and n_s >= 1 synthetic points (from N(mu_t, lambda sigma_t^2)),
    N = n_r + n_s, divisor N - 1 or N.

    fresh: X_t = E e_t^2, e_t = mu_t - mu; e_{t+1} = (n_r rbar + n_s (e_t + sqrt(lambda) sigma_t
    zbar))/N gives E e_{t+1}^2 = (n_s/N)^2 E e_t^2 + (n_r + n_s lambda E sigma_t^2)/N^2, and the
    pooled sum of squares SS_r + SS_s + (n_r n_s/N)(rbar - sbar)^2 has mean
    (n_r - 1) + (n_s - 1) lambda E sigma_t^2 + (n_r n_s/N)(1/n_r + lambda E sigma_t^2/n_s + X_t).

    augmentation: X_t = E u_t^2, u_t = mu_t - rbar (rbar the fixed real set's mean); given the
    real set, u_{t+1} = (n_s/N)(u_t + sqrt(lambda) sigma_t zbar) and the sum of squares has mean
    SS_R + (n_s - 1) lambda sigma_t^2 + (n_r n_s/N)(u_t^2 + lambda sigma_t^2/n_s), linear in SS_R,
    whose mean is n_r - 1.
    """
    choice("loop", loop, LOOPS)
    choice("estimator", estimator, ESTIMATORS)
    V, X = sp.symbols("V X")
    N = nr_ + ns_
    div = N - 1 if estimator == "unbiased" else N
    between = nr_ * ns_ / N * ((1 / nr_ if loop == "fresh" else 0) + lam_ * V / ns_ + X)
    v_next = ((nr_ - 1) + (ns_ - 1) * lam_ * V + between) / div
    if loop == "fresh":
        x_next = (ns_**2 * X + nr_ + ns_ * lam_ * V) / N**2
    else:
        x_next = (ns_ / N) ** 2 * X + ns_ * lam_ * V / N**2
    out = sp.Matrix([v_next, x_next])
    A = out.jacobian([V, X])
    c = sp.simplify(out.subs({V: 0, X: 0}))
    return sp.simplify(A), c


@functools.cache
def derive_stationary_moments(loop: str, estimator: str) -> tuple[sp.Expr, sp.Expr]:
    """The loop's stationary E sigma_t^2 and E (mu_t - mu)^2 at sigma = 1 [exact]: the fixed
    point (I - A)^{-1} c of :func:`derive_loop_map` (augmentation: 1/n_r, the real set's own
    error, plus the stationary synthetic part E u^2)."""
    A, c = derive_loop_map(loop, estimator)
    V, X = sp.simplify((sp.eye(2) - A).LUsolve(c))
    return sp.factor(V), sp.factor(X + (1 / nr_ if loop == "augmentation" else 0))


@functools.cache
def _stationary_numeric(loop: str, estimator: str, which: int):
    return numeric(derive_stationary_moments(loop, estimator)[which], [nr_, ns_, lam_])


def validate_loop(*, n_real, n_synthetic, sigma=1.0, sampling_bias=1.0,
                  estimator: str = "unbiased", loop: str = "fresh") -> Grid:
    """Validate a loop with real data: ``n_real`` an integer >= 2, ``n_synthetic`` an integer
    >= 0, ``sigma`` > 0, ``sampling_bias`` in (0, 1]; ``estimator`` in ``ESTIMATORS``, ``loop``
    in ``LOOPS``."""
    return Grid(dict(n_real=param("n_real", n_real, lo=2, integer=True),
                     n_synthetic=param("n_synthetic", n_synthetic, lo=0, integer=True),
                     sigma=param("sigma", sigma, lo=0, lo_open=True),
                     sampling_bias=param("sampling_bias", sampling_bias, lo=0, lo_open=True,
                                         hi=1)),
                dict(estimator=choice("estimator", estimator, ESTIMATORS),
                     loop=choice("loop", loop, LOOPS)))


def _stationary(grid: Grid, which: int) -> np.ndarray:
    b = grid.arrays
    nr, ns = b["n_real"].astype(np.float64), b["n_synthetic"].astype(np.float64)
    est = grid.options["estimator"]
    value = _stationary_numeric(grid.options["loop"], est, which)(
        n_r=nr, n_s=np.maximum(ns, 1.0), **{"lambda": b["sampling_bias"]})
    alone = (nr - 1) / (nr - (est == "unbiased")) if which == 0 else 1.0 / nr
    return np.where(ns == 0, alone, value) * b["sigma"] ** 2


def stationary_mean_error(*, n_real, n_synthetic, sigma=1.0, sampling_bias=1.0,
                          estimator: str = "unbiased", loop: str = "fresh") -> np.ndarray:
    """Stationary E (mu_t - mu)^2 of a loop training each generation on n_real real points and
    n_synthetic points from the previous fit drawn with variance sampling_bias sigma_t^2
    [exact: the fixed point of the closed moment recursion :func:`derive_loop_map`].

    Alemohammad et al., "Self-Consuming Generative Models Go MAD" (ICLR 2024, arXiv:2307.01850),
    sections 3-5: their fresh data loop (``loop="fresh"``) and synthetic augmentation loop
    (``"augmentation"``: a fixed real set, Bertrand et al., arXiv:2310.00429); the paper measured
    these loops by Monte Carlo only. Fresh: always at most sigma^2/n_real and at least
    sigma^2/(2 n_real) at sampling_bias = 1 (D = (n_r + n_s lambda V)/(n_r (n_r + 2 n_s))): in the
    Gaussian, synthetic data never hurt the mean; they shrink the variance when
    sampling_bias < 1 (:func:`stationary_variance`). Augmentation: sigma^2/n_real (the real set's
    own error) plus a stationary synthetic part, below sigma^2/(2 n_real) times the stationary
    variance ratio.

    Returns:
        float64 array of the broadcast shape.
    """
    return _stationary(validate_loop(n_real=n_real, n_synthetic=n_synthetic, sigma=sigma,
                                     sampling_bias=sampling_bias, estimator=estimator,
                                     loop=loop), 1)


def stationary_variance(*, n_real, n_synthetic, sigma=1.0, sampling_bias=1.0,
                        estimator: str = "unbiased", loop: str = "fresh") -> np.ndarray:
    """Stationary E sigma_t^2 of the loop of :func:`stationary_mean_error` [exact]; with
    sampling_bias < 1 it falls below sigma^2 as the synthetic share grows (diversity lost), to 0
    as n_synthetic/n_real -> infinity.

    Returns:
        float64 array of the broadcast shape.
    """
    return _stationary(validate_loop(n_real=n_real, n_synthetic=n_synthetic, sigma=sigma,
                                     sampling_bias=sampling_bias, estimator=estimator,
                                     loop=loop), 0)


def effective_sample_size(*, n_real, n_synthetic, sampling_bias=1.0,
                          estimator: str = "unbiased", loop: str = "fresh",
                          error: str = "fit") -> np.ndarray:
    """Alemohammad et al.'s effective sample size (arXiv:2307.01850, the fresh data loop): the
    number n' of real points whose single fit, with no synthetic data, has the loop's stationary
    error [exact]. ``error="fit"``: :func:`stationary_fit_error` (mean and variance, the
    second-order Frechet distance), n' from :func:`derive_real_fit_sample_size`;
    ``error="mean"``: sigma^2 / :func:`stationary_mean_error`. n' > n_real: the synthetic data
    help; n' < n_real: they hurt. For the mean alone synthetic data always help in this Gaussian
    (D = (n_r + n_s lambda V)/(n_r (n_r + 2 n_s)) < 1/n_r); for the fit error they hurt once
    sampling_bias is small enough or the synthetic share large enough (the fitted variance
    collapses): the phase boundary n' = n_real.

    Returns:
        float64 array of the broadcast shape (a real number, not rounded; 0 where the fit error
        has no finite stationary value).
    """
    error = choice("error", error, ESS_ERRORS)
    kw = dict(n_real=n_real, n_synthetic=n_synthetic, sampling_bias=sampling_bias,
              estimator=estimator, loop=loop)
    if error == "mean":
        return 1.0 / stationary_mean_error(**kw)
    f = stationary_fit_error(**kw)
    root = _real_sample_size_numeric(estimator)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isfinite(f), root(f=np.where(np.isfinite(f), f, 1.0)), 0.0)


@functools.cache
def _real_sample_size_numeric(estimator: str):
    return numeric(derive_real_fit_sample_size(estimator), [sp.Symbol("f", positive=True)])


@functools.cache
def _loop_map_numeric(loop: str, estimator: str):
    A, _ = derive_loop_map(loop, estimator)
    return [[numeric(A[i, j], [nr_, ns_, lam_]) for j in range(2)] for i in range(2)]


def moment_contraction(*, n_real, n_synthetic, sampling_bias=1.0, estimator: str = "unbiased",
                       loop: str = "fresh") -> np.ndarray:
    """Spectral radius of the loop's moment map A (:func:`derive_loop_map`) [exact]: the factor by
    which the distance of (E sigma_t^2, E error_t) to the stationary point shrinks per generation;
    0 without synthetic data.

    Stability of the fixed-real (augmentation) loop, Bertrand et al., "On the Stability of
    Iterative Retraining of Generative Models on their Own Data" (ICLR 2024, arXiv:2310.00429):
    their theorems give a sufficient condition, the synthetic-to-real ratio lambda small enough
    against the likelihood's curvature and the first model's error, and in their idealised
    infinite-sample Gaussian-mean example the parameter contracts at rate lambda/(1 + lambda).
    In the Gaussian chain with finite samples the exact map gives: for the MLE and
    sampling_bias = 1 the spectral radius is exactly n_s/(n_r + n_s) = lambda/(1 + lambda) with
    lambda = n_s/n_r (an eigenvalue of A, det(A - n_s/N) = 0; the other is n_s (n_s - 1)/N^2),
    slightly above it for the unbiased estimator (1 - rho about (n_r - 1)/N against n_r/N at
    large lambda), and below 1 for every ratio and every sampling_bias <= 1, as is the
    fourth-order map's (:func:`fourth_moment_contraction`): the loop is stable for every lambda,
    so their condition is sufficient but not necessary here; only the speed of convergence,
    1 - rho ~ 1/(1 + lambda), vanishes as the synthetic share grows."""
    grid = validate_loop(n_real=n_real, n_synthetic=n_synthetic, sampling_bias=sampling_bias,
                         estimator=estimator, loop=loop)
    b = grid.arrays
    kw = dict(n_r=b["n_real"].astype(np.float64),
              n_s=np.maximum(b["n_synthetic"], 1).astype(np.float64),
              **{"lambda": b["sampling_bias"]})
    f = _loop_map_numeric(grid.options["loop"], grid.options["estimator"])
    A = np.stack([np.stack([f[i][j](**kw) for j in range(2)], -1) for i in range(2)], -2)
    radius = np.max(np.abs(np.linalg.eigvals(A)), axis=-1)
    return np.where(b["n_synthetic"] == 0, 0.0, radius)


# --- fourth moments of the loops: the fitted variance's spread, the fit error, the ESS ----------

#: What the effective sample size matches: ``"fit"`` (:func:`stationary_fit_error`, mean and
#: variance together, the second-order Frechet distance) or ``"mean"``
#: (:func:`stationary_mean_error`).
ESS_ERRORS = ("fit", "mean")

_e, _v, _r0, _R = sp.symbols("e v r0 R")  # error, fitted variance; the fixed real set's mean, SS


def _noise_mean(expr: sp.Expr, gaussians: dict, chi2s: dict) -> sp.Expr:
    """E of a polynomial in independent N(0, var) (``gaussians``: symbol -> var) and chi2_k
    (``chi2s``: symbol -> k) variables: E z^j = var^(j/2) (j-1)!!, E X^j = prod_{i<j} (k + 2i)."""
    noise = [*gaussians, *chi2s]
    total = sp.Integer(0)
    for powers, coeff in sp.Poly(sp.expand(expr), *noise).terms():
        factor = sp.Integer(1)
        for sym, j in zip(noise, powers):
            if sym in gaussians:
                factor *= 0 if j % 2 else gaussians[sym] ** sp.Rational(j, 2) * sp.factorial2(j - 1)
            else:
                factor *= sp.prod([chi2s[sym] + 2 * i for i in range(j)])
        total += coeff * factor
    return total


@functools.cache
def _loop_conditional_moments(loop: str, estimator: str) -> dict:
    """E[e'^a v'^b | e, v] (a + 2b <= 4) for one generation of the loop, sigma = 1 [exact], as
    polynomials in e, v (and, augmentation, in the fixed real set's r0 = rbar - mu and SS R).

    e' = (n_r rbar + n_s (e + sqrt(lambda v) zbar))/N, N v' div = SS_r + lambda v Q
    + (n_r n_s/N)(rbar - e - sqrt(lambda v) zbar)^2 with zbar ~ N(0, 1/n_s), Q ~ chi2_{n_s - 1};
    fresh: rbar ~ N(0, 1/n_r) and SS_r ~ chi2_{n_r - 1} new each generation; augmentation:
    rbar = r0 and SS_r = R fixed (the pooled sum of squares of a Gaussian sample)."""
    s, z, r, A, Q = sp.symbols("s zbar rbar SS_r Q")
    N = nr_ + ns_
    div = N - 1 if estimator == "unbiased" else N
    rbar, ss_r = (r, A) if loop == "fresh" else (_r0, _R)
    e1 = (nr_ * rbar + ns_ * (_e + sp.sqrt(lam_) * s * z)) / N
    v1 = (ss_r + lam_ * s**2 * Q + nr_ * ns_ / N * (rbar - _e - sp.sqrt(lam_) * s * z) ** 2) / div
    gaussians = {z: 1 / ns_, **({r: 1 / nr_} if loop == "fresh" else {})}
    chi2s = {Q: ns_ - 1, **({A: nr_ - 1} if loop == "fresh" else {})}
    out = {}
    for a in range(5):
        for b in range(3):
            if 0 < a + 2 * b <= 4:
                m = _noise_mean(e1**a * v1**b, gaussians, chi2s)
                out[a, b] = sp.expand(m.subs(s, sp.sqrt(_v)))
    return out


def _real_set_moment(c: int, d: int) -> sp.Expr:
    """E r0^c R^d of the fixed real set: r0 ~ N(0, 1/n_r) independent of R ~ chi2_{n_r - 1}."""
    return _noise_mean(_r0**c * _R**d, {_r0: 1 / nr_}, {_R: nr_ - 1})


@functools.cache
def derive_loop_moment_system(loop: str, estimator: str) -> tuple[tuple, sp.Matrix, sp.Matrix]:
    """The loop's closed moment system up to fourth order, sigma = 1 [exact]: monomials
    m = (E e^a v^b r0^c R^d) with a + c + 2 (b + d) <= 4 reachable from E e^2, E v, E e^4,
    E e^2 v, E v^2, and the affine map m_{t+1} = A m_t + C of one generation
    (:func:`_loop_conditional_moments`; pure real-set moments E r0^c R^d are constants).

    Given the previous fit, the next fit's (e, v) are polynomials of degree <= 2 in Gaussian and
    chi-square noises, so every moment of weighted degree <= 4 maps to moments of degree <= 4:
    the system closes. Returns (monomials as (a, b, c, d) tuples, A, C)."""
    cond = _loop_conditional_moments(loop, estimator)
    state = [_e, _v, _r0, _R]
    order, index, rows = [], {}, []
    queue = [(2, 0, 0, 0), (0, 1, 0, 0), (4, 0, 0, 0), (2, 1, 0, 0), (0, 2, 0, 0)]
    while queue:
        mono = queue.pop(0)
        if mono in index:
            continue
        index[mono] = len(order)
        order.append(mono)
        a, b, c, d = mono
        image = sp.Poly(sp.expand(cond[a, b] * _r0**c * _R**d), *state)
        row = {}
        for (pa, pb, pc, pd), coeff in image.terms():
            if pa == 0 and pb == 0:
                row[None] = row.get(None, 0) + coeff * _real_set_moment(pc, pd)
            else:
                row[pa, pb, pc, pd] = coeff
                queue.append((pa, pb, pc, pd))
        rows.append(row)
    k = len(order)
    A, C = sp.zeros(k, k), sp.zeros(k, 1)
    for i, row in enumerate(rows):
        for mono, coeff in row.items():
            if mono is None:
                C[i] = coeff
            else:
                A[i, index[mono]] = coeff
    return tuple(order), A, C


@functools.cache
def _moment_system_numeric(loop: str, estimator: str):
    order, A, C = derive_loop_moment_system(loop, estimator)
    k = len(order)
    cells = [[numeric(A[i, j], [nr_, ns_, lam_]) if A[i, j] != 0 else None for j in range(k)]
             for i in range(k)]
    consts = [numeric(C[i], [nr_, ns_, lam_]) if C[i] != 0 else None for i in range(k)]
    return order, cells, consts


def _moment_system(grid: Grid) -> tuple[tuple, np.ndarray, np.ndarray]:
    """The numeric A (shape grid + (k, k)) and C (grid + (k,)) at every grid point (n_s >= 1)."""
    b = grid.arrays
    kw = dict(n_r=b["n_real"].astype(np.float64),
              n_s=np.maximum(b["n_synthetic"], 1).astype(np.float64),
              **{"lambda": b["sampling_bias"]})
    order, cells, consts = _moment_system_numeric(grid.options["loop"], grid.options["estimator"])
    k, shape = len(order), grid.shape
    A, C = np.zeros((*shape, k, k)), np.zeros((*shape, k))
    for i in range(k):
        if consts[i] is not None:
            C[..., i] = consts[i](**kw)
        for j in range(k):
            if cells[i][j] is not None:
                A[..., i, j] = cells[i][j](**kw)
    return order, A, C


def fourth_moment_contraction(*, n_real, n_synthetic, sampling_bias=1.0,
                              estimator: str = "unbiased", loop: str = "fresh") -> np.ndarray:
    """Spectral radius of the loop's moment map up to fourth order
    (:func:`derive_loop_moment_system`) [exact]: below 1 iff E sigma_t^4 and E (mu_t - mu)^4
    reach finite stationary values (and :func:`stationary_fit_error` exists). 0 without
    synthetic data."""
    grid = validate_loop(n_real=n_real, n_synthetic=n_synthetic, sampling_bias=sampling_bias,
                         estimator=estimator, loop=loop)
    _, A, _ = _moment_system(grid)
    radius = np.max(np.abs(np.linalg.eigvals(A)), axis=-1)
    return np.where(grid["n_synthetic"] == 0, 0.0, radius)


def _real_fit_error(n, estimator: str):
    """E[(mu_hat - mu)^2 + (sigma_hat^2 - sigma^2)^2/(4 sigma^2)]/sigma^2 of one fit on n real
    points: 1/n + 1/(2(n - 1)) (unbiased: Var = 2 sigma^4/(n - 1)), 1/n + (2n - 1)/(4 n^2) (MLE)."""
    n = np.asarray(n, dtype=np.float64)
    return 1 / n + (1 / (2 * (n - 1)) if estimator == "unbiased" else (2 * n - 1) / (4 * n**2))


def stationary_fit_error(*, n_real, n_synthetic, sigma=1.0, sampling_bias=1.0,
                         estimator: str = "unbiased", loop: str = "fresh") -> np.ndarray:
    """Stationary E[(mu_t - mu)^2 + (sigma_t^2 - sigma^2)^2/(4 sigma^2)] of the loop of
    :func:`stationary_mean_error` [exact: the fixed point of the closed fourth-moment system
    :func:`derive_loop_moment_system`; inf where that system does not contract].

    The quantity is the second-order expansion about the truth of the squared Frechet
    (2-Wasserstein) distance (mu_t - mu)^2 + (sigma_t - sigma)^2 between the fitted and the true
    Gaussian, the distance Alemohammad et al. ("Self-Consuming Generative Models Go MAD", ICLR
    2024, arXiv:2307.01850) track (FID is its formula on Inception features); unlike the mean
    error it sees the loss of diversity: with sampling_bias < 1 and many synthetic points the
    fitted variance shrinks towards 0 and the error towards sigma^2/4, so synthetic data hurt
    (:func:`effective_sample_size`). With n_synthetic = 0 it is one real fit's
    1/n_r + 1/(2(n_r - 1)) (unbiased) or 1/n_r + (2 n_r - 1)/(4 n_r^2) (MLE), times sigma^2.

    Returns:
        float64 array of the broadcast shape.
    """
    grid = validate_loop(n_real=n_real, n_synthetic=n_synthetic, sigma=sigma,
                         sampling_bias=sampling_bias, estimator=estimator, loop=loop)
    order, A, C = _moment_system(grid)
    k = len(order)
    radius = np.max(np.abs(np.linalg.eigvals(A)), axis=-1)
    m = np.linalg.solve(np.eye(k) - A, C[..., None])[..., 0]
    at = {mono: m[..., i] for i, mono in enumerate(order)}
    e2, v, v2 = at[2, 0, 0, 0], at[0, 1, 0, 0], at[0, 2, 0, 0]
    value = np.where(radius < 1, e2 + (v2 - 2 * v + 1) / 4, np.inf)
    alone = _real_fit_error(grid["n_real"], grid.options["estimator"])
    return np.where(grid["n_synthetic"] == 0, alone, value) * grid["sigma"] ** 2


@functools.cache
def derive_real_fit_sample_size(estimator: str) -> sp.Expr:
    """The number n' of real points whose single fit has fit error f (sigma = 1): the root > 1
    of 1/n' + 1/(2(n' - 1)) = f (unbiased) or 1/n' + (2n' - 1)/(4 n'^2) = f (MLE) [exact]."""
    n, f = sp.symbols("n f", positive=True)
    g = 1 / n + (1 / (2 * (n - 1)) if estimator == "unbiased" else (2 * n - 1) / (4 * n**2))
    roots = sp.solve(sp.Eq(g, f), n)
    # the larger root is the one above 1 (g decreases from +inf, or from 5/4, to 0 on (1, inf))
    (root,) = [r for r in roots if (r.subs(f, sp.Rational(1, 10)) > 1) is sp.true]
    return sp.simplify(root)


# --- documentation: every public function's Args (domains as the validators enforce them) -------

#: What each parameter means, with the domain its validator enforces.
ARG_DOCS = {
    "n": "generation (number of refits), an integer >= 0 (broadcast).",
    "M": "samples per fit, an integer >= 2 (broadcast; under ``fixed-real`` the size of the kept "
         "real set; in dimension d, M >= d + 1 for a full-rank covariance fit).",
    "sigma": "standard deviation of the truth N(mu, sigma^2) (per coordinate in dimension d), a "
             "real > 0 (broadcast).",
    "estimator": '``"unbiased"`` (divisor M - 1) or ``"mle"`` (divisor M).',
    "policy": "the data policy: one of ``CHAIN_POLICIES`` (``replace``, ``accumulate``, ``mix``, "
              "``accumulate-subsample``, ``fixed-real``) or a :class:`theory.policy.Policy`.",
    "sampling_bias": "variance factor lambda of every synthetic draw N(mu_i, lambda sigma_i^2), a "
                     "real in (0, 1] (broadcast; 1: unbiased sampling).",
    "d": "dimension, an integer >= 1 (broadcast; M >= d + 1).",
    "n_real": "real points per generation (``fresh`` loop) or in the fixed real set "
              "(``augmentation``), an integer >= 2 (broadcast).",
    "n_synthetic": "synthetic points per generation, an integer >= 0 (broadcast).",
    "loop": '``"fresh"`` (new real data every generation) or ``"augmentation"`` (a fixed real '
            "set).",
    "error": '``"fit"`` (the second-order Frechet fit error) or ``"mean"`` (the mean\'s squared '
             "error).",
    "w": "weight of the real data in the estimate, a real in (0, 1] (broadcast).",
    "k": "real-to-synthetic size ratio (n real, n/k synthetic points per round), a real > 0 "
         "(broadcast).",
}

#: Per-function domains that differ from :data:`ARG_DOCS`.
ARG_OVERRIDES = {
    name: {"n": "fresh real points per round, an integer >= 1 (broadcast)."}
    for name in ("weighted_stationary_variance", "validate_weighted")
} | {
    name: {"M": "samples per fit, an integer >= 2 (broadcast).",
           "policy": "a :class:`theory.policy.Policy` (``mix`` and ``fixed-real`` carry the "
                     "counts; any other policy gives 0)."}
    for name in ("real_count", "synthetic_count")
} | {
    name: {"n": "number of refits, an integer >= 0 (broadcast; default 1).",
           "M": "samples per fit, an integer >= d + 1 (broadcast)."}
    for name in ("logdet_drift", "validate_logdet")
}

from theory._docs import document  # noqa: E402

document(globals(), __all__, ARG_DOCS,
         'Shumailov et al., "AI models collapse when trained on recursively generated data", '
         "Nature 631 (2024), arXiv 2305.17493, the Gaussian example of Section 4; Kazdan et al., "
         '"Collapse or Thrive?", arXiv 2410.16713, Section 3; Alemohammad et al., "Self-Consuming '
         'Generative Models Go MAD", ICLR 2024, arXiv 2307.01850; Bertrand et al., arXiv '
         "2310.00429; He, Xu, Cheng, arXiv 2502.18049; docs/theory/gaussian.md.",
         ARG_OVERRIDES)
