"""Regression chain theory: symbolic derivations, worked values, internal consistency, slopes.

Expected values come from the worked values of docs/theory/regression.md, sympy re-derivations, or
an independent computation path (closed form vs. numeric fixed point, brute-force grid vs.
optimiser).
"""

import numpy as np
import pytest
import sympy as sp

from theory import regression as R
from theory.regression import _closed_forms as cf


def same(a, b) -> bool:
    return sp.simplify(a - b) == 0


# --------------------------------------------------------------------------------- symbolic
def test_noise_term_is_inverse_wishart_trace():
    assert same(R.derive_noise_term(), cf.s**2 * cf.d / (cf.m - cf.d - 1))


def test_inverse_chi2_mean_by_integration():
    m = sp.Symbol("m", positive=True)
    assert same(R.derive_inverse_chi2_mean(), 1 / (m - 2))


def test_ols_chain_derivation_matches_theory_1_2():
    d, T, T0, n, s, s0 = cf.d, cf.T, cf.T0, cf.n, cf.sigma, cf.sigma0
    stated = s**2 * d / (T - d - 1) + n * s0**2 * d / (T0 - d - 1)
    assert same(R.derive_ols_test_error(), stated)


def test_ols_proportional_limit():
    phi, phi0, n, s, s0 = cf.phi, cf.phi0, cf.n, cf.sigma, cf.sigma0
    stated = s**2 * phi / (1 - phi) + n * s0**2 * phi0 / (1 - phi0)
    assert same(R.derive_ols_proportional_limit(), stated)


def test_overparam_derivation_matches_theory_1_4():
    d, T0, n, s0, w = cf.d, cf.T0, cf.n, cf.sigma0, cf.w0_norm
    q = T0 / d
    stated = w**2 * (1 - q**n) + s0**2 * T0 / (d - T0 - 1) * (1 - q**n) / (1 - q)
    assert same(R.derive_overparam_generator_error(), stated)


def test_isotropic_kappa_quadratic_and_ridgeless_limits():
    kappa_expr = R.derive_isotropic_kappa()
    k, lam, phi = cf.kappa, cf.lam, cf.phi
    quadratic = k**2 + (1 - phi - lam) * k - lam
    assert sp.simplify(quadratic.subs(k, kappa_expr)) == 0
    # lam -> 0: kappa -> 0 below the interpolation threshold, phi - 1 above it
    under = kappa_expr.subs(phi, sp.Rational(1, 2))
    over = kappa_expr.subs(phi, sp.Rational(3, 1))
    assert sp.limit(under, lam, 0, "+") == 0
    assert sp.limit(over, lam, 0, "+") == 2


def test_isotropic_parts_match_theory_1_3():
    bias, variance, collapse = R.derive_isotropic_parts()
    k, phi, T, T0, n = cf.kappa, cf.phi, cf.T, cf.T0, cf.n
    w, s, s0 = cf.w0_norm, cf.sigma, cf.sigma0
    u = phi / ((1 + k) ** 2 - phi)
    assert same(bias, k**2 * w**2 / ((1 + k) ** 2 - phi))
    assert same(variance, s**2 * u)
    d = phi * T
    assert same(collapse, n * s0**2 * d / (T0 - d - 1) * (1 + k**2 * u) / (1 + k) ** 2)


def test_power_law_exponent_algebra():
    e = R.derive_power_law_exponents()
    beta, r = sp.symbols("beta r", positive=True)
    assert same(e["ell_crit"], beta / (1 + 2 * r * beta))
    assert same(e["clean_rate"], 2 * r * beta / (2 * r * beta + 1))
    assert same(e["noiseless_rate"], 2 * r * beta)
    got = R.power_law_exponents(beta=2.0, r=0.5)
    assert got.ell_crit == pytest.approx(2 / 3) and got.noiseless_rate == pytest.approx(2.0)


@pytest.mark.parametrize("beta,r", [(1.5, 0.3), (2.0, 0.45), (3.0, 0.8)])
def test_power_law_constants_integral_equals_gamma_form(beta, r):
    """The integrals sympy evaluated (sine form) equal the Gamma form used numerically (which,
    unlike the sine form, is finite at r = 1/2)."""
    subs = {sp.Symbol("beta", positive=True): beta, sp.Symbol("r", positive=True): r}
    for derived, gamma_form in zip(R.derive_power_law_constants(),
                                   R.power_law_constants_gamma_form()):
        assert float(derived.subs(subs)) == pytest.approx(float(gamma_form.subs(subs)), rel=1e-12)


