"""Replace, accumulate and accumulate-subsample in the fixed-design regression chain.

The chain (Gerstgrasser et al., "Is Model Collapse Inevitable?", arXiv:2404.01413, section 3,
linear models; Dey and Donoho, arXiv:2410.22812; Kazdan et al., "Collapse or Thrive?",
arXiv:2410.16713, their fixed-design linear regression): one design X (T x d, rows N(0, Sigma)).
Iteration 1 labels X with the truth w*, iteration i > 1 with the previous fit w_{i-1}, plus
N(0, sigma^2) noise; the fit is OLS on the training set the policy picks:

* ``replace``: the newest T labels: w_i = w_{i-1} + A E_i, A = (X'X)^-1 X'.
* ``accumulate``: all iT labels. For a fixed design the stacked normal equations are
  (i X'X) w = X' sum_j Y_j, so the fit is the average of the per-batch fits,
  w_i = (1/i) sum_{j<=i} (w_{j-1} + A E_j), i.e. w_i = w_{i-1} + A E_i / i.
* ``accumulate-subsample`` (Kazdan et al.'s fixed budget): the pool holds every (row, label) pair
  generated so far, iT of them at fit i (T relabellings of the same design rows); fit i is pinv
  (OLS; min-norm when rank-deficient) on T pairs drawn uniformly without replacement from the
  pool, so a design row may be drawn several times with different labels, or not at all.

With e_i = w_i - w*, ||e_i||^2_Sigma = ||(Z'Z)^-1 Z' ...||^2 for the whitened Z = X Sigma^-1/2: the
error does not depend on Sigma, and its unit is v = sigma^2 tr[Sigma (X'X)^-1], whose mean is
sigma^2 d/(T - d - 1) (inverse-Wishart mean, :func:`theory.regression.derive_noise_term`).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from theory._symbolic import numeric
from theory.domain import Grid, choice, param
from theory.policy import Policy, as_policy, derive_subsample_weights
from theory.regression._closed_forms import derive_noise_term

__all__ = ["DESIGNS", "FIXED_DESIGN_POLICIES", "derive_fixed_design_error",
           "derive_fresh_accumulate_term", "derive_subsample_weights", "fixed_design_error",
           "validate_fixed_design"]

FIXED_DESIGN_POLICIES = ("replace", "accumulate", "accumulate-subsample")
DESIGNS = ("fixed", "fresh")

_d, _T = sp.symbols("d T", positive=True, integer=True)
_n = sp.Symbol("n", integer=True, nonnegative=True)
_i = sp.Symbol("i", integer=True, positive=True)
_sigma = sp.Symbol("sigma", nonnegative=True)


@functools.cache
def derive_fixed_design_error(policy: str) -> sp.Expr:
    """[exact] E ||w_n - w*||^2_Sigma = sigma^2 d/(T-d-1) sum_{i<=n} a_i^2 with
    a_i = 1 (replace) or 1/i (accumulate): the increments A E_i a_i are independent and zero-mean,
    so the risk is the sum of their noise terms (derive_noise_term). sum_{i<=n} 1/i^2 is written
    pi^2/6 - psi'(n + 1) (bounded by pi^2/6: GER's and DD's pi^2/6 pathway)."""
    unit = derive_noise_term().subs({sp.Symbol("m", positive=True, integer=True): _T,
                                     sp.Symbol("s", nonnegative=True): _sigma,
                                     sp.Symbol("d", positive=True, integer=True): _d})
    weight = {"replace": sp.Integer(1), "accumulate": 1 / _i**2}[policy]
    total = sp.Sum(weight, (_i, 1, _n)).doit()
    return unit * sp.simplify(total.rewrite(sp.polygamma))


@functools.cache
def derive_fresh_accumulate_term() -> sp.Expr:
    """Fresh designs, accumulate [exact]: the i-th increment's risk, sigma^2 d/(i (iT - d - 1)).

    With G_i = sum_{j<=i} X_j'X_j the stacked normal equations give G_i e_i = G_i e_{i-1} + X_i'E_i
    (the previous equations hold for e_{i-1}), so e_i = e_{i-1} + G_i^-1 X_i'E_i: independent
    zero-mean increments of risk sigma^2 E tr[G_i^-2 X_i'X_i] = sigma^2 E tr[G_i^-1]/i (the i
    batches are exchangeable in G_i), and G_i is Wishart with iT degrees of freedom.
    """
    unit = derive_noise_term().subs({sp.Symbol("m", positive=True, integer=True): _i * _T,
                                     sp.Symbol("s", nonnegative=True): _sigma,
                                     sp.Symbol("d", positive=True, integer=True): _d})
    return sp.simplify(unit / _i)


