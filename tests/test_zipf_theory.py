"""Theory of the Zipf memorising model: symbolic derivations, exact sums, asymptotic laws.

Expected values come from the worked values of docs/theory/zipf.md, direct NumPy / mpmath sums, or
independent derivations written here; never from the code's own output.
"""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import theory.zipf as tz
from theory.zipf import _derive as D
from theory.zipf._engine import tail_sum
from theory.zipf._generations import (
    generation_factor,
    generations_error,
    generations_error_paper,
)


def direct(beta, N):
    p = np.arange(1, N + 1, dtype=float) ** -beta
    return p / p.sum()


# ---------------------------------------------------------------- symbolic (sympy) derivations
def test_C_beta_derived_by_gamma_substitution():
    expected = sp.gamma(1 - 1 / D.beta) / (D.beta * D.Z ** (1 / D.beta))
    assert sp.simplify(D.C_beta() - expected) == 0
    # worked values of the clean law (docs/theory/zipf.md)
    np.testing.assert_allclose(tz.C_beta(beta=[2.0, 1.5, 3.0]), [0.690988, 0.941560, 0.424516],
                               atol=1e-6)


def test_first_correction_matches_theory_coefficient():
    claimed = -(2 - 1 / D.beta) * (1 - 1 / D.beta) / 2
    assert sp.simplify(D.first_correction() - claimed) == 0


@pytest.mark.parametrize("beta", [1.5, 2.0, 3.0])
def test_exact_sum_approaches_C_beta_with_the_1_over_T_correction(beta):
    c = 1 - 1 / beta
    T = np.array([1e4, 1e6])
    exact = tz.memorization_error(beta=beta, T=T)
    lead = tz.memorization_error_asymptotic(beta=beta, T=T, order=0)
    a1 = -(2 - 1 / beta) * (1 - 1 / beta) / 2
    # (E / (C T^-c) - 1) T -> a1; the next term is O(1/T)
    np.testing.assert_allclose((exact / lead - 1) * T, a1, atol=5e-3)
    # C_beta by an independent quadrature of p(x) exp(-T p(x)) (x = e^t)
    Z, Tm = float(mpmath.zeta(beta)), 1e6
    val = integrate.quad(lambda t: np.exp(t * (1 - beta) - Tm * np.exp(-beta * t) / Z) / Z,
                         -5, 60, points=[5, 10, 15], limit=200, epsabs=0, epsrel=1e-12)[0]
    np.testing.assert_allclose(val * Tm**c, tz.C_beta(beta=beta), rtol=1e-7)


def test_narrowed_constant_matches_theory():
    theory_K = sp.gamma((D.beta - 1) / D.b) * D.Zq ** ((D.beta - 1) / D.b) / (D.b * D.Z)
    assert sp.simplify(sp.gammasimp(D.narrowed_constant() - theory_K)) == 0


def test_crossover_and_generator_cutoff_closed_forms():
    for beta, k in [(2.0, 10), (1.5, 100)]:
        c = 1 - 1 / beta
        z = float(mpmath.zeta(beta))
        C = float(tz.C_beta(beta=beta))
        np.testing.assert_allclose(tz.tail_cut_crossover(beta=beta, k=k),
                                   ((beta - 1) * z * C) ** (1 / c) * k**beta, rtol=1e-12)
        # generator cutoff: tail-mass asymptotic at k equals C T0^-c
        T0 = 1e6
        kk = tz.generator_cutoff(beta=beta, T0=T0)
        np.testing.assert_allclose(kk ** (1 - beta) / ((beta - 1) * z), C * T0**-c, rtol=1e-12)


# ---------------------------------------------------------------- exact sums
@pytest.mark.parametrize("beta,N,T", [(1.5, 1000, 300.0), (2.0, 50, 7.5), (3.0, 1, 4.0)])
def test_memorization_error_finite_N_equals_direct_sum(beta, N, T):
    p = direct(beta, N)
    np.testing.assert_allclose(tz.memorization_error(beta=beta, T=T, N=N), np.sum(p * (1 - p) ** T),
                               rtol=1e-12)
    np.testing.assert_allclose(tz.zipf_probs(beta=beta, N=N), p, rtol=1e-13)


