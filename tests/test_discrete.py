"""Wright-Fisher refitting of a categorical law (THEORY 3.3)."""

import jax
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.discrete as sd
import theory.discrete as td
from sim import RunOptions
from theory.policy import Policy

Z = 4.0
P = np.arange(1, 7.0) ** -1.5 / np.sum(np.arange(1, 7.0) ** -1.5)


def test_loss_probability_symbolic():
    q, M = sp.symbols("q M", positive=True)
    assert sp.simplify(td.derive_loss_probability().subs({td.q_: q, td.M_: M}) - (1 - q) ** M) == 0
    assert td.loss_probability(q=0.1, M=10) == pytest.approx(0.9**10)


def test_exact_small_case():
    """M = 2, two states: enumerate the chain by hand (numpy), compare lost mass and fixation."""
    q = 0.3
    law = np.array([(1 - q) ** 2, 2 * q * (1 - q), q**2])  # count of state 0 after generation 1
    kernel = np.array([[1, 0, 0], [0.25, 0.5, 0.25], [0, 0, 1]])
    for n in (1, 2, 5):
        at_n = law @ np.linalg.matrix_power(kernel, n - 1)
        assert td.fixation_probability(q=q, M=2, n=n) == pytest.approx(at_n[2])
        lost = q * at_n[0] + (1 - q) * at_n[2]
        assert td.expected_lost_mass(p=[q, 1 - q], M=2, n=n) == pytest.approx(lost)


def test_fixation_tends_to_initial_mass():
    assert td.fixation_probability(q=0.3, M=10, n=np.inf) == pytest.approx(0.3)
    assert td.fixation_probability(q=0.3, M=10, n=2000) == pytest.approx(0.3, abs=1e-9)


def test_policies_order():
    n = [1, 5, 20]
    rep = td.expected_lost_mass(p=P, M=15, n=n)
    acc = td.expected_lost_mass(p=P, M=15, n=n, policy="accumulate")
    mix = td.expected_lost_mass(p=P, M=15, n=n, policy=Policy.mix(0.3))
    assert np.allclose(acc, np.sum(P * (1 - P) ** 15)) and np.allclose(rep[0], acc[0])
    assert np.all(np.diff(rep) > 0) and np.all(mix[1:] < rep[1:]) and np.all(mix[1:] > acc[1:])


def test_bad_input():
    with pytest.raises(ValueError, match="p must be"):
        td.expected_lost_mass(p=[0.5, 0.6], M=3, n=1)
    with pytest.raises(ValueError, match="policy must be one of"):
        td.expected_lost_mass(p=P, M=3, n=1, policy="weighted")
    with pytest.raises(ValueError, match="n must be"):
        td.fixation_probability(q=0.2, M=3, n=1.5)


@given(st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1 + 1e-9), st.just(float("nan"))))
@settings(max_examples=15, deadline=None)
def test_bad_q(q):
    with pytest.raises(ValueError, match="q"):
        td.loss_probability(q=q, M=3)


@pytest.mark.parametrize("policy", ["replace", pytest.param("accumulate", marks=pytest.mark.slow),
                                    pytest.param(Policy.mix(0.3), marks=pytest.mark.slow)])
def test_lost_mass_matches_simulation(key, policy):
    kw = dict(p=P, M=15, n=[1, 6], policy=policy)
    est = sd.expected_lost_mass(key, **kw, seeds=4000)
    assert np.all(np.abs(est.z(td.expected_lost_mass(**kw))) < Z)


@pytest.mark.slow
def test_raw_counts_and_fixation(key):
    kw = dict(q=0.3, M=6, n=[3, 12])
    est = sd.fixation_probability(key, **kw, seeds=4000)
    assert np.all(np.abs(est.z(td.fixation_probability(**kw))) < Z)
    a = sd.expected_lost_mass(key, p=P, M=15, n=[1, 6], seeds=3000)
    b = sd.expected_lost_mass(jax.random.fold_in(key, 3), p=P, M=15, n=[1, 6], seeds=3000,
                              options=RunOptions(sampler="raw"))
    assert np.all(np.abs(a.mean - b.mean) < Z * np.hypot(a.stderr, b.stderr))