@functools.cache
def _fresh_term():
    return numeric(derive_fresh_accumulate_term(), [_d, _T, _i, _sigma])


def _multiplicity_law(i: int, T: int) -> np.ndarray:
    """P(m), m = 0..i: how many of a design row's i pairs a draw of T from the pool of iT pairs
    holds (hypergeometric: C(i, m) C(iT - i, T - m)/C(iT, T)); i = 1 gives m = 1."""
    log_c = lambda a, b: (math.lgamma(a + 1) - math.lgamma(b + 1)  # noqa: E731
                          - math.lgamma(a - b + 1))
    return np.array([np.exp(log_c(i, k) + log_c(i * T - i, T - k) - log_c(i * T, T))
                     if 0 <= T - k <= i * T - i else 0.0 for k in range(i + 1)])


def _row_drawn(i, T):
    """P(a design row has at least one pair in fit i's draw) = 1 - C(iT - i, T)/C(iT, T)."""
    i, T = np.asarray(i, np.float64), np.asarray(T, np.float64)
    j = np.maximum(i, 2.0)
    log_none = (_lgamma(j * T - j + 1) + _lgamma(j * T - T + 1) - _lgamma(j * T - j - T + 1)
                - _lgamma(j * T + 1))
    return np.where(i <= 1, 1.0, -np.expm1(log_none))


_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _delta(phi: float, p: np.ndarray) -> float:
    """The root delta > 0 of E[m delta/(1 + m delta)] = phi (m ~ p; needs phi < P(m > 0)):
    tr G^-1 of the weighted Gram matrix G = sum_r m_r x_r x_r' in the proportional limit."""
    m = np.arange(len(p))
    lo, hi = 0.0, 1.0
    while (p * m * hi / (1 + m * hi)).sum() < phi:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if (p * m * mid / (1 + m * mid)).sum() < phi else (lo, mid)
    return 0.5 * (lo + hi)


