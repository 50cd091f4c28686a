"""Bad input to the regression functions: a ValueError naming the parameter, never a number."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import RunOptions
from sim import regression as S
from theory import regression as R

OLS = dict(d=10, T=40, T0=30, n=2, sigma=1.0, sigma0=1.0)
RIDGE = dict(spectrum=np.ones(10), w0=np.ones(10), T=40, T0=30, n=2, lam=0.1, sigma=1.0,
             sigma0=1.0)
ISO = dict(d=10, T=40, T0=30, n=2, lam=0.1, sigma=1.0, sigma0=1.0, w0_norm=1.0)
OVER = dict(d=10, T0=5, n=2, sigma0=0.5, w0_norm=1.0)


@pytest.mark.parametrize("fn,base,name,value", [
    (R.ols_test_error, OLS, "T", 11),            # T <= d + 1 with lam = 0 (OLS)
    (R.ols_test_error, OLS, "T", 5),
    (R.ols_test_error, OLS, "T0", 11),           # generators need T0 >= d + 2
    (R.ols_test_error, OLS, "sigma", -1.0),      # negative noise
    (R.ols_test_error, OLS, "sigma0", -0.1),
    (R.ols_test_error, OLS, "d", 2.5),           # non-integer d
    (R.ols_test_error, OLS, "n", -1),            # n negative
    (R.ols_test_error, OLS, "n", 1.5),
    (R.ols_test_error, OLS, "sigma", np.nan),
    (R.ols_test_error, OLS, "T", "many"),
    (R.ridge_test_error, RIDGE, "lam", -0.1),    # lam < 0
    (R.ridge_test_error, RIDGE, "w0", np.ones(9)),  # mismatched spectrum and w0
    (R.ridge_test_error, RIDGE, "spectrum", -np.ones(10)),
    (R.ridge_test_error, {**RIDGE, "lam": 0.0}, "T", 11),  # ridgeless at the threshold
    (R.isotropic_ridge_test_error, ISO, "w0_norm", -1.0),
    (R.isotropic_ridge_test_error, ISO, "d", 0),
    (R.overparam_generator_error, OVER, "T0", 9),   # T0 <= d - 2 with noise
    (R.overparam_generator_error, OVER, "d", 1),
    (R.effective_regularization, dict(spectrum=np.ones(3), T=5, lam=0.1), "T", -1),
])
def test_theory_rejects_out_of_domain_input(fn, base, name, value):
    with pytest.raises(ValueError, match=name):
        fn(**{**base, name: value})


def test_per_generation_lengths_must_match_n():
    with pytest.raises(ValueError, match="n must equal"):
        R.ols_test_error(**{**OLS, "T0": [30, 30, 30]})
    with pytest.raises(ValueError, match="same length"):
        R.ols_test_error(**{**OLS, "T0": [30, 30], "sigma0": [1.0, 1.0, 1.0]})


def test_simulators_validate_like_their_twins_and_check_their_own_arguments():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="T"):
        S.ols_test_error(key, **{**OLS, "T": 11}, seeds=10)
    with pytest.raises(ValueError, match="lam"):
        S.ridge_test_error(key, **{**RIDGE, "lam": -1.0}, seeds=10)
    with pytest.raises(ValueError, match="sampler"):
        S.ols_test_error(key, **OLS, seeds=10, options=RunOptions(sampler="fast"))
    with pytest.raises(ValueError, match="seeds"):
        S.ols_test_error(key, **OLS, seeds=1)
    with pytest.raises(ValueError, match="d"):
        S.ols_test_error(key, **{**OLS, "d": np.array([5, 0])}, seeds=10)
    with pytest.raises(ValueError, match="sampler"):
        S.mixed_training_error(key, spectrum=np.ones(3), w1=np.ones(3), delta=np.ones(3), n=10,
                               p2=0.1, lam=0.1, sigma=1.0, seeds=10,
                               options=RunOptions(sampler="raw"))  # no raw reference


@settings(max_examples=60, deadline=None)
@given(T=st.integers(-5, 11), d=st.integers(1, 10))
def test_ols_below_threshold_always_raises(T, d):
    if T >= d + 2:
        return
    with pytest.raises(ValueError, match="T"):
        R.ols_test_error(d=d, T=T, T0=d + 5, n=1, sigma=1.0, sigma0=1.0)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["sigma", "sigma0", "lam"]),
       value=st.one_of(st.floats(max_value=-1e-12, allow_nan=False), st.just(float("nan")),
                       st.just(float("inf"))))
def test_noise_and_penalty_out_of_domain_always_raise(name, value):
    with pytest.raises(ValueError, match=name):
        R.isotropic_ridge_test_error(**{**ISO, name: value})


@settings(max_examples=40, deadline=None)
@given(T=st.integers(12, 400), T0=st.integers(12, 400), n=st.integers(0, 6),
       sigma=st.floats(0, 3), sigma0=st.floats(0, 3))
def test_in_domain_results_are_finite_and_ordered(T, T0, n, sigma, sigma0):
    """In the domain the OLS risk is finite, non-negative and non-decreasing in n."""
    kw = dict(d=10, T=T, T0=T0, sigma=sigma, sigma0=sigma0)
    a, b = R.ols_test_error(n=n, **kw), R.ols_test_error(n=n + 1, **kw)
    assert np.isfinite(a) and 0 <= a <= b
