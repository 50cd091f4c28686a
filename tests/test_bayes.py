"""Iterated learning with Bayesian agents (Griffiths and Kalish, Cognitive Science 2007): the
Beta-Bernoulli chain under three learners, its stationary law, the Dirichlet-categorical
heterozygosity."""

import jax
import numpy as np
import pytest
import sympy as sp
from scipy import stats

import sim.bayes as sb
import theory.bayes as tb
from sim import RunOptions

Z = 4.0  # |z| bound of every theory-against-simulation check


# --- symbolic derivations and exact finite-state checks ------------------------------------------

def test_moment_steps():
    m, q, n, B, a, beta = tb.m_, tb.q_, tb.n_, tb.B_, tb.alpha_, tb.beta_
    first, second = tb.derive_moment_step("sample")
    assert sp.simplify(first - (a + n * m) / B) == 0
    Ek2 = n * m + n * (n - 1) * q  # E k^2 under Binomial(n, h), averaged over h
    assert sp.simplify(second - (a**2 + a + (2 * a + 1) * n * m + Ek2) / (B * (B + 1))) == 0
    for learner in ("map", "mean"):
        first, second = tb.derive_moment_step(learner)
        assert sp.simplify(first - (beta + n * m) / B) == 0
        assert sp.simplify(second - (beta**2 + 2 * beta * n * m + Ek2) / B**2) == 0


def _chain_moments(t, n, a, b, h0, learner):
    """E h_t and Var h_t from the exact (n + 1)-state count chain."""
    k = np.arange(n + 1)
    law = stats.binom.pmf(k, n, h0)
    T = tb.count_chain(n=n, a=a, b=b, learner=learner)
    for _ in range(t - 1):
        law = law @ T
    if learner == "sample":
        mean_k = (a + k) / (a + b + n)
        second_k = (a + k) * (a + k + 1) / ((a + b + n) * (a + b + n + 1))
    else:
        mean_k = (a + k - 1) / (a + b + n - 2) if learner == "map" else (a + k) / (a + b + n)
        second_k = mean_k**2
    mean = law @ mean_k
    return mean, law @ second_k - mean**2


@pytest.mark.parametrize("learner", tb.LEARNERS)
def test_moments_agree_with_the_count_chain(learner):
    for n, a, b, h0 in ((1, 1.0, 1.0, 0.3), (4, 2.0, 3.0, 0.9), (7, 1.5, 1.0, 0.0)):
        t = np.arange(1, 9)
        chain = np.array([_chain_moments(s, n, a, b, h0, learner) for s in t])
        assert tb.mean_after(t=t, n=n, a=a, b=b, h0=h0, learner=learner) == \
            pytest.approx(chain[:, 0], abs=1e-12)
        assert tb.variance_after(t=t, n=n, a=a, b=b, h0=h0, learner=learner) == \
            pytest.approx(chain[:, 1], abs=1e-12)