@functools.cache
def _subsample_cavity(d: int, T: int, n_max: int) -> tuple[np.ndarray, float]:
    """E ||e_i||^2 / sigma^2, i = 0..n_max, of accumulate-subsample's raw pool in the proportional
    limit (d, T -> infinity at d/T fixed, n fixed), by the row-cavity recursion of
    :func:`fixed_design_error`. Per design row the variables are its fitted values h_i = x'e_i,
    its forces c_i = s_i - m_i h_i in fit i's normal equations (s_i: the sum of the row's drawn
    label residuals, m_i: how many of its pairs fit i draws) and its label noises E_j; their
    second moments Q (averaged over the row's draws) and the mean coefficients of the cavity
    fields g_k in them (alpha) are propagated fit by fit; the cavity covariance Gamma_ki,
    k <= i, solves the i linear equations E[h_k c_i] = 0 (the normal equations of fit i).
    Also returns the largest |E[h_k c_i]|, k > i (zero if the closure is consistent), relative
    to the largest risk.
    """
    n = n_max
    phi = d / (T - 1)  # T - 1: the deterministic equivalent is then exact at i = 1
    h, c, e = (lambda i: i - 1), (lambda i: n + i - 1), (lambda j: 2 * n + j)
    Q = np.zeros((3 * n, 3 * n))
    alpha = np.zeros((3 * n, n))  # alpha[v, k]: mean coefficient of g_{k+1} in variable v
    Q[2 * n:, 2 * n:] = np.eye(n)  # the label noises, unit variance (sigma^2 scales out)
    gamma_diag = np.zeros(n + 1)
    B = np.zeros((n + 1, n + 1))  # mean propagation of a shift of e_l to e_i (exchangeability)
    deltas = np.zeros(n + 1)
    for i in range(1, n + 1):
        B[i] = B[:i].sum(axis=0) / i
        B[i, i] += 1.0
        p = _multiplicity_law(i, T)
        m = np.arange(i + 1)
        dl = deltas[i] = _delta(phi, p)
        den = (1 + dl * m) ** 2
        a0, a1, a2 = (p / (1 + dl * m)).sum(), (p * m / i / (1 + dl * m)).sum(), \
            (p * m / (1 + dl * m)).sum()
        u = np.zeros((i, 3 * n))  # label residuals u_j = h_j + E_j of the row's i pairs
        u[np.arange(i), [e(j) for j in range(i)]] = 1.0
        u[np.arange(1, i), [h(j) for j in range(1, i)]] = 1.0
        av = np.zeros(3 * n)  # a_i = g_i + sum_{l<i} B_il delta_l c_l
        av[[c(l) for l in range(1, i)]] = B[i, 1:i] * deltas[1:i]
        uq, aq = u @ Q, av @ Q
        ua, aa = u @ alpha[:, :i], av @ alpha[:, :i]  # their g-coefficients (g_1..g_i)
        s_y = uq.sum(axis=0)
        uqu = uq @ u.T
        diag, off = np.trace(uqu), uqu.sum() - np.trace(uqu)
        es2 = m / i * diag + (m * (m - 1) / (i * (i - 1)) * off if i > 1 else 0.0)
        k_hc = (p * (m / i) * (1 - dl * m) / den).sum(), (p * m / den).sum()
        # constraints E[h_k c_i] = 0 (k < i) and E[h_i c_i] = 0, affine in gamma = Gamma_{., i}
        lhs = np.zeros((i, i))
        rhs = np.zeros(i)
        for k in range(1, i):
            lhs[k - 1] = -a2 * alpha[h(k), :i]
            rhs[k - 1] = -(a1 * s_y[h(k)] - a2 * aq[h(k)])
        d_sua, d_eaa = ua.sum(axis=0), 2 * aa + np.eye(i)[i - 1]
        sua0, eaa0 = (uq @ av).sum(), aq @ av
        lhs[i - 1] = k_hc[0] * d_sua - k_hc[1] * d_eaa
        rhs[i - 1] = -(k_hc[0] * sua0 + dl * (p * es2 / den).sum() - k_hc[1] * eaa0)
        gam = np.linalg.solve(lhs, rhs)
        g_full = np.zeros(n)
        g_full[:i] = gam
        e_ay = aq + alpha @ g_full
        sua, eaa = sua0 + d_sua @ gam, eaa0 + d_eaa @ gam
        hy, cy = a0 * e_ay + dl * a1 * s_y, a1 * s_y - a2 * e_ay
        hh = (p * (eaa + 2 * dl * (m / i) * sua + dl**2 * es2) / den).sum()
        cc = (p * (es2 - 2 * m * (m / i) * sua + m**2 * eaa) / den).sum()
        Q[h(i)], Q[:, h(i)], Q[c(i)], Q[:, c(i)] = hy, hy, cy, cy
        Q[h(i), h(i)], Q[c(i), c(i)], Q[h(i), c(i)], Q[c(i), h(i)] = hh, cc, 0.0, 0.0
        a_g = np.zeros(n)
        a_g[:i] = aa + np.eye(i)[i - 1]
        u_g = np.zeros(n)
        u_g[:i] = ua.sum(axis=0)
        alpha[h(i)], alpha[c(i)] = a0 * a_g + dl * a1 * u_g, a1 * u_g - a2 * a_g
        gamma_diag[i] = gam[i - 1]
    closure = max((abs(Q[h(k), c(i)]) for i in range(1, n) for k in range(i + 1, n + 1)),
                  default=0.0)
    return gamma_diag, closure / max(gamma_diag.max(), 1e-300)


def validate_fixed_design(*, d, T, n, sigma, policy: Policy | str = "replace",
                          design: str = "fixed") -> Grid:
    """Validate the chain of :func:`fixed_design_error` (shared with :mod:`sim.regression`):
    ``d`` >= 1, ``T`` >= d + 2, ``n`` >= 0, ``sigma`` >= 0 broadcast together; ``policy`` one of
    ``FIXED_DESIGN_POLICIES``, ``design`` one of ``DESIGNS`` (accumulate-subsample: fixed only)."""
    grid = Grid(dict(d=param("d", d, lo=1, integer=True), T=param("T", T, lo=1, integer=True),
                     n=param("n", n, lo=0, integer=True), sigma=param("sigma", sigma, lo=0)),
                dict(policy=as_policy(policy, FIXED_DESIGN_POLICIES),
                     design=choice("design", design, DESIGNS)))
    if np.any(grid["T"] < grid["d"] + 2):
        raise ValueError(f"T must be an integer >= d + 2 (finite OLS risk), got T = {T}, d = {d}")
    if grid.options["policy"].name == "accumulate-subsample":
        if grid.options["design"] != "fixed":
            raise ValueError("design must be 'fixed' for policy 'accumulate-subsample'")
        d_, T_, n_ = np.broadcast_arrays(grid["d"], grid["T"], grid["n"])
        if np.any(d_ / (T_ - 1) >= _row_drawn(np.maximum(n_, 1), T_)):
            raise ValueError("T must be large enough that a fit draws more distinct rows than d "
                             "on average for policy 'accumulate-subsample': d/(T - 1) < P(a row "
                             "is drawn at fit n) = 1 - C(nT - n, T)/C(nT, T) (about 0.63 for "
                             f"large n), got d = {d}, T = {T}, n = {n}")
    return grid


