"""Iterative training on a contaminated source (Bakshi and Chakraborty 2026, arXiv 2602.10531):
the exact risk recursion under arbitrary schedules, its stationary value, when the loop
improves."""

import jax
import numpy as np
import pytest
import sympy as sp

import sim.contamination as sc
import theory.contamination as tc
from sim import RunOptions

Z = 4.0  # |z| bound of every theory-against-simulation check
P = np.array([0.5, 0.3, 0.15, 0.05])
FRESH = 1 - P @ P


# --- symbolic derivations and exact small cases --------------------------------------------------

def test_risk_step_and_stationary_risk():
    a, n, R, S = tc.alpha_, tc.n_, tc.R_, tc.S_
    for K in (2, 3, 5):
        step = tc.derive_risk_step(K)
        assert sp.simplify(step - ((n - 1) / n * (1 - a) ** 2 * R + (1 - S) / n)) == 0
    star = tc.derive_stationary_risk()
    c = (n - 1) / n * (1 - a) ** 2
    assert sp.simplify(star - (1 - S) / (n * (1 - c))) == 0
    assert sp.simplify(star.subs(a, 0) - (1 - S)) == 0       # no fresh data: a point mass
    assert sp.simplify(star.subs(a, 1) - (1 - S) / n) == 0   # all fresh: one empirical law


def test_recursion_closed_form_and_paper_form():
    alpha, n, n0 = 0.3, 10, 4
    t = np.arange(0, 40)
    R = tc.risk(p=P, alpha=alpha, n_samples=[n0] + [n] * 39, t=t)
    star = tc.stationary_risk(p=P, alpha=alpha, n=n)
    c = (n - 1) / n * (1 - alpha) ** 2
    assert R == pytest.approx(star + c**t * (FRESH / n0 - star), rel=1e-12)
    # the paper's form: R_t = (n_0/n_t) R_0 + ((n_t - 1)/n_t)(1 - alpha_t)^2 R_{t-1}
    alphas, ns = np.array([0.9, 0.0, 0.5, 0.2]), np.array([3, 1, 7, 2, 50])
    R = tc.risk(p=P, alpha=alphas, n_samples=ns, t=np.arange(5))
    for s in range(1, 5):
        assert R[s] == pytest.approx(ns[0] / ns[s] * R[0]
                                     + (ns[s] - 1) / ns[s] * (1 - alphas[s - 1]) ** 2 * R[s - 1])
    # improvement under constant schedules: at every round iff n (1 - c) > n_0
    assert np.all(tc.improves(p=P, alpha=alpha, n_samples=[n0] + [n] * 9, t=np.arange(1, 10)))
    assert not np.any(tc.improves(p=P, alpha=alpha, n_samples=[n * 2] + [n] * 9,
                                  t=np.arange(1, 10)))
    assert n * (1 - c) > n0 and not n * (1 - c) > 2 * n


def test_exact_small_case_by_enumeration():
    """K = 2, n_0 = 1, n_1 = 2, alpha_1 = 0.5: enumerate the draws."""
    q = 0.7
    expected = 0.0
    for x0 in (0, 1):  # round 0: one draw
        p0 = q if x0 == 0 else 1 - q
        law = np.array([1.0, 0.0]) if x0 == 0 else np.array([0.0, 1.0])
        mix = 0.5 * np.array([q, 1 - q]) + 0.5 * law
        for k in range(3):  # round 1: k of the 2 draws on state 0
            pk = [mix[1] ** 2, 2 * mix[0] * mix[1], mix[0] ** 2][k]
            hat = np.array([k / 2, 1 - k / 2])
            expected += p0 * pk * np.sum((hat - [q, 1 - q]) ** 2)
    assert tc.risk(p=[q, 1 - q], alpha=[0.5], n_samples=[1, 2], t=1) == pytest.approx(expected)


# --- theory against simulation -------------------------------------------------------------------

SCHEDULES = (
    dict(alpha=0.3, n_samples=10),                                    # constant
    dict(alpha=[0.0, 0.2, 0.9, 0.1, 1.0], n_samples=[1, 3, 5, 2, 40, 6]),  # n = 1, alpha 0 and 1
    dict(alpha=0.0, n_samples=[2, 5, 5, 5, 5, 5]),                    # no fresh data: collapse
)


@pytest.mark.parametrize("schedule", range(len(SCHEDULES)))
def test_risk_matches_simulation(key, schedule):
    """Every schedule runs in one compiled program (4 states, 8 rounds); 6 rounds each."""
    kw = dict(p=P, t=np.arange(6), **SCHEDULES[schedule])
    est = sc.risk(key, **kw, seeds=8192)
    assert np.all(np.abs(est.z(tc.risk(**kw))) < Z), est.z(tc.risk(**kw))


def test_raw_loop_agrees(key):
    kw = dict(p=P, t=np.arange(6), **SCHEDULES[1])
    est = sc.risk(key, **kw, seeds=8192, options=RunOptions(sampler="raw"))
    assert np.all(np.abs(est.z(tc.risk(**kw))) < Z), est.z(tc.risk(**kw))


# --- bad input -----------------------------------------------------------------------------------

def test_bad_input():
    with pytest.raises(ValueError, match=r"^p must be a 1-D probability vector"):
        tc.risk(p=[0.5, 0.6], alpha=0.1, n_samples=5, t=1)
    with pytest.raises(ValueError, match=r"^alpha must be a real number in \[0, 1\]"):
        tc.risk(p=P, alpha=1.5, n_samples=5, t=1)
    with pytest.raises(ValueError, match=r"^n_samples must be an integer >= 1"):
        tc.risk(p=P, alpha=0.1, n_samples=[5, 0], t=1)
    with pytest.raises(ValueError, match=r"^t must be an integer in \[0, 2\]"):
        tc.risk(p=P, alpha=[0.1, 0.2], n_samples=5, t=3)
    with pytest.raises(ValueError, match=r"^t must be an integer in \[0, 1\]"):
        tc.risk(p=P, alpha=[0.1, 0.2], n_samples=[5, 6], t=2)
    with pytest.raises(ValueError, match=r"^alpha must be a scalar or a 1-D schedule"):
        tc.risk(p=P, alpha=[[0.1]], n_samples=5, t=1)
    with pytest.raises(ValueError, match=r"^t must be an integer >= 0"):
        tc.risk(p=P, alpha=0.1, n_samples=5, t=-1)
    with pytest.raises(ValueError, match=r"^t must be an integer >= 1"):
        tc.improves(p=P, alpha=0.1, n_samples=5, t=0)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        tc.stationary_risk(p=P, alpha=0.1, n=0)
    with pytest.raises(ValueError, match=r"^alpha must be a real number in \[0, 1\]"):
        sc.risk(jax.random.key(0), p=P, alpha=-0.1, n_samples=5, t=1, seeds=4)
