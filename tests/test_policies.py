"""Data policies and the fixed-design regression chain (THEORY 2.1; GER, DD, KAZ)."""

import jax
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.regression as sr
import theory.regression as tr
from sim import RunOptions
from theory.policy import POLICY_NAMES, Policy, as_policy

Z = 4.0  # z-score band of the statistical tests


# --- the policy object ---------------------------------------------------------------------------

def test_policy_names_and_constructors():
    assert Policy.replace() == as_policy("replace")
    assert Policy.accumulate_subsample().name == "accumulate-subsample"
    assert Policy.mix(0.3).real == 0.3
    w = Policy.weighted(0.6, k=2.0)
    assert (w.real, w.k) == (0.6, 2.0)
    assert str(w) == "weighted(w=0.6, k=2)"
    f = Policy.fixed_real(2.0)
    assert (f.name, f.ratio, str(f)) == ("fixed-real", 2.0, "fixed-real(ratio=2)")
    assert as_policy("fixed-real(ratio=0.5)") == Policy.fixed_real(0.5)
    assert set(POLICY_NAMES) == {"replace", "accumulate", "accumulate-subsample", "mix", "weighted",
                                 "fixed-real"}


def test_policy_parameters_are_validated():
    with pytest.raises(ValueError, match=r"^ratio must be"):
        Policy.fixed_real(-1.0)
    with pytest.raises(ValueError, match=r"^policy 'mix' takes no 'ratio' parameter"):
        Policy("mix", real=0.5, ratio=1.0)


def test_unknown_policy_lists_valid_names():
    with pytest.raises(ValueError, match=r"policy must be one of .*'replace'.*'accumulate'"):
        as_policy("keep-everything")
    with pytest.raises(ValueError, match="policy"):
        as_policy(3)
    with pytest.raises(ValueError, match="policy must be one of"):  # a model without 'mix'
        tr.fixed_design_error(d=2, T=10, n=1, sigma=1, policy=Policy.mix(0.5))
    with pytest.raises(ValueError, match="takes no"):
        Policy("replace", real=0.5)


@given(st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1 + 1e-9), st.just(float("nan"))))
@settings(max_examples=25, deadline=None)
def test_mix_share_out_of_range(real):
    with pytest.raises(ValueError, match="real"):
        Policy.mix(real)


@given(st.one_of(st.floats(max_value=0.0), st.just(float("inf"))))
@settings(max_examples=25, deadline=None)
def test_weighted_bad_parameters(bad):
    with pytest.raises(ValueError, match="k"):
        Policy.weighted(0.5, k=bad)
    with pytest.raises(ValueError, match="real"):
        Policy.weighted(bad)


# --- theory: worked values and derivations -------------------------------------------------------

def test_worked_values_theory_2_1():
    kw = dict(d=10, T=50, n=10, sigma=1.0)
    assert tr.fixed_design_error(**kw, policy="replace") == pytest.approx(2.564103, abs=1e-6)
    assert tr.fixed_design_error(**kw, policy="accumulate") == pytest.approx(0.397376, abs=1e-6)
    bound = sp.pi**2 / 6 * sp.Rational(10, 39)
    assert float(bound) == pytest.approx(0.421778, abs=1e-6)
    big = tr.fixed_design_error(d=10, T=50, n=10**6, sigma=1.0, policy="accumulate")
    assert big == pytest.approx(float(bound), rel=1e-5) and big < float(bound)


def test_symbolic_sum_and_forms():
    i, n = sp.symbols("i n", integer=True, positive=True)
    assert sp.Sum(1 / i**2, (i, 1, sp.oo)).doit() == sp.pi**2 / 6
    acc = tr.derive_fixed_design_error("accumulate")
    assert sp.limit(acc.subs(sp.Symbol("n", integer=True, nonnegative=True), n), n, sp.oo) \
        .equals(sp.pi**2 / 6 * sp.Symbol("sigma", nonnegative=True) ** 2
                * sp.Symbol("d", positive=True, integer=True)
                / (sp.Symbol("T", positive=True, integer=True)
                   - sp.Symbol("d", positive=True, integer=True) - 1))
    term = tr.derive_fresh_accumulate_term()
    assert sp.simplify(term.subs(sp.Symbol("i", integer=True, positive=True), 1)
                       - tr.derive_fixed_design_error("replace").subs(
                           sp.Symbol("n", integer=True, nonnegative=True), 1)) == 0


