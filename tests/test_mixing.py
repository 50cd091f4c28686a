"""Mixing real and synthetic data in one training set (Dohmatob et al.,
"Strong Model Collapse", ICLR 2025)."""

import numpy as np
import pytest
import sympy as sp

import sim.regression as sr
import theory.regression as tr

Z = 4.0


def test_floor_and_clean_limit():
    n = np.array([1e3, 1e5, 1e8])
    err = tr.isotropic_mixed_training_error(d=10, n=n, p2=0.2, c2=2.0, sigma=1.0)
    assert err[-1] == pytest.approx(0.2**2 * 2.0, rel=1e-5) and np.all(np.diff(err) < 0)
    assert tr.isotropic_mixed_training_error(d=10, n=50, p2=0.0, c2=2.0, sigma=1.0) \
        == pytest.approx(10 / 39)
    e = tr.derive_isotropic_mixed_error()
    n_ = sp.Symbol("n", positive=True)
    assert sp.limit(e, n_, sp.oo) == sp.Symbol("p2", nonnegative=True) ** 2 * sp.Symbol(
        "c2", nonnegative=True)


def test_general_formula_reduces_to_isotropic():
    """Sigma = I, lam -> 0, n > d: the deterministic equivalent becomes the proportional form."""
    d, n, p2, c2 = 20, 200, 0.3, 1.5
    delta = np.zeros(d)
    delta[0] = np.sqrt(c2)
    general = tr.mixed_training_error(spectrum=np.ones(d), w1=np.ones(d) / 3, delta=delta, n=n,
                                      p2=p2, lam=0.0, sigma=1.0)
    phi = d / n
    assert general == pytest.approx(phi / (1 - phi) + p2**2 * c2 + p2 * (1 - p2) * c2 * phi
                                    / (1 - phi), rel=1e-6)


def test_random_projection_limits():
    kw = dict(d=50, n=400, p2=0.3, c2=1.0, sigma=0.0, w1_norm=1.0)
    full = tr.random_projection_error(m=50, **kw)
    iso = tr.isotropic_mixed_training_error(d=50, n=400, p2=0.3, c2=1.0, sigma=0.0)
    assert full == pytest.approx(iso)  # m = d: plain OLS
    with pytest.raises(ValueError, match="m must be"):
        tr.random_projection_error(m=399, **kw)


def test_bad_input():
    with pytest.raises(ValueError, match="p2"):
        tr.isotropic_mixed_training_error(d=3, n=10, p2=1.2, c2=1, sigma=1)
    with pytest.raises(ValueError, match="n must be"):
        tr.isotropic_mixed_training_error(d=10, n=11, p2=0.1, c2=1, sigma=1)
    with pytest.raises(ValueError, match="spectrum, w1 and delta"):
        tr.mixed_training_error(spectrum=np.ones(3), w1=np.ones(2), delta=np.ones(3), n=10,
                                p2=0.1, lam=0.1, sigma=1)


def test_isotropic_matches_simulation(key):
    """[asymp] finite-n form: within 3% + 4 stderr at d = 8."""
    kw = dict(d=8, n=[60, 300], p2=0.4, c2=3.0, sigma=1.0)
    est = sr.isotropic_mixed_training_error(key, **kw, seeds=4000)
    th = tr.isotropic_mixed_training_error(**kw)
    assert np.all(np.abs(est.mean - th) < 0.03 * th + Z * est.stderr)


@pytest.mark.slow
def test_ridge_deterministic_equivalent(key):
    """[asymp] power-law spectrum, d = 30: within 4% + 4 stderr."""
    d = 30
    spec = np.arange(1, d + 1.0) ** -1.3
    w1 = np.arange(1, d + 1.0) ** -0.8
    delta = 0.7 * np.ones(d) / np.sqrt(spec.sum())
    kw = dict(spectrum=spec, w1=w1, delta=delta, n=[40, 240], p2=0.3, lam=0.02, sigma=0.5)
    est = sr.mixed_training_error(key, **kw, seeds=600)
    th = tr.mixed_training_error(**kw)
    assert np.all(np.abs(est.mean - th) < 0.04 * th + Z * est.stderr)


@pytest.mark.slow
def test_random_projection_matches_simulation(key):
    kw = dict(d=40, n=30, m=[6, 20], p2=0.3, c2=1.0, sigma=0.5, w1_norm=1.0)
    est = sr.random_projection_error(key, **kw, seeds=1500)
    th = tr.random_projection_error(**kw)
    assert np.all(np.abs(est.mean - th) < 0.03 * th + Z * est.stderr)
