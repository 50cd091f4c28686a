"""Tailed bigram model (Dohmatob et al., "A Tale of Tails", section 4): theory vs brute force,
symbolic De Moivre, rates, floors, simulation z-tests and input validation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

import sim.zipf as sz
import theory.zipf as tz
from theory.zipf._bigram import N_EXACT, _Laws, mad_about, mad_demoivre, mad_identity

Z = 4.0  # z-test threshold of the statistical tests


def brute_bigram(beta, T, N, V, k=None, beta_ai=None) -> float:
    """Direct double sum over contexts and counts with the binomial law of every token."""
    b = beta if beta_ai is None else beta_ai
    p, s = tz.zipf_probs(beta=beta, N=N), tz.zipf_probs(beta=b, N=N)
    q = tz.zipf_probs(beta=beta, N=V)
    r = tz.zipf_probs(beta=b, N=V)
    if k is not None:
        r = np.where(np.arange(V) < k, r, 0)
        r = r / r.sum()

    def tv(n):
        if n == 0:
            return 1.0
        x = np.arange(n + 1)[:, None]
        return float(np.sum(binom.pmf(x, n, r) * np.abs(x / n - q))) / 2

    tvs = np.array([tv(n) for n in range(T + 1)])
    n = np.arange(T + 1)[:, None]
    return float(np.sum(p * (binom.pmf(n, T, s) * tvs[:, None]).sum(0)))


def test_demoivre_symbolic():
    for n in (1, 2, 3, 5):
        assert all(sp.simplify(d) == 0 for d in mad_identity(n))


def test_mad_formulas_brute_force():
    for n in (1, 2, 7, 40, 333):
        x = np.arange(n + 1)[:, None]
        p = np.array([1e-4, 0.013, 0.2, 0.5, 0.77, 0.999])
        brute = np.sum(binom.pmf(x, n, p) * np.abs(x - n * p), 0)
        np.testing.assert_allclose(mad_demoivre(n, p), brute, rtol=1e-10, atol=1e-300)
        a = np.array([0.0, 0.3, 2.0, 5.5, n / 3])
        brute_a = np.sum(binom.pmf(x, n, 0.1) * np.abs(x - a), 0)
        np.testing.assert_allclose(mad_about(n, 0.1, a), brute_a, rtol=1e-10)


@pytest.mark.parametrize("args", [(1.5, 30, 7, 5, None, None), (2.0, 40, 6, 8, 3, None),
                                  (1.5, 25, 5, 6, None, 2.5), (3.0, 0, 4, 4, None, None)])
def test_exact_vs_brute_force(args):
    beta, T, N, V, k, b = args
    got = tz.bigram_error(beta=beta, T=T, N=N, V=V, k=k, beta_ai=b)
    assert got == pytest.approx(brute_bigram(beta, T, N, V, k, b), rel=1e-12)


def test_spline_of_tv():
    laws = _Laws(1.5, 50.0, 1.5, np.inf)
    n = np.array([N_EXACT + 1, 777, 5000, 123457, 10**6 - 1])
    assert np.allclose(laws.table(1e6)(n), laws.tv(n), rtol=1e-3)


def test_infinite_limits_agree():
    # N = None vs a large finite N and V at small T: the tails are negligible there
    a = tz.bigram_error(beta=3.0, T=50)
    b = tz.bigram_error(beta=3.0, T=50, N=2**14)
    assert a == pytest.approx(float(b), rel=1e-4)


def test_floors():
    # T -> inf: every context seen infinitely often, error -> TV(r, q) (computed directly here)
    q = tz.zipf_probs(beta=2.0, N=50)
    assert tz.bigram_floor(beta=2.0, V=50, k=5) == pytest.approx(q[5:].sum(), rel=1e-12)
    r = tz.zipf_probs(beta=2.5, N=50)
    assert tz.bigram_floor(beta=2.0, V=50, beta_ai=2.5) == pytest.approx(
        0.5 * np.abs(r - q).sum(), rel=1e-12)
    big = tz.bigram_error(beta=2.0, T=10**7, N=50, V=50, k=5)
    assert big == pytest.approx(q[5:].sum(), rel=1e-3)


@pytest.mark.parametrize("beta,band", [(1.5, (-0.38, -0.29)), (3.0, (-0.55, -0.43))])
def test_rate(beta, band):
    """Slope of E / log T (beta < 2: sum_i p_i (T p_i)^-c diverges logarithmically) for beta
    = 1.5 (law -1/3) and of E for beta = 3 (law -1/2), infinite N and V, T in [3e3, 3e4]."""
    T = np.array([3000, 30000])
    e = tz.bigram_error(beta=beta, T=T)
    y = e / np.log(T) if beta < 2 else e
    slope = np.diff(np.log(y))[0] / np.diff(np.log(T))[0]
    assert band[0] < slope < band[1]
    assert band[0] < -tz.bigram_rate(beta=beta) < band[1]


def test_sim_matches_theory(key):
    pts = [dict(beta=1.5, T=200), dict(beta=2.0, T=1000, k=5), dict(beta=1.5, T=500, beta_ai=2.5)]
    for kw in pts:
        est = sz.bigram_error(key, N=30, V=30, seeds=512, **kw)
        z = est.z(tz.bigram_error(N=30, V=30, **kw))
        assert abs(z) < Z, (kw, z)


def test_bad_input():
    with pytest.raises(ValueError, match="beta"):
        tz.bigram_error(beta=1.0, T=10)
    with pytest.raises(ValueError, match="T"):
        tz.bigram_error(beta=2.0, T=2.5)
    with pytest.raises(ValueError, match="k"):
        tz.bigram_error(beta=2.0, T=10, N=10, k=11)
    with pytest.raises(ValueError, match="beta_ai"):
        tz.bigram_error(beta=2.0, T=10, beta_ai=1.5)
    with pytest.raises(ValueError, match="V"):
        tz.bigram_error(beta=2.0, T=10, V=0)
    with pytest.raises(ValueError, match="N"):
        sz.bigram_error(None, beta=2.0, T=10, N=None, seeds=4)
    with pytest.raises(ValueError, match="beta_ai"):
        sz.bigram_error(None, beta=2.0, T=10, N=5, beta_ai=1.2, seeds=4)


@settings(max_examples=25, deadline=None)
@given(beta=st.floats(-10, 1.0), T=st.floats(-100, -0.01), k=st.integers(-5, 0))
def test_out_of_domain_property(beta, T, k):
    with pytest.raises(ValueError, match="beta"):
        tz.bigram_error(beta=beta, T=1)
    with pytest.raises(ValueError, match="T"):
        tz.bigram_error(beta=2.0, T=T)
    with pytest.raises(ValueError, match="k"):
        tz.bigram_error(beta=2.0, T=1, N=5, k=k)


@pytest.mark.slow
def test_figure_smoke(tmp_path):
    from paper_figures.__main__ import render

    render(["zipf_bigram"], scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert list(tmp_path.glob("zipf_bigram*"))