def test_stacked_fit_is_running_average():
    """The accumulate update w_i = w_{i-1} + A E_i/i equals lstsq on all data so far (numpy)."""
    rng = np.random.default_rng(0)
    d, T, n = 4, 9, 5
    x = rng.standard_normal((T, d))
    w_true = rng.standard_normal(d)
    w_prev, ys, w_rec = w_true, [], w_true.copy()
    for i in range(1, n + 1):
        noise = rng.standard_normal(T)
        ys.append(x @ w_prev + noise)
        w_fit = np.linalg.lstsq(np.vstack([x] * i), np.concatenate(ys), rcond=None)[0]
        w_rec = w_rec + np.linalg.lstsq(x, noise, rcond=None)[0] / i
        np.testing.assert_allclose(w_fit, w_rec, atol=1e-10)
        w_prev = w_fit


def test_subsample_weights_between_accumulate_and_replace():
    w = tr.derive_subsample_weights(50)
    acc = np.cumsum(1.0 / np.arange(1, 51) ** 2)
    assert w[1] == 1.0 and w[2] == pytest.approx(1.75)  # 1/4 + 1 + 2 (1/2)(1/2)
    assert np.all(w[2:] > acc[1:]) and np.all(w[2:] < np.arange(2, 51))
    assert np.all(np.diff(w[1:]) > 0)


@given(st.sampled_from(["d", "T", "n", "sigma"]), st.sampled_from([-1.0, 0.5, float("nan")]))
@settings(max_examples=20, deadline=None)
def test_bad_input_names_parameter(name, value):
    kw = dict(d=3, T=20, n=2, sigma=1.0)
    if name == "sigma" and value == 0.5:
        return  # in domain
    kw[name] = value
    with pytest.raises(ValueError, match=name):
        tr.fixed_design_error(**kw)


def test_bad_design_and_small_T():
    with pytest.raises(ValueError, match="T must be"):
        tr.fixed_design_error(d=10, T=11, n=1, sigma=1)
    with pytest.raises(ValueError, match="design"):
        tr.fixed_design_error(d=2, T=10, n=1, sigma=1, design="random")
    with pytest.raises(ValueError, match="design"):
        tr.fixed_design_error(d=2, T=10, n=1, sigma=1, policy="accumulate-subsample",
                              design="fresh")


# --- theory against simulation -------------------------------------------------------------------

KW = dict(d=5, T=20, n=[1, 4], sigma=1.5)


@pytest.mark.parametrize("policy,design", [
    ("accumulate", "fixed"), ("accumulate", "fresh"),
    pytest.param("replace", "fixed", marks=pytest.mark.slow),
    pytest.param("replace", "fresh", marks=pytest.mark.slow)])
def test_exact_policies_match_simulation(key, policy, design):
    est = sr.fixed_design_error(key, **KW, policy=policy, design=design, seeds=3000)
    expected = tr.fixed_design_error(**KW, policy=policy, design=design)
    assert np.all(np.abs(est.z(expected)) < Z), (est, expected)


@pytest.mark.slow
def test_raw_sampler_agrees(key):
    kw = dict(KW, policy="accumulate", design="fresh")
    a = sr.fixed_design_error(key, **kw, seeds=2000)
    b = sr.fixed_design_error(jax.random.fold_in(key, 1), **kw, seeds=2000,
                              options=RunOptions(sampler="raw"))
    z = (a.mean - b.mean) / np.hypot(a.stderr, b.stderr)
    assert np.all(np.abs(z) < Z)


@pytest.mark.slow
def test_subsample_leading_order(key):
    """[asymp] relative error O(d/T): band 3 d/T plus 4 stderr at d = 4, T = 80."""
    kw = dict(d=4, T=80, n=[2, 6], sigma=1.0, policy="accumulate-subsample")
    est = sr.fixed_design_error(key, **kw, seeds=2000)
    expected = tr.fixed_design_error(**kw)
    assert np.all(np.abs(est.mean - expected) < 3 * 4 / 80 * expected + Z * est.stderr)
    acc = tr.fixed_design_error(**dict(kw, policy="accumulate"))
    assert np.all(est.mean[1:] > acc[1:] + Z * est.stderr[1:])  # strictly above accumulate


def test_batching_does_not_change_numbers(key):
    kw = dict(d=3, T=10, n=3, sigma=1.0, policy="accumulate", seeds=10)
    a = sr.fixed_design_error(key, **kw)
    b = sr.fixed_design_error(key, **kw, options=RunOptions(batch_size=1))
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12)