def fixed_design_error(*, d, T, n, sigma, policy: Policy | str = "replace",
                       design: str = "fixed") -> np.ndarray:
    """E ||w_n - w*||^2_Sigma after n iterations of the chain (Gerstgrasser et al.,
    arXiv:2404.01413, section 3; Dey and Donoho, arXiv:2410.22812; Kazdan et al.,
    arXiv:2410.16713).

    ``design="fixed"`` (one X for every iteration):
    * replace [exact]: n sigma^2 d/(T-d-1) (worked value d=10, T=50, sigma=1, n=10: 2.564103);
    * accumulate [exact]: sigma^2 d/(T-d-1) sum_{i<=n} 1/i^2 (0.397376; bound (pi^2/6) 0.256410 =
      0.421778);
    * accumulate-subsample [asymp: proportional limit d, T -> infinity at fixed d/T and n;
      derived here], the raw pool of (row, label) pairs of Kazdan et al. (their published loop):
      sigma^2 Gamma_nn of the row-cavity recursion below (:func:`_subsample_cavity`). n = 1 is
      replace's first fit, exactly. As d/T -> 0 it tends to the leading-order form
      sigma^2 d/(T-d-1) :func:`theory.policy.derive_subsample_weights` (n), which treats every
      fit as seeing each design row once (the rows-in-place simplification) and is off by
      -7.5% at d/T = 1/10 and -33% at d/T = 1/3.2 after 20 fits, where the cavity is off by
      -0.7% and -5.1% (table).

      Derivation (Sigma = I; rows x_r of X; e_0 = 0; the pool's pair (j, r) has label residual
      u_jr = h_jr + E_jr with h_jr = x_r'e_j). Fit i solves G_i e_i = sum_r x_r s_ir, where
      m_ir is how many of row r's i pairs it draws (hypergeometric), s_ir the sum of their
      residuals and G_i = sum_r m_ir x_r x_r'. (1) Fit i's draw is independent of the past and
      exchangeable in the batches, so E[G_i^-1 K_ij | X] = I/i (K_ij: the Gram matrix of its
      pairs from batch j): a shift of e_l reaches e_i with mean B_il I, B_ll = 1,
      B_il = (1/i) sum_{l<=j<i} B_jl. (2) Removing row r from every fit (the cavity),
      h_i = g_i + sum_{l<=i} chi_il c_l holds exactly with c_l = s_l - m_l h_l (the row's force
      in fit l's normal equations) and chi_il = x_r'R_il x_r, R the cavity's propagator; the
      cavity fields g_i = x_r'e_i^(r) are Gaussian with covariance Gamma_ik = E e_i'e_k, and
      chi_il -> tr R_il = B_il delta_l by (1), delta_l = tr G_l^-1 the root of
      E[m delta/(1 + m delta)] = d/(T - 1) (T - 1 makes n = 1 exact). (3) Fit i's normal
      equations give sum_r h_kr c_ir = e_k' sum_r x_r c_ir = 0 for every k, so E[h_k c_i] = 0
      over a row. Averaging the row's linear system over its draws (given m, the drawn batches
      are a uniform m-subset) propagates its second moments fit by fit; the equations k <= i
      are linear in Gamma_ki, k <= i, and fix them; those with k > i then hold to rounding (a
      check of the closure, tested). Finite-size corrections are not derived; measured:

      ======  ===  ==================  ========  ======  ==========  ======
      d/T      n   raw pool            cavity    error   leading     error
      ======  ===  ==================  ========  ======  ==========  ======
      1/30      1  0.0345 +- 0.0001    0.0346    +0.3%   0.0346      +0.3%
      1/30      5  0.0839 +- 0.0003    0.0838    -0.1%   0.0827      -1.4%
      1/30     20  0.0989 +- 0.0003    0.0986    -0.3%   0.0965      -2.5%
      1/10      1  0.1123 +- 0.0004    0.1124    +0.1%   0.1124      +0.1%
      1/10      5  0.2809 +- 0.0010    0.2806    -0.1%   0.2686      -4.4%
      1/10     20  0.3388 +- 0.0011    0.3366    -0.7%   0.3133      -7.5%
      1/5       1  0.2565 +- 0.0009    0.2564    -0.0%   0.2564      -0.0%
      1/5       5  0.6892 +- 0.0026    0.6786    -1.5%   0.6130      -11.0%
      1/5      20  0.8635 +- 0.0033    0.8488    -1.7%   0.7150      -17.2%
      1/3.2     1  0.4746 +- 0.0019    0.4762    +0.3%   0.4762      +0.3%
      1/3.2     5  1.4366 +- 0.0065    1.3899    -3.2%   1.1385      -20.7%
      1/3.2    20  1.9923 +- 0.0089    1.8909    -5.1%   1.3279      -33.4%
      1/2       1  1.0938 +- 0.0139    1.1111    +1.6%   1.1111      +1.6%
      1/2       5  196 +- 124          4.99      (none)  2.66        (none)
      ======  ===  ==================  ========  ======  ==========  ======

      (d = 10, sigma = 1, T = 300, 100, 50, 32: 20,000 seeds, T = 20: 3000 seeds;
      :func:`sim.regression.fixed_design_error`, common random numbers along n; error: theory
      over the raw pool, minus 1.) At d/T = 1/2 the mean does not exist: once n (d + 1) >= T a
      fit can draw only d + 1 or fewer distinct rows, and pinv on d - 1, d or d + 1 Gaussian rows
      has an infinite mean square, so the exact mean over Gaussian designs is infinite from then
      on.
      Such a draw has probability at most C(T, d + 1) ((d + 1)/T)^T per fit (2e-7 at d = 10,
      T = 32; 5e-23 at T = 50), which neither the theory nor a simulation of practical size
      sees; at T = 20 it is frequent and the simulated mean does not settle. Domain: the fits
      must draw more distinct rows than d on average, d/(T - 1) < P(a row is drawn at fit n).

    ``design="fresh"`` (a new X each iteration, fits on everything kept):
    * replace [exact]: the same n sigma^2 d/(T-d-1) (independent increments again);
    * accumulate [exact, derived here; GER and DD treat the fixed design]:
      sigma^2 sum_{i<=n} d/(i (iT - d - 1)), see :func:`derive_fresh_accumulate_term`; below the
      fixed-design value (each term is at most d/(i^2 (T-d-1))) and bounded by it.
    * accumulate-subsample is defined for the fixed design only.
    """
    grid = validate_fixed_design(d=d, T=T, n=n, sigma=sigma, policy=policy, design=design)
    b, pol, des = grid.arrays, grid.options["policy"], grid.options["design"]
    if pol.name == "accumulate-subsample":
        out = np.empty(b["n"].shape)
        n_max = int(b["n"].max())
        for idx in np.ndindex(out.shape):
            path, _ = _subsample_cavity(int(b["d"][idx]), int(b["T"][idx]), max(n_max, 1))
            out[idx] = b["sigma"][idx] ** 2 * path[b["n"][idx]]
        return out
    if pol.name == "accumulate" and des == "fresh":
        out = np.empty(b["n"].shape)
        for idx in np.ndindex(out.shape):
            i = np.arange(1.0, b["n"][idx] + 1)
            out[idx] = _fresh_term()(d=b["d"][idx], T=b["T"][idx], i=i, sigma=b["sigma"][idx]).sum()
        return out
    return np.asarray(_numeric(pol.name)(d=b["d"], T=b["T"], n=b["n"], sigma=b["sigma"]),
                      dtype=np.float64)