def test_infinite_vocabulary_tail_bound_holds():
    beta, T, M = 2.0, 300.0, 1000
    Z = float(mpmath.zeta(beta))
    value, bound = tail_sum(beta=beta, Z=Z, b=beta, Zq=Z, T=T, M=M)
    assert bound <= 1e-10 * value
    i = np.arange(1, 10**7 + 1, dtype=float)
    p = i**-beta / Z
    terms = p * (1 - p) ** T
    # beyond 1e7: sum p (1-p)^T = S1 - T S2 + r, |r| <= T^2 S3 / 2
    S = [float(mpmath.zeta(j * beta, 10**7 + 1)) / Z**j for j in (1, 2, 3)]
    beyond = S[0] - T * S[1]
    assert abs(value - (math.fsum(terms[M:]) + beyond)) <= bound + T**2 * S[2] + 1e-15
    # the full infinite-vocabulary sum, brute force
    np.testing.assert_allclose(tz.memorization_error(beta=beta, T=T),
                               math.fsum(terms) + beyond, rtol=1e-12)


def test_top_p_cutoffs_theory_table_and_direct():
    np.testing.assert_array_equal(tz.top_p_cutoff(beta=2.0, p=[0.9, 0.95, 0.99]), [6, 12, 61])
    p = direct(1.5, 5000)
    for thr in (0.3, 0.7, 0.9):
        k = int(np.argmax(np.cumsum(p) >= thr)) + 1
        assert tz.top_p_cutoff(beta=1.5, p=thr, N=5000) == k


def test_plateau_equals_tail_mass():
    for N in (None, 2000):
        mass = tz.tail_mass(beta=2.0, k=10, N=N)
        np.testing.assert_allclose(tz.tail_cut_error(beta=2.0, T=1e12, k=10, N=N), mass, rtol=1e-12)
    p = direct(2.0, 2000)
    np.testing.assert_allclose(tz.tail_mass(beta=2.0, k=10, N=2000), p[10:].sum(), rtol=1e-12)
    np.testing.assert_allclose(tz.tail_mass(beta=2.0, k=10), 1 - sum(i**-2 for i in range(1, 11))
                               / (math.pi**2 / 6), rtol=1e-12)
    big = 10**6
    ratio = tz.tail_mass_asymptotic(beta=2.0, k=big) / tz.tail_mass(beta=2.0, k=big)
    np.testing.assert_allclose(ratio, 1, atol=1e-5)


def test_tail_cut_error_direct_and_regimes():
    beta, k, N = 1.5, 30, 1000
    p = direct(beta, N)
    Pk = p[:k].sum()
    T = 500.0
    np.testing.assert_allclose(tz.tail_cut_error(beta=beta, T=T, k=k, N=N),
                               np.sum(p[:k] * (1 - p[:k] / Pk) ** T) + 1 - Pk, rtol=1e-12)
    # k = N is the clean error
    np.testing.assert_allclose(tz.tail_cut_error(beta=beta, T=T, k=N, N=N),
                               tz.memorization_error(beta=beta, T=T, N=N), rtol=1e-12)


def test_clean_slope_and_narrowed_slope():
    T = np.logspace(5, 9, 9)
    for beta in (1.5, 2.0):
        slope = np.polyfit(np.log(T), np.log(tz.memorization_error(beta=beta, T=T)), 1)[0]
        assert abs(slope + (1 - 1 / beta)) < 2e-3
    beta, beta_ai = 2.0, 3.0
    e = tz.narrowed_error(beta=beta, beta_ai=beta_ai, T=T)
    slope = np.polyfit(np.log(T), np.log(e), 1)[0]
    assert abs(slope + (beta - 1) / beta_ai) < 5e-3
    np.testing.assert_allclose(e[-1], tz.narrowed_error_asymptotic(beta=beta, beta_ai=beta_ai,
                                                                   T=T[-1]), rtol=1e-3)
    assert tz.temperature_exponent(beta=2.0, tau=0.5) == 4.0


def test_mixed_error_limits_and_grokking_regimes():
    beta, k = 2.0, 10
    T = np.array([1e3, 1e5])
    np.testing.assert_allclose(tz.mixed_error(beta=beta, T=T, k=k, pi=0.0),
                               tz.tail_cut_error(beta=beta, T=T, k=k), rtol=1e-12)
    np.testing.assert_allclose(tz.mixed_error(beta=beta, T=T, k=k, pi=1.0),
                               tz.memorization_error(beta=beta, T=T), rtol=1e-12)
    p = direct(beta, 3000)
    pi, Tm = 0.2, 2000.0
    Pk = p[:k].sum()
    exp = np.sum(p[:k] * (1 - p[:k]) ** (pi * Tm) * (1 - p[:k] / Pk) ** ((1 - pi) * Tm)) \
        + np.sum(p[k:] * (1 - p[k:]) ** (pi * Tm))
    np.testing.assert_allclose(tz.mixed_error(beta=beta, T=Tm, k=k, pi=pi, N=3000), exp, rtol=1e-12)
    # plateau band k^beta << T << k^beta / pi, then C (pi T)^-c
    pi = 1e-3
    mid = tz.mixed_error(beta=beta, T=1e4, k=k, pi=pi)
    assert abs(mid / tz.tail_mass(beta=beta, k=k) - 1) < 0.25
    late = tz.mixed_error(beta=beta, T=1e10, k=k, pi=pi)
    np.testing.assert_allclose(late, tz.memorization_error_asymptotic(beta=beta, T=pi * 1e10),
                               rtol=1e-3)