def test_agrees_with_zipf_resample_chain():
    """THEORY 3.3 <-> 4.5: the Zipf resampling chain's lost mass (T = inf), computed independently
    in theory.zipf, is this chain's expected lost mass."""
    from theory.zipf import generations_error

    p = np.arange(1, 51.0) ** -1.5
    p /= p.sum()
    ours = td.expected_lost_mass(p=p, M=20, n=[1, 3, 10])
    zipf = generations_error(beta=1.5, T=np.inf, T0=20, n=[1, 3, 10], chain="resample", N=50)
    np.testing.assert_allclose(ours, zipf, rtol=1e-9)


def test_loss_probability_matches_simulation(key):
    kw = dict(q=np.array([0.05, 0.3]), M=np.array([10, 4]))
    est = sd.loss_probability(key, **kw, seeds=4000)
    assert est.shape == (2,) and np.all(np.abs(est.z(td.loss_probability(**kw))) < Z)


def test_fixation_simulation_needs_finite_n(key):
    assert td.fixation_probability(q=0.3, M=5, n=[2, np.inf])[1] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="n must be finite for a simulation"):
        sd.fixation_probability(key, q=0.3, M=5, n=[2, np.inf], seeds=10)
    with pytest.raises(ValueError, match="n must be an integer >= 0 or inf"):
        sd.fixation_probability(key, q=0.3, M=5, n=1.5, seeds=10)


def _dense_count_law(q, M, n, a):
    """The count law by the full (M+1) x (M+1) transition matrix (scipy.stats.binom)."""
    from scipy.stats import binom

    c = np.arange(M + 1)
    kernel = binom.pmf(c[None, : M - a + 1], M - a, c[:, None] / M)
    if a:
        real = binom.pmf(np.arange(a + 1), a, q)
        kernel = np.stack([np.convolve(row, real) for row in kernel])
    law = binom.pmf(c, M, q)
    for _ in range(n - 1):
        law = law @ kernel
    return law


@pytest.mark.parametrize("real", [0.0, 0.3])
def test_banded_count_law_equals_dense(real):
    """At M = 200 the Binomial windows cut most rows; the result matches the dense chain."""
    M, n = 200, 12
    a = int(np.rint(real * M))
    for q in (0.01, 0.3):
        dense = _dense_count_law(q, M, n, a)
        assert np.abs(td._count_law(q, M, n, a) - dense).sum() < 1e-13
    policy = Policy.mix(real) if real else "replace"
    lost = sum(pi * _dense_count_law(pi, M, n, a)[0] for pi in P)
    assert lost > 1e-5
    assert abs(td.expected_lost_mass(p=P, M=M, n=n, policy=policy) - lost) < 1e-13
    if not real:
        fixed = _dense_count_law(0.9, M, n, 0)[M]
        assert fixed > 1e-3 and abs(td.fixation_probability(q=0.9, M=M, n=n) - fixed) < 1e-13


def test_large_population():
    """M = 1e4: generation 2 loses a state with probability E (1 - c_1/M)^M, c_1 ~ Bin(M, q)."""
    from scipy.stats import binom

    M, p = 10_000, np.array([5e-4, 1 - 5e-4])
    c = np.arange(M + 1)
    lost = sum(q * np.sum(binom.pmf(c, M, q) * (1 - c / M) ** M) for q in p)
    assert lost > 1e-6
    assert abs(td.expected_lost_mass(p=p, M=M, n=2) - lost) < 1e-15
    law = td._count_law(0.05, M, 10, 0)  # a martingale: the mean count stays M q
    assert abs(law.sum() - 1) < 1e-12 and abs(law @ c - 0.05 * M) < 1e-8
    assert 0 <= td.fixation_probability(q=0.05, M=M, n=10) < 1e-15
