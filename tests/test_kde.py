"""Kernel density estimation chains (Kazdan et al. 2024, arXiv 2410.16713): the fitted density's
variance, the genealogy of the points, the held-out log-likelihood."""

import itertools

import jax
import numpy as np
import pytest
import sympy as sp

import sim.kde as sk
import theory.kde as tk

Z = 4.0  # |z| bound of every theory-against-simulation check


# --- symbolic derivations and exact small cases --------------------------------------------------

def test_one_step_and_closed_forms():
    M, h, V, sigma, n = tk.M_, tk.h_, tk.V_, tk.sigma_, tk.n_
    assert sp.simplify(tk.derive_variance_step() - (1 - 1 / M) * (V + h**2)) == 0
    fixed = tk.derive_variance_after()
    assert sp.simplify(fixed.subs(n, 0) - sigma**2) == 0
    assert sp.simplify(fixed.subs(n, 1) - ((1 - 1 / M) * sigma**2 + h**2)) == 0
    assert sp.limit(fixed.subs({M: 10, h: sp.Rational(1, 3)}), n, sp.oo) == sp.Rational(10, 9)
    silver = tk.derive_silverman_variance()
    g = h**2 * (sp.Rational(4, 3) / M) ** sp.Rational(2, 5) * M / (M - 1)
    assert sp.simplify(silver.subs(n, 1) - sigma**2 * (1 - 1 / M) * (1 + g)) == 0
    # the float64 forms equal the derived ones (high-precision evaluation at rational points)
    for bandwidth, expr in (("fixed", fixed), ("silverman", silver)):
        stable = tk.derive_stable_form(bandwidth)
        for values in ({n: 0, M: 2, h: sp.Rational(1, 2), sigma: 1},
                       {n: 7, M: 5, h: sp.Rational(3, 10), sigma: 2},
                       {n: 40, M: 13, h: 2, sigma: sp.Rational(1, 3)}):
            assert sp.N((expr - stable).subs(values), 30) == pytest.approx(0, abs=1e-25)


def test_worked_values():
    assert tk.variance_after(n=0, M=5, h=0.3, sigma=2.0) == pytest.approx(4.0)
    assert tk.variance_after(n=10**6, M=10, h=0.3) == pytest.approx(0.9)  # M h^2, no overflow
    assert tk.stationary_variance(M=10, h=0.3) == pytest.approx(0.9)
    # silverman at h = 1, M = 10: growth factor 0.9 (1 + (4/30)^(2/5) 10/9) per generation
    g = (4 / 30) ** 0.4 * 10 / 9
    assert tk.variance_after(n=3, M=10, h=1.0, bandwidth="silverman") == \
        pytest.approx((0.9 * (1 + g)) ** 3)
    assert tk.silverman_factor(M=10) == pytest.approx((4 / 30) ** 0.2)


def test_ancestors_small_cases_by_enumeration():
    # M = 2: from two lineages, one parent with probability 1/2; n = 2 gives 1.5.
    assert tk.ancestors_after(n=[1, 2, 3], M=2) == pytest.approx([2, 1.5, 1.25])
    # M = 3, n = 3: enumerate both generations' parent choices.
    total = 0.0
    for first in itertools.product(range(3), repeat=3):      # generation 2's parents
        for second in itertools.product(range(3), repeat=3):  # generation 3's parents
            total += len({first[j] for j in second})
    assert tk.ancestors_after(n=3, M=3) == pytest.approx(total / 3**6)
    assert tk.ancestors_after(n=1, M=1) == 1.0
    assert tk.ancestors_after(n=10**4, M=50) == pytest.approx(1.0)


# --- theory against simulation -------------------------------------------------------------------

def test_fixed_bandwidth_variance_and_ancestors(key):
    """One compiled chain (M_pad 32, 32 generations) for both quantities; 16 points each."""
    n = np.array([1, 2, 5, 20])
    kw = dict(n=n, M=[[2], [3], [5], [20]], h=[[0.3], [1.0], [0.5], [0.2]], sigma=1.5)
    est = sk.variance_after(key, **kw, seeds=4096)
    assert np.all(np.abs(est.z(tk.variance_after(**kw))) < Z), est.z(tk.variance_after(**kw))
    kw = dict(n=n, M=[[2], [3], [5], [20]])
    est = sk.ancestors_after(key, **kw, seeds=4096)
    exact = tk.ancestors_after(**kw)
    assert est.mean[:, 0] == pytest.approx([2, 3, 5, 20])  # generation 1: the real points
    assert np.all(np.abs(est[:, 1:].z(exact[:, 1:])) < Z), est.z(exact)


def test_silverman_variance(key):
    kw = dict(n=[1, 2, 4, 8], M=[[3], [20]], h=[[0.5], [1.0]], bandwidth="silverman")
    est = sk.variance_after(key, **kw, seeds=4096)
    assert np.all(np.abs(est.z(tk.variance_after(**kw))) < Z), est.z(tk.variance_after(**kw))


def test_heldout_loglik(key):
    est = sk.heldout_loglik(key, n=[0, 1, 16], M=20, h=0.3, test_points=64, seeds=512)
    truth = -0.5 * np.log(2 * np.pi * np.e)
    assert abs(est[0].z(truth)) < Z
    assert est.mean[2] < est.mean[1] < est.mean[0]  # the fitted densities lose real-data fit
    with pytest.raises(ValueError, match=r"^test_points must be an integer >= 1"):
        sk.heldout_loglik(key, n=1, M=5, h=0.3, test_points=0, seeds=4)


# --- bad input -----------------------------------------------------------------------------------

def test_bad_input():
    with pytest.raises(ValueError, match=r"^h must be a real number > 0"):
        tk.variance_after(n=1, M=5, h=0.0)
    with pytest.raises(ValueError, match=r"^M must be an integer >= 2"):
        tk.variance_after(n=1, M=1, h=0.3)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 0"):
        tk.variance_after(n=-1, M=5, h=0.3)
    with pytest.raises(ValueError, match=r"^sigma must be a real number > 0"):
        tk.variance_after(n=1, M=5, h=0.3, sigma=-1)
    with pytest.raises(ValueError, match=r"^bandwidth must be one of 'fixed', 'silverman'"):
        tk.variance_after(n=1, M=5, h=0.3, bandwidth="scott")
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        tk.ancestors_after(n=0, M=5)
    with pytest.raises(ValueError, match=r"^M must be an integer >= 1"):
        tk.ancestors_after(n=2, M=0)
    with pytest.raises(ValueError, match=r"^h must be a real number > 0"):
        sk.variance_after(jax.random.key(0), n=1, M=5, h=-1.0, seeds=4)