def test_tail_band_floor():
    beta, k, j = 2.0, 10, 100
    floor = tz.tail_mass(beta=beta, k=k) - tz.tail_mass(beta=beta, k=j)
    err = tz.tail_band_error(beta=beta, T=1e12, k=k, pi=0.5, j=j)
    assert floor < err < floor * (1 + 1e-4)


def test_capacity_error():
    np.testing.assert_allclose(tz.capacity_error(beta=2.0, T=1e12, d=50),
                               tz.tail_mass(beta=2.0, k=50), rtol=1e-9)
    np.testing.assert_allclose(tz.capacity_error(beta=1.5, T=100.0, d=200, N=200),
                               tz.memorization_error(beta=1.5, T=100.0, N=200), rtol=1e-12)


# ---------------------------------------------------------------- generations
def test_generation_factors_theory_table():
    n = [2, 3, 5, 10, 20]
    np.testing.assert_allclose(generation_factor(beta=2.0, n=n, chain="resample"),
                               [1.258, 1.461, 1.790, 2.409, 3.303], atol=6e-4)


def test_cut_factor_by_integral_representation():
    # I_n = (1/Gamma(c)) int_0^oo t^(c-1) (1 - (1 - e^-t)^n) dt  (j^-c as a Laplace integral)
    c = 0.5
    for n in (1, 4, 30):
        val = integrate.quad(lambda t, n=n: t ** (c - 1) * (1 - (1 - np.exp(-t)) ** n), 0,
                             np.inf)[0]
        np.testing.assert_allclose(generation_factor(beta=2.0, n=n, chain="cut"),
                                   val / math.gamma(c), rtol=1e-7)


def _wright_fisher_brute(p, T0, T, n):
    x = np.arange(T0 + 1)
    P = stats.binom.pmf(x[None, :], T0, x[:, None] / T0)
    total = 0.0
    for pi in p:
        dist = stats.binom.pmf(x, T0, pi)
        for _ in range(n - 1):
            dist = dist @ P
        total += pi * np.sum(dist * (1 - x / T0) ** T)
    return total


def test_resample_chain_exact_against_brute_force():
    p = direct(1.5, 20)
    for n in (1, 3):
        np.testing.assert_allclose(
            generations_error(beta=1.5, T=25.0, T0=12, n=n, chain="resample", N=20),
            _wright_fisher_brute(p, 12, 25.0, n), rtol=1e-10)


def test_resample_chain_approaches_galton_watson_and_is_sublinear():
    n = np.array([1, 2, 3, 5, 10])
    e = generations_error(beta=2.0, T=np.inf, T0=2048, n=n, chain="resample")
    np.testing.assert_allclose(e[0], tz.memorization_error(beta=2.0, T=2048), rtol=1e-8)
    ratios = e / e[0]
    np.testing.assert_allclose(ratios, generation_factor(beta=2.0, n=n, chain="resample"),
                               rtol=3e-3)
    assert np.all(ratios[1:] < n[1:]) and np.all(np.diff(e) > 0)
    paper = generations_error_paper(beta=2.0, T=np.inf, T0=2048, n=n)
    assert np.all(paper[2:] > e[2:])


def test_cut_chain_factor_and_filtered_identity():
    # without renormalisation, lost mass = sum_j (-1)^(j+1) C(n,j) E(j T0) exactly; the
    # renormalised (mean-field) chain loses slightly less, and both approach I_n
    T0, n = 4096, 4
    E = tz.memorization_error(beta=2.0, T=T0 * np.arange(1, n + 1))
    filtered = sum((-1) ** (j + 1) * math.comb(n, j) * E[j - 1] for j in range(1, n + 1))
    cut = generations_error(beta=2.0, T=np.inf, T0=T0, n=n, chain="cut")
    assert 0.97 * filtered < cut <= filtered
    np.testing.assert_allclose(cut / E[0], generation_factor(beta=2.0, n=n, chain="cut"), rtol=0.03)