@pytest.mark.parametrize("beta,r", [(1.5, 0.3), (2.0, 0.5)])
def test_power_law_constants_match_spectrum_sums(beta, r):
    """Independent check of c_V, c_B: the actual sums over a long spectrum at small kappa."""
    spectrum, w0 = R.power_law_problem(beta=beta, r=r, d=2_000_000)
    cv, cb = (float(sp.N(c.subs({sp.Symbol("beta", positive=True): beta,
                                 sp.Symbol("r", positive=True): r})))
              for c in R.power_law_constants_gamma_form())
    kappa = 1e-6
    df2 = np.sum(spectrum**2 / (spectrum + kappa) ** 2)
    bias = kappa**2 * np.sum(spectrum * w0**2 / (spectrum + kappa) ** 2)
    assert df2 / (cv * kappa ** (-1 / beta)) == pytest.approx(1, abs=0.02)
    assert bias / (cb * kappa ** (2 * r)) == pytest.approx(1, abs=0.02)


# ------------------------------------------------------------------------- worked values
def test_ols_worked_value_and_per_generation_form():
    got = R.ols_test_error(d=20, T=60, T0=50, n=3, sigma=1.0, sigma0=1.0)
    assert got == pytest.approx(20 / 39 + 3 * 20 / 29, rel=1e-14)
    per_gen = R.ols_test_error(d=20, T=60, T0=[50, 40, 30], n=3, sigma=1.0, sigma0=[1.0, 0.5, 2])
    assert per_gen == pytest.approx(20 / 39 + 20 / 29 + 0.25 * 20 / 19 + 4 * 20 / 9, rel=1e-14)
    curve = R.ols_test_error(d=20, T=np.array([60, 100]), T0=50, n=np.arange(4)[:, None],
                             sigma=1.0, sigma0=1.0)
    assert curve.shape == (4, 2) and np.allclose(np.diff(curve, axis=0), 20 / 29)


def test_ridge_worked_value_theory_1_3():
    kw = dict(T=200, T0=300, n=3, lam=0.1, sigma=1.0, sigma0=1.0)
    iso = R.isotropic_ridge_test_error(d=100, w0_norm=1.0, **kw)
    general = R.ridge_risk_parts(spectrum=np.ones(100), w0=np.full(100, 0.1), **kw)
    assert float(general.kappa) == pytest.approx(0.174166, abs=5e-7)
    assert iso == pytest.approx(1.7159, abs=5e-5)
    assert general.total == pytest.approx(iso, rel=1e-10)
    assert general.bias + general.variance + general.collapse == pytest.approx(general.total)


def test_overparam_worked_values_theory_1_4():
    got = R.overparam_generator_error(d=100, T0=50, n=np.array([1, 3, 6]), sigma0=0.0,
                                      w0_norm=1.0)
    assert np.allclose(got, [0.5, 0.875, 0.984375], rtol=1e-14)


def test_general_deterministic_equivalent_equals_isotropic_closed_form():
    rng = np.random.default_rng(0)
    for _ in range(5):
        d = int(rng.integers(5, 200))
        T = int(rng.integers(2, 400))
        lam = float(rng.uniform(0.01, 3))
        T0, n, s, s0, w = d + int(rng.integers(2, 100)), int(rng.integers(0, 5)), *rng.uniform(
            0.1, 2, 3)
        iso = R.isotropic_ridge_test_error(d=d, T=T, T0=T0, n=n, lam=lam, sigma=s, sigma0=s0,
                                           w0_norm=w)
        gen = R.ridge_test_error(spectrum=np.ones(d), w0=np.full(d, w / np.sqrt(d)), T=T, T0=T0,
                                 n=n, lam=lam, sigma=s, sigma0=s0)
        assert gen == pytest.approx(iso, rel=1e-9)


def test_kappa_solves_its_fixed_point_and_ridgeless_limits():
    spectrum = np.arange(1, 51, dtype=float) ** -1.5
    T, lam = np.array([10.0, 30, 80, 10]), np.array([0.3, 0.01, 0.0, 0.0])
    kappa = R.effective_regularization(spectrum=spectrum, T=T, lam=lam)
    df1 = np.sum(spectrum / (spectrum + kappa[:, None]), axis=1)
    assert np.allclose(kappa - lam, kappa * df1 / T, rtol=1e-12, atol=1e-15)
    assert kappa[2] == 0.0 and kappa[3] > 0  # T > d: 0; T < d: root of df1 = T
    iso = R.effective_regularization(spectrum=np.ones(100), T=[50.0, 25.0], lam=0.0)
    assert np.allclose(iso, [1.0, 3.0])  # phi - 1


