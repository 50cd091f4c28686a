"""Closed forms of the regression chain, derived by sympy (Dohmatob, Feng, Kempe, NeurIPS 2024).

Every ``derive_*`` function below performs the derivation symbolically (tests run them and compare
with the stated formula); the numeric functions are lambdified from their results, never retyped.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from theory._symbolic import numeric
from theory.domain import broadcast, param
from theory.regression.domain import chain_generations, validate_ols, validate_overparam

# Symbols, with the assumptions under which the results hold.
d, T, T0, m = sp.symbols("d T T0 m", positive=True, integer=True)
n, k = sp.symbols("n k", integer=True, nonnegative=True)
sigma, sigma0, s = sp.symbols("sigma sigma0 s", nonnegative=True)
lam, kappa, phi, phi0 = sp.symbols("lam kappa phi phi0", positive=True)
w0_norm, q = sp.symbols("w0_norm q", nonnegative=True)


def derive_noise_term() -> sp.Expr:
    """E ||pinv(X) E||^2_Sigma for X (m x d) with N(0, Sigma) rows, m >= d + 2, E ~ N(0, s^2 I).

    pinv(X) E = (X'X)^-1 X'E, so the squared Sigma-norm is E'AE with
    A = X (X'X)^-1 Sigma (X'X)^-1 X'. A Gaussian quadratic form has mean s^2 tr A; the trace is
    cyclic, tr A = tr[Sigma (X'X)^-1]; and the inverse-Wishart mean E (X'X)^-1 = Sigma^-1/(m-d-1).
    """
    Sigma = sp.MatrixSymbol("Sigma", d, d)
    X = sp.MatrixSymbol("X", m, d)
    gram_inv = (X.T * X).I
    A = X * gram_inv * Sigma * gram_inv * X.T
    rotated = sp.MatMul(*(A.args[1:] + A.args[:1])).doit()  # tr(ABC...) = tr(BC...A)
    quadratic_mean = s**2 * sp.Trace(rotated)
    expected = quadratic_mean.subs(gram_inv, Sigma.I / (m - d - 1))
    return sp.simplify(expected.doit())


def derive_inverse_chi2_mean() -> sp.Expr:
    """E[1/chi2_m] = 1/(m - 2): the d = 1 inverse-Wishart mean, by integrating the density."""
    x = sp.Symbol("x", positive=True)
    mm = sp.Symbol("m", positive=True)
    density = x ** (mm / 2 - 1) * sp.exp(-x / 2) / (2 ** (mm / 2) * sp.gamma(mm / 2))
    return sp.simplify(sp.integrate(density / x, (x, 0, sp.oo), conds="none"))


def derive_ols_test_error() -> sp.Expr:
    """E ||w_pred - w0||^2_Sigma for OLS downstream of n OLS generators [exact] (Dohmatob, Feng,
    Kempe, arXiv 2402.07712, Theorem 4.1; docs/theory/regression.md).

    The chain is linear: w_pred - w0 = pinv(X) E + sum_k pinv(X_k) E_k with independent,
    zero-mean noises, so cross terms vanish and the risk is a sum of noise terms.
    """
    term = derive_noise_term()
    downstream = term.subs({m: T, s: sigma})
    chain = sp.Sum(term.subs({m: T0, s: sigma0}), (k, 0, n - 1)).doit()
    return sp.simplify(downstream + chain)


def derive_ols_proportional_limit() -> sp.Expr:
    """The limit d, T, T0 -> inf with d/T = phi, d/T0 = phi0 fixed [asymp] of
    :func:`derive_ols_test_error` (arXiv 2402.07712, Section 4; docs/theory/regression.md)."""
    risk = derive_ols_test_error()
    D = sp.Symbol("D", positive=True)
    scaled = risk.subs({d: D, T: D / phi, T0: D / phi0})
    return sp.simplify(sp.limit(scaled, D, sp.oo))


def derive_overparam_generator_error() -> sp.Expr:
    """E ||w_n - w0||^2 for min-norm generators with T0 < d [exact, Sigma = I] (arXiv 2402.07712,
    Section 4, the over-parametrised regime; docs/theory/regression.md).

    w_{k+1} - w0 = P_k (w_k - w0) - (I - P_k) w0 + pinv(X_k) E_k, P_k the projection on the row
    space of X_k. Cross terms vanish (P(I - P) = 0; zero-mean noise); E[P_k] = (T0/d) I by
    rotation invariance (trace T0); E ||pinv(X) E||^2 = s^2 tr E[(X X')^-1] = s^2 T0/(d - T0 - 1)
    (inverse Wishart of X X' ~ W_T0(d, I)). So a_{k+1} = q a_k + (1 - q) ||w0||^2 + noise, a_0 = 0.
    """
    a = sp.Function("a")
    P_bar = T0 / d
    gram_inv_mean = sp.Identity(T0) / (d - T0 - 1)
    noise = sigma0**2 * sp.Trace(gram_inv_mean).doit()
    recursion = a(k + 1) - (q * a(k) + (1 - q) * w0_norm**2 + noise)
    solution = sp.rsolve(recursion, a(k), {a(0): 0})
    return sp.simplify(solution.subs(k, n).subs(q, P_bar))


def derive_isotropic_kappa() -> sp.Expr:
    """Sigma = I: kappa - lam = kappa df1(kappa)/T with df1 = d/(1 + kappa), d = phi T.

    Clearing denominators gives kappa^2 + (1 - phi - lam) kappa - lam = 0; the positive root.
    """
    fixed_point = kappa - lam - kappa * (phi * T / (1 + kappa)) / T
    quadratic = sp.expand(sp.numer(sp.together(fixed_point)))
    roots = sp.solve(quadratic, kappa)
    positive = [r for r in roots if r.subs({lam: sp.Rational(1, 10), phi: sp.Rational(1, 2)}) > 0]
    return positive[0]


def deterministic_equivalent_parts(*, df2, bias_sum, inv2_sum, kappa, T, sigma, coef):
    """(bias, variance, collapse) of ridge after n OLS generators [asymp: deterministic
    equivalent] (arXiv 2402.07712, Section 4; docs/theory/regression.md).

    df2 = sum l^2/(l+kappa)^2, bias_sum = sum l w0^2/(l+kappa)^2, inv2_sum = sum 1/(l+kappa)^2,
    coef = sum_k sigma0_k^2/(T0_k - d - 1). The collapse part is coef * rho: the generators leave
    w_n - w0 with covariance coef * Sigma^-1, seen through ridge as
    rho = d - 2 tr(lam R) + lam^2 tr(Sigma R Sigma^-1 R) ~ df2 + kappa^2 u inv2_sum.
    Works on sympy symbols and on arrays alike.
    """
    u = df2 / (T - df2)
    return kappa**2 * (1 + u) * bias_sum, sigma**2 * u, coef * (df2 + kappa**2 * u * inv2_sum)


def derive_isotropic_parts() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """Sigma = I: the bias, variance and collapse parts of the ridge deterministic equivalent in
    closed form, kappa left as a symbol (arXiv 2402.07712, Section 4; docs/theory/regression.md)."""
    dd = phi * T
    one = (1 + kappa) ** 2
    parts = deterministic_equivalent_parts(
        df2=dd / one, bias_sum=w0_norm**2 / one, inv2_sum=dd / one, kappa=kappa, T=T,
        sigma=sigma, coef=n * sigma0**2 / (T0 - dd - 1))
    return tuple(sp.simplify(p) for p in parts)


# ---------------------------------------------------------------------------- numeric functions
@functools.cache
def _numeric() -> dict:
    """Lambdified derivations, built on first use (the derivations take a few seconds)."""
    return {
        "noise_term": numeric(derive_noise_term(), [d, m, s]),
        "ols_limit": numeric(derive_ols_proportional_limit(), [phi, phi0, n, sigma, sigma0]),
        "overparam": numeric(derive_overparam_generator_error(), [d, T0, n, sigma0, w0_norm]),
        "iso_kappa": numeric(derive_isotropic_kappa(), [phi, lam]),
        "iso_parts": [numeric(p, [phi, T, T0, n, kappa, sigma, sigma0, w0_norm])
                      for p in derive_isotropic_parts()],
    }


def ols_test_error(*, d, T, T0, n, sigma, sigma0) -> np.ndarray:
    """Expected test error of OLS on T samples labelled by the n-th generation [exact].

    Dohmatob, Feng, Kempe, arXiv 2402.07712, Theorem 4.1 (OLS case; docs/theory/regression.md):
    ``sigma^2 d/(T-d-1) + sum_k sigma0_k^2 d/(T0_k-d-1)``, any covariance Sigma. Holds at finite
    size for T >= d + 2 and T0 >= d + 2 (else the expectation is infinite). ``T0`` and ``sigma0``
    may be lists (one entry per generation, ``n`` their length); arrays broadcast.
    """
    grid = validate_ols(d=d, T=T, T0=T0, n=n, sigma=sigma, sigma0=sigma0)
    gens = chain_generations(grid)
    dd = grid["d"][..., None] if gens.per_generation else grid["d"]
    term = _numeric()["noise_term"]
    chain = gens.total(lambda t0, s0: term(d=dd, m=t0, s=s0))
    return np.asarray(term(d=grid["d"], m=grid["T"], s=grid["sigma"]) + chain, dtype=np.float64)


def ols_test_error_proportional(*, phi, phi0, n, sigma, sigma0) -> np.ndarray:
    """Proportional limit of :func:`ols_test_error` (d/T -> phi < 1, d/T0 -> phi0 < 1) [asymp]."""
    b = broadcast(phi=param("phi", phi, lo=0, hi=1, lo_open=True, hi_open=True),
                  phi0=param("phi0", phi0, lo=0, hi=1, lo_open=True, hi_open=True),
                  n=param("n", n, lo=0, integer=True), sigma=param("sigma", sigma, lo=0),
                  sigma0=param("sigma0", sigma0, lo=0))
    return np.asarray(_numeric()["ols_limit"](**b), dtype=np.float64)


def overparam_generator_error(*, d, T0, n, sigma0, w0_norm) -> np.ndarray:
    """E ||w_n - w0||^2 after n min-norm generators fitted on T0 < d samples [exact, Sigma = I].

    ``||w0||^2 (1 - q^n) + sigma0^2 T0/(d - T0 - 1) (1 - q^n)/(1 - q)``, q = T0/d (arXiv
    2402.07712, Section 4, over-parametrised generators; docs/theory/regression.md).
    Even without noise the model shrinks to 0 exponentially fast in n. A downstream OLS on T
    samples adds sigma^2 d/(T - d - 1).
    """
    grid = validate_overparam(d=d, T0=T0, n=n, sigma0=sigma0, w0_norm=w0_norm)
    return np.asarray(_numeric()["overparam"](**grid.arrays), dtype=np.float64)
