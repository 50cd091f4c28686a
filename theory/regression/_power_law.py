"""Power-law spectra: how fake generations change the ridge scaling law.

Dohmatob, Feng, Kempe, "Model Collapse Demystified: The Case of Regression", NeurIPS 2024, arXiv
2402.07712 (v2), Section 5, "The Case of Heavy Tails (Power Law)" ("capacity" l_j = j^-beta,
"source" l_j w0_j^2 = j^(-1 - 2 r beta)); see the power-law page of the theory reference
(docs/theory/power_laws.md). In the ridge deterministic equivalent, for 1 << T << d:

    df2(kappa) ~ c_V kappa^(-1/beta),   bias ~ c_B kappa^(2r)   (0 < r < 1),
    variance + collapse ~ A c_V kappa^(-1/beta),  A = [sigma^2 + n sigma0^2 (T + d)/(T0 - d - 1)]/T

(the (T + d) factor: rho ~ df2 (1 + d/T) once most eigenvalues lie below kappa). The constants
c_V, c_B are Beta integrals derived below. All results here are asymptotic [asymp].
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import sympy as sp

from theory._symbolic import numeric
from theory.domain import param
from theory.regression.domain import generations

beta, r, kappa, A, T, ell = sp.symbols("beta r kappa A T ell", positive=True)
c_V, c_B = sp.symbols("c_V c_B", positive=True)


def derive_power_law_constants() -> tuple[sp.Expr, sp.Expr]:
    """(c_V, c_B) of df2 ~ c_V kappa^(-1/beta) and bias ~ c_B kappa^(2r), by integration.

    Replace the sums over j by integrals; x = kappa^(1/beta) j and then t = x^beta turn both into
    (1/beta) int_0^inf t^(a-1)/(1+t)^2 dt = Gamma(a) Gamma(2-a)/beta, with a = 1/beta for df2 and
    a = 2 - 2r for the bias (convergent for beta > 1, 0 < r < 1).
    """
    t = sp.Symbol("t", positive=True)
    a = sp.Symbol("a", positive=True)
    beta_integral = sp.integrate(t ** (a - 1) / (1 + t) ** 2, (t, 0, sp.oo), conds="none")
    return (beta_integral.subs(a, 1 / beta) / beta, beta_integral.subs(a, 2 - 2 * r) / beta)


def power_law_constants_gamma_form() -> tuple[sp.Expr, sp.Expr]:
    """The same constants as Gamma functions (finite at r = 1/2, where the sine form is 0/0)."""
    def c(a):
        return sp.gamma(a) * sp.gamma(2 - a) / beta

    return c(1 / beta), c(2 - 2 * r)


def derive_optimal_kappa() -> sp.Expr:
    """argmin over kappa of c_B kappa^(2r) + A c_V kappa^(-1/beta): the adaptive regularisation
    of arXiv 2402.07712, Section 5 (docs/theory/power_laws.md)."""
    risk = c_B * kappa ** (2 * r) + A * c_V * kappa ** (-1 / beta)
    (solution,) = sp.solve(sp.diff(risk, kappa), kappa)
    return sp.simplify(solution)


def derive_power_law_exponents() -> dict[str, sp.Expr]:
    """Exponent algebra of arXiv 2402.07712, Section 5, with lam = T^-ell (kappa ~ lam when
    df1 << T; docs/theory/power_laws.md).

    bias ~ T^(-2 r ell), variance ~ T^(-(1 - ell/beta)): balancing gives ell_crit and the clean
    rate; ridgeless (lam = 0, T < d) has df1(kappa) = T, i.e. kappa ~ T^-beta, and noiseless clean
    data then reach T^(-2 r beta); any fake generation adds label noise, back to the slow rate.
    """
    (ell_crit,) = sp.solve(sp.Eq(2 * r * ell, 1 - ell / beta), ell)
    ridgeless_kappa = sp.solve(sp.Eq(kappa ** (-1 / beta), T), kappa)[0]
    noiseless = -sp.log(ridgeless_kappa ** (2 * r)) / sp.log(T)
    return {
        "ell_crit": sp.simplify(ell_crit),
        "clean_rate": sp.simplify(2 * r * ell_crit),
        "noiseless_rate": sp.simplify(sp.expand_log(noiseless, force=True)),
        "collapsed_rate": sp.simplify(2 * r * ell_crit),
    }


class PowerLawExponents(NamedTuple):
    """Test error ~ T^(-rate): see :func:`derive_power_law_exponents`."""

    ell_crit: float
    clean_rate: float
    noiseless_rate: float
    collapsed_rate: float


@functools.cache
def _numeric() -> dict:
    exps = derive_power_law_exponents()
    return {
        "exponents": {k: numeric(v, [beta, r]) for k, v in exps.items()},
        "kappa": numeric(derive_optimal_kappa(), [A, c_V, c_B, beta, r]),
        "constants": [numeric(c, [beta, r]) for c in power_law_constants_gamma_form()],
    }


def _beta_r(beta_, r_) -> tuple[float, float]:
    b = param("beta", beta_, lo=1, lo_open=True)
    rr = param("r", r_, lo=0, hi=1, lo_open=True, hi_open=True)
    if b.ndim or rr.ndim:
        raise ValueError("beta and r must be scalars")
    return float(b), float(rr)


def power_law_problem(*, beta: float, r: float, d: int) -> tuple[np.ndarray, np.ndarray]:
    """(spectrum, w0) with l_j = j^-beta and l_j w0_j^2 = j^(-1 - 2 r beta), j = 1..d."""
    b, rr = _beta_r(beta, r)
    d = int(param("d", d, lo=1, integer=True))
    j = np.arange(1, d + 1, dtype=np.float64)
    spectrum = j**-b
    return spectrum, np.sqrt(j ** (-1 - 2 * rr * b) / spectrum)


def power_law_exponents(*, beta: float, r: float) -> PowerLawExponents:
    """Predicted exponents, error ~ T^-rate [asymp] (arXiv 2402.07712, Section 5;
    docs/theory/power_laws.md). See :func:`derive_power_law_exponents`.

    Args:
        beta: capacity exponent, > 1.
        r: source exponent, in (0, 1).

    Returns:
        :class:`PowerLawExponents` (floats).
    """
    b, rr = _beta_r(beta, r)
    return PowerLawExponents(**{k: float(f(beta=b, r=rr))
                                for k, f in _numeric()["exponents"].items()})


def optimal_lam_asymptotic(*, beta: float, r: float, d: int, T, T0, n, sigma, sigma0
                           ) -> np.ndarray:
    """Asymptotic optimal ridge penalty for the power-law problem [asymp] (arXiv 2402.07712,
    Section 5; docs/theory/power_laws.md).

    kappa* = (A c_V/(2 r beta c_B))^(beta/(1 + 2 r beta)), mapped to lam through the fixed point
    lam = kappa (1 - df1(kappa)/T) of the deterministic equivalent (lam ~ kappa when df1 << T).
    Never lam -> 0 once
    n >= 1: the fake generations act as label noise of variance n sigma0^2 (T + d)/(T0 - d - 1).
    Valid for 1 << T << d; compare with the numerical :func:`optimal_lam`.
    """
    b, rr = _beta_r(beta, r)
    spectrum, _ = power_law_problem(beta=b, r=rr, d=d)
    T = param("T", T, lo=1, integer=True)
    sigma = param("sigma", sigma, lo=0)
    gens = generations(n=n, T0=T0, sigma0=sigma0)
    if gens.per_generation:
        raise ValueError("T0 and sigma0 must be scalars or arrays here (uniform generations)")
    if np.any((gens.n > 0) & (gens.T0 < d + 2)):
        raise ValueError("T0 must be an integer >= d + 2 when n >= 1")
    noise = sigma**2 + np.where(gens.n > 0, gens.n * gens.sigma0**2 * (T + d)
                                / np.maximum(gens.T0 - d - 1, 1), 0.0)
    fns = _numeric()
    cv, cb = (c(beta=b, r=rr) for c in fns["constants"])
    k = fns["kappa"](A=noise / T, c_V=cv, c_B=cb, beta=b, r=rr)
    df1 = np.sum(spectrum / (spectrum + k[..., None]), axis=-1)
    return k * (1 - df1 / T)