def test_ridgeless_overdetermined_reduces_to_ols_shape():
    """lam = 0, T > d: kappa = 0, so the DE is sigma^2 d/(T-d) + the exact collapse term."""
    d, T, T0, n = 50, 120, 80, 2
    got = R.ridge_test_error(spectrum=np.linspace(0.5, 2, d), w0=np.ones(d), T=T, T0=T0, n=n,
                             lam=0.0, sigma=1.0, sigma0=1.0)
    assert got == pytest.approx(d / (T - d) + n * d / (T0 - d - 1), rel=1e-12)


def test_error_is_linear_in_n_and_u_shaped_in_lam():
    kw = dict(d=100, T=200, T0=300, sigma=1.0, sigma0=1.0, w0_norm=1.0)
    by_n = R.isotropic_ridge_test_error(n=np.arange(6), lam=0.1, **kw)
    assert np.allclose(np.diff(by_n, 2), 0, atol=1e-12) and np.all(np.diff(by_n) > 0)
    lams = np.logspace(-3, 1.5, 200)
    best = [lams[np.argmin(R.isotropic_ridge_test_error(n=n, lam=lams, **kw))] for n in (0, 2, 8)]
    assert 0 < best[0] < best[1] < best[2] < lams[-1]  # U shape; optimum moves right with n


def test_optimal_lam_agrees_with_grid_and_classical_value():
    kw = dict(T=200, T0=300, sigma=1.0, sigma0=1.0)
    got = R.optimal_lam(spectrum=np.ones(100), w0=np.full(100, 0.1), n=np.array([0, 1, 3]), **kw)
    assert got[0] == pytest.approx(100 / 200, rel=1e-4)  # sigma^2 d/(T ||w0||^2)
    lams = np.logspace(-2, 1, 30001)
    for n, lam_star in zip((1, 3), got[1:]):
        grid = R.isotropic_ridge_test_error(d=100, n=n, lam=lams, w0_norm=1.0, **kw)
        assert lam_star == pytest.approx(lams[np.argmin(grid)], rel=2e-3)


def test_optimal_lam_numeric_agrees_with_asymptotic_formula():
    """Power-law ridge: the jax.grad/optax optimum and the derived lam* agree as T grows."""
    beta, r, d = 2.0, 0.5, 4000
    spectrum, w0 = R.power_law_problem(beta=beta, r=r, d=d)
    T = np.array([50, 200, 800])
    for n, sigma in [(0, 1.0), (2, 0.0)]:
        kw = dict(T=T, T0=2 * d, n=n, sigma=sigma, sigma0=1.0)
        ratio = R.optimal_lam(spectrum=spectrum, w0=w0, **kw) / R.optimal_lam_asymptotic(
            beta=beta, r=r, d=d, **kw)
        assert np.all(np.abs(ratio - 1) < 0.1) and abs(ratio[-1] - 1) < 0.02
        assert np.all(np.diff(np.abs(ratio - 1)) < 0)


def fitted_slope(x, y):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


def test_power_law_slopes_clean_noiseless_vs_collapsed():
    """Power-law crossover: noiseless clean data reach T^-2r beta (ridgeless); any fake
    generation drops the rate to T^-(2 r beta/(2 r beta + 1)) under tuned lam. Band: +-0.1
    (1 << T << d; at d = 4000, T in [50, 400] the fitted slopes are about -2.01 and -0.60/-0.63
    against -2 and -2/3)."""
    beta, r, d = 2.0, 0.5, 4000
    spectrum, w0 = R.power_law_problem(beta=beta, r=r, d=d)
    rates = R.power_law_exponents(beta=beta, r=r)
    T = np.geomspace(50, 400, 5).round()
    clean = R.ridge_test_error(spectrum=spectrum, w0=w0, T=T, T0=2 * d, n=0, lam=0.0,
                               sigma=0.0, sigma0=0.0)
    assert fitted_slope(T, clean) == pytest.approx(-rates.noiseless_rate, abs=0.1)
    for n in (1, 4):
        kw = dict(T=T, T0=2 * d, n=n, sigma=0.0, sigma0=1.0)
        lam = R.optimal_lam(spectrum=spectrum, w0=w0, **kw)
        err = R.ridge_test_error(spectrum=spectrum, w0=w0, lam=lam, **kw)
        assert fitted_slope(T, err) == pytest.approx(-rates.collapsed_rate, abs=0.1)