@functools.cache
def _numeric(policy: str):
    return numeric(derive_fixed_design_error(policy), [_d, _T, _n, _sigma])


#: What each parameter of the chain means, with the domain its validator enforces.
ARG_DOCS = {
    "d": "dimension, an integer >= 1 (broadcast).",
    "T": "labels per iteration (rows of the design), an integer >= d + 2 (broadcast; under "
         "``accumulate-subsample`` large enough that a fit draws more than d distinct rows on "
         "average, d/(T - 1) < 1 - C(nT - n, T)/C(nT, T)).",
    "n": "iteration (number of fits), an integer >= 0 (broadcast).",
    "sigma": "label noise standard deviation, a real >= 0 (broadcast).",
    "policy": "one of ``FIXED_DESIGN_POLICIES`` (``replace``, ``accumulate``, "
              "``accumulate-subsample``) or a :class:`theory.policy.Policy` of those names.",
    "design": '``"fixed"`` (one design for every iteration) or ``"fresh"`` (a new design each '
              "iteration; not with ``accumulate-subsample``).",
}

from theory._docs import document  # noqa: E402

document(globals(), ["fixed_design_error", "validate_fixed_design"], ARG_DOCS,
         'Gerstgrasser et al., "Is Model Collapse Inevitable?", arXiv 2404.01413, Section 3; Dey '
         'and Donoho, arXiv 2410.22812; Kazdan et al., "Collapse or Thrive?", arXiv 2410.16713; '
         "docs/theory/policies.md.")