def test_limits_and_stationary_laws():
    a, b = 2.0, 3.0
    # sample: the prior Beta(a, b) is stationary (Griffiths and Kalish), the counts Beta-Binomial
    assert tb.mean_after(t=400, n=5, a=a, b=b, h0=0.95) == pytest.approx(a / (a + b))
    assert tb.variance_after(t=400, n=5, a=a, b=b, h0=0.95) == \
        pytest.approx(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert tb.stationary_law(n=6, a=a, b=b) == pytest.approx(
        stats.betabinom.pmf(np.arange(7), 6, a, b), abs=1e-12)
    # map at a = b = 1 is the Wright-Fisher chain: fixation variance h0(1 - h0)(1 - (1 - 1/n)^t)
    t = np.arange(0, 30)
    assert tb.variance_after(t=t, n=4, a=1, b=1, h0=0.3, learner="map") == \
        pytest.approx(0.21 * (1 - 0.75**t), abs=1e-12)
    assert tb.mean_after(t=t, n=4, a=1, b=1, h0=0.3, learner="map") == pytest.approx(0.3)
    with pytest.raises(ValueError, match=r"^a and b must be > 1 for the stationary law"):
        tb.stationary_law(n=4, a=1.0, b=2.0, learner="map")
    # map, a, b > 1: the stationary mean is the prior mode's pull point (a - 1)/(a + b - 2)
    law = tb.stationary_law(n=5, a=a, b=b, learner="map")
    assert law @ ((a + np.arange(6) - 1) / (a + b + 3)) == pytest.approx((a - 1) / (a + b - 2))
    # the Dirichlet chain with K = 2 is the Beta chain: 1 - ||theta||^2 = 2 (h - h^2)
    for learner in tb.LEARNERS:
        t = np.arange(0, 6)
        m = tb.mean_after(t=t, n=3, a=a, b=b, h0=0.8, learner=learner)
        v = tb.variance_after(t=t, n=3, a=a, b=b, h0=0.8, learner=learner)
        het = tb.heterozygosity_after(t=t, n=3, alpha=[a, b], theta0=[0.8, 0.2], learner=learner)
        assert het == pytest.approx(2 * (m - v - m**2), abs=1e-12)
    # Dirichlet map with alpha = 1: the Wright-Fisher loss (1 - 1/n)^t H_0
    theta0 = np.array([0.5, 0.3, 0.2])
    assert tb.heterozygosity_after(t=t, n=4, alpha=[1, 1, 1], theta0=theta0, learner="map") == \
        pytest.approx(0.75**t * (1 - theta0 @ theta0))
    alpha = np.array([1.0, 2.0, 0.5])
    assert tb.heterozygosity_after(t=500, n=4, alpha=alpha, theta0=theta0) == \
        pytest.approx(1 - alpha @ (alpha + 1) / (alpha.sum() * (alpha.sum() + 1)))


# --- theory against simulation -------------------------------------------------------------------

@pytest.mark.parametrize("learner", tb.LEARNERS)
def test_beta_chain_matches_simulation(key, learner):
    """One program per learner (mean and variance share it); 12 points each, n = 1 included."""
    kw = dict(t=[1, 2, 5, 12], n=[[1], [3], [8]], a=[[2.0], [1.0], [1.5]], b=1.5, h0=0.8,
              learner=learner)
    est = sb.mean_after(key, **kw, seeds=4096)
    assert np.all(np.abs(est.z(tb.mean_after(**kw))) < Z), est.z(tb.mean_after(**kw))
    est = sb.variance_after(key, **kw, seeds=4096)
    assert np.all(np.abs(est.z(tb.variance_after(**kw))) < Z), est.z(tb.variance_after(**kw))


def test_dirichlet_heterozygosity_matches_simulation(key):
    kw = dict(t=[1, 3, 10], n=[[1], [6]], alpha=[1.0, 2.0, 0.5], theta0=[0.6, 0.3, 0.1])
    est = sb.heterozygosity_after(key, **kw, seeds=4096)
    exact = tb.heterozygosity_after(**kw)
    assert np.all(np.abs(est.z(exact)) < Z), est.z(exact)
    raw = sb.heterozygosity_after(key, **kw, seeds=4096, options=RunOptions(sampler="raw"))
    assert np.all(np.abs(raw.z(exact)) < Z), raw.z(exact)


@pytest.mark.slow
def test_raw_and_dirichlet_learners(key):
    for learner in ("map", "mean"):
        kw = dict(t=[1, 3, 10], n=[[1], [6]], alpha=[1.0, 2.0, 1.5], theta0=[0.6, 0.3, 0.1],
                  learner=learner)
        est = sb.heterozygosity_after(key, **kw, seeds=4096)
        assert np.all(np.abs(est.z(tb.heterozygosity_after(**kw))) < Z)
    kw = dict(t=[1, 2, 5, 12], n=[[1], [3], [8]], a=2.0, b=1.5, h0=0.8)
    est = sb.variance_after(key, **kw, seeds=4096, options=RunOptions(sampler="raw"))
    assert np.all(np.abs(est.z(tb.variance_after(**kw))) < Z)


# --- bad input -----------------------------------------------------------------------------------

def test_bad_input():
    with pytest.raises(ValueError, match=r"^a must be a real number > 0"):
        tb.mean_after(t=1, n=2, a=0.0, b=1.0, h0=0.5)
    with pytest.raises(ValueError, match=r"^h0 must be a real number in \[0, 1\]"):
        tb.mean_after(t=1, n=2, a=1.0, b=1.0, h0=1.5)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        tb.variance_after(t=1, n=0, a=1.0, b=1.0, h0=0.5)
    with pytest.raises(ValueError, match=r"^t must be an integer >= 0"):
        tb.variance_after(t=-2, n=1, a=1.0, b=1.0, h0=0.5)
    with pytest.raises(ValueError, match=r"^learner must be one of 'sample', 'map', 'mean'"):
        tb.mean_after(t=1, n=2, a=1.0, b=1.0, h0=0.5, learner="mode")
    with pytest.raises(ValueError, match=r"^a and b must be real numbers >= 1 for learner='map'"):
        tb.mean_after(t=1, n=2, a=0.5, b=1.0, h0=0.5, learner="map")
    with pytest.raises(ValueError, match=r"^alpha must be a 1-D array of >= 2 prior masses"):
        tb.heterozygosity_after(t=1, n=2, alpha=[1.0], theta0=[1.0])
    with pytest.raises(ValueError, match=r"^theta0 must be a probability vector of alpha's"):
        tb.heterozygosity_after(t=1, n=2, alpha=[1.0, 1.0], theta0=[0.5, 0.2])
    with pytest.raises(ValueError, match=r"^alpha must be real numbers >= 1 for learner='map'"):
        tb.heterozygosity_after(t=1, n=2, alpha=[1.0, 0.5], theta0=[0.5, 0.5], learner="map")
    with pytest.raises(ValueError, match=r"^h0 must be a real number in \[0, 1\]"):
        sb.mean_after(jax.random.key(0), t=1, n=2, a=1.0, b=1.0, h0=-0.1, seeds=4)
