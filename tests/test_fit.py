"""theory.fit: laws against the theory, parameter recovery, interval coverage, identifiability,
model comparison, derived quantities, bad input and the command line.

Tolerances. Recovery: a fitted parameter must lie within 4 of its standard errors (the 95%
interval's half-width / 1.96) of the truth: for a calibrated fit a given check fails with
probability 6e-5. Coverage: the number of 95% intervals covering the truth out of n replicates
must lie in the central 99.9% band of Binomial(n, 0.95) (always-run, n = 60), or between 90% and
98% (slow, n = 300; the binomial sd there is 1.3%). Seeds are fixed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import theory.zipf as tz
from theory.fit import LAWS, compare, fit_curve, fit_curves
from theory.fit import _laws as L
from theory.fit.__main__ import main
from theory.regression import isotropic_mixed_training_error, ols_test_error

NOISE = 0.03


def _noisy(E, seed, rel=NOISE):
    rng = np.random.default_rng(seed)
    s = rel * np.asarray(E)
    return np.asarray(E) + s * rng.standard_normal(np.shape(E)), s


def _within(fit, name, truth, nsd=4.0):
    lo, hi = fit.interval(name)
    sd = (hi - lo) / (2 * 1.96)
    assert abs(fit.params[name] - truth) < nsd * sd, (name, fit.params[name], truth, lo, hi)


# ------------------------------------------------------------------------- laws vs the theory
@pytest.mark.parametrize("beta", [1.3, 1.8, 3.0])
@pytest.mark.parametrize("k", [1, 7, 300])
def test_zipf_laws_match_theory_at_integer_k(beta, k):
    T = np.logspace(0, 7, 9)
    import jax
    with jax.enable_x64(True):
        M = L.head_size(k)
        cut = np.asarray(L.zipf_tail_cut_raw(beta, float(k), T, M))
        mixed = np.asarray(L.zipf_mixed_raw(beta, float(k), 0.1, T, M))
        clean = np.asarray(L.zipf_clean_raw(beta, T))
        mass = float(L.zipf_tail_mass(beta, float(k)))
    np.testing.assert_allclose(cut, tz.tail_cut_error(beta=beta, T=T, k=k), rtol=1e-12)
    np.testing.assert_allclose(mass, tz.tail_mass(beta=beta, k=k), rtol=1e-12)
    # the quadrature tail (midpoint integral) is good to ~3e-7 relative
    np.testing.assert_allclose(mixed, tz.mixed_error(beta=beta, T=T, k=k, pi=0.1), rtol=1e-6)
    np.testing.assert_allclose(clean, tz.memorization_error(beta=beta, T=T), rtol=1e-6)


def test_continuous_k_lies_between_integers():
    import jax
    T = np.array([1e3, 1e5])
    with jax.enable_x64(True):
        e = [np.asarray(L.zipf_tail_cut_raw(2.0, k, T, 1024)) for k in (40.0, 40.5, 41.0)]
    assert np.all(e[2] < e[1]) and np.all(e[1] < e[0])


# ------------------------------------------------------------------------------ recovery
def test_power_law_recovery():
    T = np.logspace(1, 5, 15)
    y, s = _noisy(2.0 * T**-0.5, seed=1)
    f = fit_curve(T=T, error=y, stderr=s, law="power_law")
    _within(f, "A", 2.0)
    _within(f, "c", 0.5)
    assert f.plateau is None


def test_power_law_floor_recovery_and_scaling_stops():
    T = np.logspace(1, 7, 20)
    y, s = _noisy(1.0 * T**-0.4 + 0.01, seed=2)
    f = fit_curve(T=T, error=y, stderr=s, law="power_law_floor")
    for name, v in {"A": 1.0, "c": 0.4, "floor": 0.01}.items():
        _within(f, name, v)
    q = f.scaling_stops(0.1)
    p = f.params
    assert q.value == pytest.approx((p["A"] * 0.1 / p["floor"]) ** (1 / p["c"]), rel=1e-6)
    assert q.lower < (0.1 / 0.01) ** (1 / 0.4) < q.upper
    assert f.plateau.lower < 0.01 < f.plateau.upper


def test_zipf_tail_cut_recovery_and_the_naive_bias():
    """The motivating fact: A T^-c + floor on the exact tail-cut curve is biased; the exact law
    is not. (beta = 1.8, k = 300, 25 points from 1e1 to 1e7, 3% noise, seed 0.)"""
    beta, k = 1.8, 300
    T = np.logspace(1, 7, 25)
    E = tz.tail_cut_error(beta=beta, T=T, k=k)
    plateau = float(tz.tail_mass(beta=beta, k=k))
    y, s = _noisy(E, seed=0)
    naive = fit_curve(T=T, error=y, stderr=s, law="power_law_floor")
    assert naive.params["c"] > 0.5  # true clean exponent 1 - 1/beta = 0.444
    assert naive.params["floor"] < 0.92 * plateau
    assert naive.reduced_chi2 > 5
    exact = fit_curve(T=T, error=y, stderr=s, law="zipf_tail_cut")
    _within(exact, "beta", beta)
    _within(exact, "k", k)
    _within(exact, "scale", 1.0)
    assert exact.reduced_chi2 < 2
    assert exact.plateau.lower < plateau < exact.plateau.upper
    table = compare([naive, exact])
    assert table.best == "zipf_tail_cut" and table.rows[1]["delta_aic"] > 50


@pytest.mark.slow
def test_zipf_mixed_recovery():
    beta, k, pi = 2.0, 30, 0.01
    T = np.logspace(1, 7, 24)
    y, s = _noisy(tz.mixed_error(beta=beta, T=T, k=k, pi=pi), seed=3)
    f = fit_curve(T=T, error=y, stderr=s, law="zipf_mixed")
    for name, v in {"beta": beta, "k": k, "pi": pi, "scale": 1.0}.items():
        _within(f, name, v)


def test_zipf_generations_recovery_finite_differences():
    T = np.logspace(1, 6, 8)
    y, s = _noisy(tz.generations_error(beta=2.0, T=T, T0=1000, n=2, chain="cut"), seed=4)
    f = fit_curve(T=T, error=y, stderr=s, law="zipf_generations", T0=1000, n=2)
    _within(f, "beta", 2.0)
    _within(f, "scale", 1.0)
    lost = float(tz.generations_error(beta=2.0, T=np.inf, T0=1000, n=2, chain="cut"))
    assert f.plateau.lower < lost < f.plateau.upper


def test_regression_generations_in_T_and_in_n():
    d, T0, sigma, sigma0 = 10, 100, 1.0, 0.5
    T = np.round(np.logspace(np.log10(15), 4, 12))
    E = ols_test_error(d=d, T=T, T0=T0, n=3, sigma=sigma, sigma0=sigma0)
    y, s = _noisy(E, seed=5)
    f = fit_curve(T=T, error=y, stderr=s, law="regression_generations", d=d, T0=T0, n=3)
    _within(f, "sigma", sigma)
    _within(f, "sigma0", sigma0)
    n = np.arange(0, 8)
    E = ols_test_error(d=d, T=200, T0=T0, n=n, sigma=sigma, sigma0=sigma0)
    y, s = _noisy(E, seed=6)
    g = fit_curve(T=np.full(n.size, 200.0), error=y, stderr=s, law="regression_generations",
                  d=d, T0=T0, n=n)
    _within(g, "sigma", sigma)
    _within(g, "sigma0", sigma0)


def test_strong_collapse_recovery_plateau_and_clean_share():
    d, sigma, p2, c2 = 20, 1.0, 0.2, 4.0
    T = np.round(np.logspace(np.log10(30), 6, 16))
    E = isotropic_mixed_training_error(d=d, n=T, p2=p2, c2=c2, sigma=sigma)
    y, s = _noisy(E, seed=7, rel=0.01)
    f = fit_curve(T=T, error=y, stderr=s, law="strong_collapse", d=d, sigma=sigma)
    _within(f, "p2", p2)
    _within(f, "c2", c2)
    assert f.plateau.lower < p2**2 * c2 < f.plateau.upper
    target = float(isotropic_mixed_training_error(d=d, n=1000, p2=0.1, c2=c2, sigma=sigma))
    q = f.clean_share(target, 1000)
    assert q.lower < 0.9 < q.upper


def test_joint_fit_shares_beta_and_scale():
    beta = 1.8
    T = np.logspace(1, 7, 14)
    curves = []
    for i, k in enumerate((30, 1000)):
        y, s = _noisy(tz.tail_cut_error(beta=beta, T=T, k=k), seed=10 + i)
        curves.append({"T": T, "error": y, "stderr": s, "label": f"k{k}"})
    f = fit_curves(curves, "zipf_tail_cut", shared=("beta", "scale"))
    assert set(f.params) == {"beta", "scale", "k[k30]", "k[k1000]"}
    _within(f, "beta", beta)
    _within(f, "k[k30]", 30)
    _within(f, "k[k1000]", 1000)


def test_clean_share_and_extra_data_for_zipf():
    beta, k = 1.8, 100
    T = np.logspace(1, 7, 20)
    y, s = _noisy(tz.tail_cut_error(beta=beta, T=T, k=k), seed=8)
    f = fit_curve(T=T, error=y, stderr=s, law="zipf_tail_cut")
    target = float(tz.mixed_error(beta=beta, T=1e6, k=k, pi=0.05))
    q = f.clean_share(target, 1e6)
    assert q.lower < 0.05 < q.upper
    m = f.extra_real_data(target, 1e6)
    assert 0 < m.lower < m.value < m.upper < math.inf


@pytest.mark.slow
def test_recovery_from_the_simulator_twin():
    """Simulated curves (sim.zipf.tail_cut_error, N = 2^16: its plateau is within 0.2% of the
    infinite-vocabulary one); points where all seeds sit exactly on the plateau have zero spread,
    so the standard error is floored at 0.5% of the mean."""
    import jax

    import sim.zipf as sz
    beta, k, N = 2.0, 30, 2**16
    T = np.round(np.logspace(1, 6, 8))
    est = sz.tail_cut_error(jax.random.key(3), beta=beta, T=T, k=k, N=N, seeds=200)
    mean, se = np.asarray(est.mean), np.asarray(est.stderr)
    f = fit_curve(T=T, error=mean, stderr=np.maximum(se, 5e-3 * mean), law="zipf_tail_cut")
    _within(f, "beta", beta)
    _within(f, "k", k)


# ------------------------------------------------------------------------------ coverage
def _coverage(n_rep, seed0):
    T = np.logspace(1, 4, 10)
    E = 2.0 * T**-0.5
    hits = {"A": 0, "c": 0}
    for r in range(n_rep):
        y, s = _noisy(E, seed=seed0 + r, rel=0.05)
        f = fit_curve(T=T, error=y, stderr=s, law="power_law")
        for name, v in {"A": 2.0, "c": 0.5}.items():
            lo, hi = f.interval(name)
            hits[name] += lo < v < hi
    return hits


def test_coverage_small():
    n = 60
    lo, hi = stats.binom.ppf([0.0005, 0.9995], n, 0.95)
    for name, h in _coverage(n, 1000).items():
        assert lo <= h <= hi, (name, h, (lo, hi))


@pytest.mark.slow
def test_coverage_300_replicates():
    n = 300
    for name, h in _coverage(n, 5000).items():
        assert 0.90 <= h / n <= 0.98, (name, h / n)


# ------------------------------------------------------------------------ identifiability
def test_too_few_points():
    with pytest.raises(ValueError, match=r"^T must have at least 3 points for law "
                                         r"'power_law_floor'"):
        fit_curve(T=[10, 100], error=[0.1, 0.05], law="power_law_floor")


def test_all_on_the_plateau_warns_and_is_unbounded():
    T = np.logspace(11, 13, 8)  # A T^-c <= 0.4% of the floor, below the 1% noise
    y, s = _noisy(1.0 * T**-0.4 + 0.01, seed=9, rel=0.01)
    with pytest.warns(UserWarning, match=r"is not determined by the data"):
        f = fit_curve(T=T, error=y, stderr=s, law="power_law_floor")
    assert set(f.unbounded) & {"A", "c"}
    name = sorted(set(f.unbounded) & {"A", "c"})[0]
    lo, hi = f.interval(name)
    assert math.isinf(hi) or lo == 0.0
    assert f.plateau.lower < 0.01 < f.plateau.upper  # the floor itself is determined


def test_unidentified_generator_noise_when_n_is_zero():
    d = 10
    T = np.round(np.logspace(np.log10(15), 4, 10))
    y, s = _noisy(ols_test_error(d=d, T=T, T0=100, n=0, sigma=1.0, sigma0=0.5), seed=11)
    with pytest.warns(UserWarning, match=r"^sigma0 is not determined"):
        fit_curve(T=T, error=y, stderr=s, law="regression_generations", d=d, T0=100, n=0)


# -------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, pattern", [
    ({"T": [0, 10, 100], "error": [1, 0.5, 0.2]}, r"^T must be positive"),
    ({"T": [1, 10, 100], "error": [1, -0.5, 0.2]}, r"^error must be positive"),
    ({"T": [1, 10, np.nan], "error": [1, 0.5, 0.2]}, r"^T must be finite"),
    ({"T": [1, 10, 100], "error": [1, np.nan, 0.2]}, r"^error must be finite"),
    ({"T": [1, 10, 100], "error": [1, 0.5]}, r"^error must have the same length as T"),
    ({"T": [1, 10, 100], "error": [1, 0.5, 0.2], "stderr": [1, 1]},
     r"^stderr must have the same length as T"),
    ({"T": [1, 10, 100], "error": [1, 0.5, 0.2], "law": "cubic"}, r"^law must be one of"),
    ({"T": [1, 10, 100, 1e3], "error": [1, 0.5, 0.2, 0.1], "law": "zipf_tail_cut",
      "beta": 0.5}, r"^beta must be a real number > 1"),
    ({"T": [1, 10, 100, 1e3], "error": [1, 0.5, 0.2, 0.1], "law": "zipf_mixed", "pi": 1.5},
     r"^pi must be a real number in \(0"),
    ({"T": [20, 40, 100], "error": [1, 0.5, 0.2], "law": "strong_collapse", "sigma": 1},
     r"^d must be given"),
    ({"T": [1, 10, 100], "error": [1, 0.5, 0.2], "gamma": 1.0}, r"^gamma is not a parameter"),
    ({"T": [5, 40, 100], "error": [1, 0.5, 0.2], "law": "regression_generations", "d": 10,
      "n": 1, "T0": 50}, r"^T must be > d \+ 1"),
])
def test_bad_input(kwargs, pattern):
    kwargs = {"law": "power_law", **kwargs}
    with pytest.raises(ValueError, match=pattern):
        fit_curve(**kwargs)


def test_bad_question_arguments():
    T = np.logspace(1, 4, 8)
    y, s = _noisy(2.0 * T**-0.5, seed=12)
    f = fit_curve(T=T, error=y, stderr=s, law="power_law")
    with pytest.raises(ValueError, match=r"^law 'power_law' has no clean law"):
        f.scaling_stops(0.1)
    with pytest.raises(ValueError, match=r"^name must be a free parameter"):
        f.interval("beta")
    with pytest.raises(ValueError, match=r"^level must be"):
        f.interval("c", level=1.5)


# ----------------------------------------------------------------- comparison and unweighted
def test_compare_detects_a_plateau_and_its_absence():
    T = np.logspace(1, 6, 18)
    y, s = _noisy(1.0 * T**-0.4 + 0.005, seed=13)
    with_floor = compare([fit_curve(T=T, error=y, stderr=s, law=law)
                          for law in ("power_law", "power_law_floor")])
    (t,) = with_floor.tests
    assert with_floor.best == "power_law_floor" and t["p_value"] < 1e-6 and t["boundary"]
    y, s = _noisy(1.0 * T**-0.4, seed=14)
    without = compare([fit_curve(T=T, error=y, stderr=s, law=law)
                       for law in ("power_law", "power_law_floor")])
    assert without.tests[0]["p_value"] > 0.01
    assert "LRT power_law within power_law_floor" in str(without)


def test_unweighted_fit_estimates_the_residual_variance():
    T = np.logspace(1, 5, 20)
    rng = np.random.default_rng(15)
    y = 2.0 * T**-0.5 * np.exp(0.05 * rng.standard_normal(T.size))
    f = fit_curve(T=T, error=y, law="power_law")
    assert math.isnan(f.reduced_chi2)
    # sigma2 ~ 0.05^2 chi2_18/18: within its 99.9% band
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], 18) / 18 * 0.05**2
    assert lo < f.sigma2 < hi
    _within(f, "c", 0.5)
    assert "unweighted on log E" in str(f)


def test_predict_band_and_table():
    T = np.logspace(1, 5, 12)
    y, s = _noisy(2.0 * T**-0.5, seed=16)
    f = fit_curve(T=T, error=y, stderr=s, law="power_law")
    v, lo, hi = f.predict([1e6, 1e8])
    assert np.all(lo < v) and np.all(v < hi) and (hi / lo)[1] > (hi / lo)[0]
    assert "parameter" in str(f) and "laplace" in str(f)
    assert set(LAWS) >= {"power_law", "power_law_floor", "zipf_tail_cut", "zipf_mixed",
                         "zipf_generations", "regression_generations", "strong_collapse"}


def test_command_line(tmp_path, capsys):
    T = np.logspace(1, 5, 10)
    rows = ["T,error,stderr,group"]
    for g, A in (("a", 2.0), ("b", 3.0)):
        y, s = _noisy(A * T**-0.5, seed=17 + len(g))
        rows += [f"{t},{e},{se},{g}" for t, e, se in zip(T, y, s)]
    path = tmp_path / "curves.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "fit.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main([str(path), "--law", "power_law", "--shared", "c", "--plot", str(out)]) == 0
    text = capsys.readouterr().out
    assert "A[a]" in text and "A[b]" in text and out.exists()
    assert main([str(path), "--law", "power_law", "--fix", "c=0.5"]) == 0
    assert "fixed [a]: c=0.5" in capsys.readouterr().out
