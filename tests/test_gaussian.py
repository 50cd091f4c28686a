"""Gaussian refitting chains (SHU, KAZ, HXC, MAD, Bertrand et al.)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.gaussian as sg
import theory.gaussian as tg
from sim import RunOptions
from theory.policy import Policy

Z = 4.0
RAW = RunOptions(sampler="raw")


# --- worked values and symbolic derivations ------------------------------------------------------

def test_worked_values():
    assert tg.variance_after(n=100, M=100, estimator="mle") == pytest.approx(0.366, abs=5e-4)
    assert tg.std_after(n=100, M=100) == pytest.approx(0.777, abs=5e-4)
    assert tg.variance_after(n=37, M=5, sigma=2.0) == pytest.approx(4.0)
    assert tg.optimal_real_weight(k=1) == pytest.approx((np.sqrt(5) - 1) / 2, abs=1e-12)


def test_symbolic_moments():
    M = tg.M_
    assert sp.simplify(tg.derive_variance_factor("unbiased") - 1) == 0
    assert sp.simplify(tg.derive_variance_factor("mle") - (M - 1) / M) == 0
    c = sp.sqrt(2) / sp.sqrt(M - 1) * sp.gamma(M / 2) / sp.gamma((M - 1) / 2)
    assert sp.simplify(tg.derive_std_factor("unbiased") - c) == 0
    # E[sigma_n^2] under both estimators against a direct Monte Carlo-free check: product of means
    n = sp.Symbol("n", integer=True, nonnegative=True)
    assert sp.simplify(tg.derive_variance_after("mle").subs(tg.n_, n)
                       - tg.sigma_**2 * ((tg.M_ - 1) / tg.M_) ** n) == 0


def test_w2_first_order_and_exact_form():
    assert sp.simplify(tg.derive_w2_first_order() - sp.Rational(3, 2) * tg.n_ * tg.sigma_**2
                       / tg.M_) == 0
    # SHU's Gaussian theorem: sigma^2 (n/M + 2 (1 - c^n)) for the unbiased estimator
    n, M = np.array([1, 10, 50]), np.array([20, 100, 1000])
    c = tg.std_after(n=1, M=M)
    assert np.allclose(tg.w2_risk(n=n, M=M, sigma=1.5), 2.25 * (n / M + 2 * (1 - c**n)))
    # relative error of (3/2) n/M shrinks like 1/M at fixed n
    rel = [abs(tg.w2_risk(n=5, M=m) / (1.5 * 5 / m) - 1) for m in (1e2, 1e3, 1e4)]
    assert rel[2] < 2e-3 and rel[1] < rel[0] / 5 and rel[2] < rel[1] / 5


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_moments_keep_precision_at_large_M(estimator):
    """std_after and w2_risk against 60-digit mpmath evaluations of their definitions
    (c(M) = sqrt(2/(M-1)) Gamma(M/2)/Gamma((M-1)/2), E S = (M-1)/div, drift sum_{j<n} (E S)^j/M),
    from M = 10 to 1e14, where the risk is ~1e-13 and the log Gamma form cancels."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    n = 10
    for M in (10, 99, 100, 1e3, 1e6, 1e10, 1e14):
        m = mp.mpf(M)
        div = m - 1 if estimator == "unbiased" else m
        c = mp.exp(mp.log(2) / 2 + mp.loggamma(m / 2) - mp.loggamma((m - 1) / 2)) / mp.sqrt(div)
        es = (m - 1) / div
        drift = sum(es**j for j in range(n)) / m
        w2 = drift + es**n - 2 * c**n + 1
        assert tg.std_after(n=n, M=M, estimator=estimator) == pytest.approx(float(c**n), rel=1e-13)
        assert tg.w2_risk(n=n, M=M, estimator=estimator) == pytest.approx(float(w2), rel=1e-9)


def test_golden_ratio_and_bound():
    k = sp.Symbol("k", positive=True)
    w = tg.derive_optimal_real_weight().subs(tg.k_, k)
    assert sp.simplify(w**2 + k * w - k) == 0
    assert tg.derive_accumulate_bound() == sp.pi**2 / 6
    ws = np.linspace(0.05, 1, 2000)
    for kk in (0.5, 1.0, 4.0):
        v = tg.weighted_stationary_variance(w=ws, k=kk, n=10)
        assert ws[np.argmin(v)] == pytest.approx(tg.optimal_real_weight(k=kk), abs=1e-3)


def test_logdet_drift_series():
    d, M = 4, 1e4
    assert tg.logdet_drift(d=d, M=M) == pytest.approx(-d * (d + 1) / (2 * M), rel=1e-3)
    assert tg.logdet_drift(d=1, M=100, n=7) == pytest.approx(7 * tg.logdet_drift(d=1, M=100))


def test_accumulate_recursion_consistency():
    """mix(real=0) equals replace; accumulate's mean error stays below (pi^2/6) sigma^2/M."""
    n = np.arange(0, 15)
    for est in tg.ESTIMATORS:
        np.testing.assert_allclose(
            tg.variance_after(n=n, M=7, estimator=est, policy=Policy.mix(0.0)),
            tg.variance_after(n=n, M=7, estimator=est), rtol=1e-12)
        np.testing.assert_allclose(tg.mean_drift(n=n, M=7, estimator=est, policy=Policy.mix(0.0)),
                                   tg.mean_drift(n=n, M=7, estimator=est), rtol=1e-12)
    acc = tg.mean_drift(n=200, M=10, policy="accumulate")
    assert acc < np.pi**2 / 6 / 10 and tg.mean_drift(n=200, M=10) == pytest.approx(20.0)


# --- bad input ----------------------------------------------------------------------------------

@given(st.sampled_from([1, 0, -3, 2.5, float("nan")]))
@settings(max_examples=10, deadline=None)
def test_bad_M(M):
    with pytest.raises(ValueError, match=r"^M must be an integer >= 2"):
        tg.variance_after(n=2, M=M)
    with pytest.raises(ValueError, match=r"^M must be an integer >= 2"):
        sg.variance_after(jax.random.key(0), n=2, M=M, seeds=10)


@given(st.one_of(st.floats(max_value=0.0), st.just(float("inf"))))
@settings(max_examples=15, deadline=None)
def test_bad_k(k):
    with pytest.raises(ValueError, match=r"^k must be a real number > 0"):
        tg.optimal_real_weight(k=k)
    with pytest.raises(ValueError, match=r"^k must be a real number > 0"):
        tg.weighted_stationary_variance(w=0.5, k=k, n=3)


def test_bad_names():
    with pytest.raises(ValueError, match="estimator must be one of 'unbiased', 'mle'"):
        tg.variance_after(n=2, M=5, estimator="biased")
    for name in ("std_after", "w2_risk", "log_variance"):
        with pytest.raises(ValueError, match=rf"^policy must be one of 'replace' for "
                                             rf"theory.gaussian.{name}"):
            getattr(tg, name)(n=2, M=5, policy="accumulate")
    with pytest.raises(ValueError, match=r"^policy must be one of 'replace', 'accumulate'"):
        sg.std_after(jax.random.key(0), n=2, M=5, policy="weighted", seeds=10)
    with pytest.raises(ValueError, match=r"^M must be an integer >= d \+ 1"):
        tg.logdet_drift(d=5, M=5)
    with pytest.raises(ValueError, match=r"^w must be a real number in \(0, 1\]"):
        tg.weighted_stationary_variance(w=0.0, k=1, n=3)
    with pytest.raises(ValueError, match=r"^sampler must be one of 'sufficient' for "
                                         r"weighted_stationary_variance"):
        sg.weighted_stationary_variance(jax.random.key(0), w=0.5, k=1, n=3, seeds=10,
                                        options=RAW)


def test_log_variance_is_logdet_drift_in_one_dimension():
    n, M = np.arange(0, 5), np.array([[3], [10], [200]])
    np.testing.assert_allclose(tg.log_variance(n=n, M=M), tg.logdet_drift(d=1, M=M, n=n),
                               rtol=1e-13, atol=1e-15)
    # the MLE's log-variance is shifted by n log((M - 1)/M)
    np.testing.assert_allclose(tg.log_variance(n=n, M=M, estimator="mle"),
                               tg.log_variance(n=n, M=M) + n * np.log((M - 1) / M), rtol=1e-13,
                               atol=1e-15)


# --- theory against simulation -------------------------------------------------------------------

N = [2, 6]  # moderate n: the mean of sigma_n^2 is not yet carried by rare paths


SLOW = pytest.mark.slow


@pytest.mark.parametrize("policy,estimator", [
    ("replace", "unbiased"), (Policy.mix(0.5), "mle"),
    pytest.param("replace", "mle", marks=SLOW), pytest.param("accumulate", "unbiased", marks=SLOW),
    pytest.param("accumulate", "mle", marks=SLOW),
    pytest.param(Policy.mix(0.5), "unbiased", marks=SLOW)])
def test_chain_matches_theory(key, estimator, policy):
    kw = dict(n=N, M=8, sigma=1.5, estimator=estimator, policy=policy)
    for name in ("variance_after", "mean_drift"):
        est = getattr(sg, name)(key, **kw, seeds=6000)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)


def test_std_w2_logvar(key):
    kw = dict(n=N, M=8, sigma=1.5)
    for name in ("std_after", "w2_risk"):
        est = getattr(sg, name)(key, **kw, seeds=6000)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)
    est = sg.log_variance(key, **kw, seeds=6000)
    assert np.all(np.abs(est.z(tg.log_variance(**kw))) < Z)


def test_raw_sampler_agrees(key):
    kw = dict(n=N, M=8, sigma=1.5, policy="accumulate")
    a = sg.log_variance(key, **kw, seeds=3000)
    b = sg.log_variance(jax.random.fold_in(key, 7), **kw, seeds=3000, options=RAW)
    assert np.all(np.abs(a.mean - b.mean) < Z * np.hypot(a.stderr, b.stderr))


@pytest.mark.slow
def test_logdet_and_weighted(key):
    est = sg.logdet_drift(key, d=3, M=10, n=[1, 4], seeds=3000)
    assert np.all(np.abs(est.z(tg.logdet_drift(d=3, M=10, n=[1, 4]))) < Z)
    raw = sg.logdet_drift(key, d=3, M=10, n=[1, 4], seeds=3000, options=RAW)
    assert np.all(np.abs(raw.z(tg.logdet_drift(d=3, M=10, n=[1, 4]))) < Z)
    kw = dict(w=[0.4, 0.8], k=2.0, n=5, sigma=1.0)
    est = sg.weighted_stationary_variance(key, **kw, seeds=6000)
    assert np.all(np.abs(est.z(tg.weighted_stationary_variance(**kw))) < Z)


def test_subsample_mean_drift_exact(key):
    """accumulate-subsample (KAZ): the exact theory against simulation at M = 20, z < 4; and the
    theory lies strictly between accumulate's and replace's for n >= 2."""
    n = np.array([2, 10])
    kw = dict(n=n, M=20, policy="accumulate-subsample")
    est = sg.mean_drift(key, **kw, seeds=10000)
    assert np.all(np.abs(est.z(tg.mean_drift(**kw))) < Z), est
    lo, hi = tg.mean_drift(n=n, M=20, policy="accumulate"), tg.mean_drift(n=n, M=20)
    assert np.all((lo < tg.mean_drift(**kw)) & (tg.mean_drift(**kw) < hi))
    assert tg.mean_drift(n=1, M=20, policy="accumulate-subsample") == pytest.approx(1 / 20)


@pytest.mark.parametrize("k_max", [4, 6])
def test_uniform_subset_is_uniform_without_replacement(k_max):
    """Floyd's subsets of k = 4 from range(7) (table of size 9, k_max slots): distinct, in range,
    the slots past k zero, and each of the 35 subsets equally likely (chi-square over 35 cells,
    70,000 draws, p > 1e-3). n and k are traced, as in the raw pools."""
    from itertools import combinations

    from scipy import stats

    from sim.sampling import uniform_subset

    draw = jax.jit(jax.vmap(lambda k, n, m: uniform_subset(k, n, m, size=9, k_max=k_max)))
    keys = jax.random.split(jax.random.key(5), 70_000)
    full = np.asarray(draw(keys, jnp.full(70_000, 7), jnp.full(70_000, 4)))
    assert np.all(full[:, 4:] == 0)
    idx = np.sort(full[:, :4], axis=1)
    assert idx.min() >= 0 and idx.max() < 7 and np.all(np.diff(idx, axis=1) > 0)
    cells = {c: i for i, c in enumerate(combinations(range(7), 4))}
    counts = np.bincount([cells[tuple(r)] for r in idx], minlength=len(cells))
    assert stats.chisquare(counts).pvalue > 1e-3


def test_uniform_subset_bad_input():
    from sim.sampling import uniform_subset
    key = jax.random.key(0)
    with pytest.raises(ValueError, match=r"^size must be a non-negative integer"):
        uniform_subset(key, 3, 2, size=2.5, k_max=2)
    with pytest.raises(ValueError, match=r"^k_max must be a non-negative integer"):
        uniform_subset(key, 3, 2, size=4, k_max=-1)
    with pytest.raises(ValueError, match=r"^k and n must satisfy 0 <= k <= min\(n, k_max\)"):
        uniform_subset(key, 3, 4, size=8, k_max=4)  # more draws than candidates
    with pytest.raises(ValueError, match=r"^k and n must satisfy"):
        uniform_subset(key, 9, 2, size=8, k_max=2)  # more candidates than the table holds
    assert sorted(np.asarray(uniform_subset(key, 3, 3, size=3, k_max=3)).tolist()) == [0, 1, 2]


# --- accumulate-subsample, exact at finite M ---------------------------------------------------

def _gauss_mean(expr, zs):
    """E of a polynomial in independent N(0, 1) variables zs (exact)."""
    total = 0
    for powers, c in sp.Poly(sp.expand(expr), *zs).terms():
        total += c * sp.prod([0 if k % 2 else sp.factorial2(k - 1) for k in powers])
    return sp.expand(total)


def _enumerated_subsample(M, n, div):
    """E mu_n^2 and E sigma_n^2 (sigma = 1) of the raw pool loop, every sequence of subsets
    enumerated, the Gaussian expectations taken exactly layer by layer (sigma_i a symbol whose
    even powers are replaced by the fitted variance once its batch's noise is integrated)."""
    from itertools import combinations
    x0 = sp.symbols(f"x0:{M}")
    leaves = []

    def walk(points, i, layers):
        for subset in combinations(range(len(points)), M):
            xs = [points[j] for j in subset]
            mu = sum(xs) / M
            s2 = sp.expand(sum((x - mu) ** 2 for x in xs) / (M - div))
            if i + 1 == n:
                leaves.append((mu, s2, layers))
            else:
                s, zs = sp.Symbol(f"s{i}"), sp.symbols(f"z{i}_0:{M}")
                walk(points + [mu + s * z for z in zs], i + 1, [*layers, (zs, s, s2)])

    walk(list(x0), 0, [])
    out = np.zeros(2, dtype=object)
    for mu, s2, layers in leaves:
        vals = [sp.expand(mu**2), s2]
        for zs, s, fitted in reversed(layers):
            vals = [sp.expand(_gauss_mean(v, zs).subs(s**2, fitted)) for v in vals]
        out += [_gauss_mean(v, x0) for v in vals]
    return out / len(leaves)


@pytest.mark.parametrize("M,n", [(2, 2), (3, 2), pytest.param(2, 3, marks=SLOW)])
def test_subsample_exact_by_enumeration(M, n):
    """The recursion equals exact rational values (e.g. M = 2, n = 2: E mu^2 = 5/6 unbiased,
    17/24 MLE) from enumerating the subsets, to rounding."""
    for est, div in (("unbiased", 1), ("mle", 0)):
        drift, var = _enumerated_subsample(M, n, div)
        kw = dict(n=n, M=M, estimator=est, policy="accumulate-subsample")
        assert tg.mean_drift(**kw) == pytest.approx(float(drift), rel=1e-13)
        assert tg.variance_after(**kw) == pytest.approx(float(var), rel=1e-13)
    assert _enumerated_subsample(2, 2, 1)[0] == sp.Rational(5, 6)


@pytest.mark.parametrize("Ms", [(3, 10), pytest.param((5, 32), marks=SLOW)])
@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_subsample_matches_raw_pool_loop(key, Ms, estimator):
    """Exact accumulate-subsample theory against the raw pool loop (Floyd subsets), M in Ms,
    n = 1, 2, 5, 20, both moments, z < 4."""
    kw = dict(n=[[1], [2], [5], [20]], M=list(Ms), estimator=estimator,
              policy="accumulate-subsample", sigma=1.5)
    for name in ("mean_drift", "variance_after"):
        est = getattr(sg, name)(key, **kw, seeds=4000)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)


def test_leading_order_is_the_large_M_limit():
    """derive_subsample_weights (leading order in 1/M) is the M -> infinity limit of the exact
    M E (mu_n - mu)^2 / sigma^2, with an O(1/M) gap."""
    from theory.policy import derive_subsample_weights
    n = np.array([2, 5, 20])
    gaps = [np.max(np.abs(M * tg.mean_drift(n=n, M=M, policy="accumulate-subsample")
                          - derive_subsample_weights(20)[n])) for M in (100, 1000, 10000)]
    assert gaps[2] < 2e-3 and gaps[1] < gaps[0] / 5 and gaps[2] < gaps[1] / 5


@pytest.mark.parametrize("policy", ["replace", "accumulate", "accumulate-subsample",
                                    Policy.mix(0.3), Policy.fixed_real(1.5)])
def test_mle_conserves_second_moment(policy):
    """Under the MLE and unbiased sampling, E (mu_n - mu)^2 + E sigma_n^2 = sigma^2 for every
    policy: the MLE's mu^2 + sigma^2 is the mean of the training points' x^2, each of mean sigma^2
    (an independent check of every recursion)."""
    kw = dict(n=np.arange(0, 25), M=6, sigma=1.3, estimator="mle", policy=policy)
    np.testing.assert_allclose(tg.mean_drift(**kw) + tg.variance_after(**kw), 1.69, rtol=1e-12)


def test_sampling_bias_closed_forms():
    """Under replace the recursion (mix(real=0)) with sampling bias equals the closed forms:
    E sigma_n^2 = sigma^2 E S (lam E S)^(n-1), E (mu_n - mu)^2 = sum_j w_j E sigma_j^2/M."""
    n, lam, M = np.arange(0, 12), 0.7, 9
    for est, es in (("unbiased", 1.0), ("mle", (M - 1) / M)):
        var = np.where(n > 0, es * (lam * es) ** np.maximum(n - 1, 0), 1.0)
        np.testing.assert_allclose(tg.variance_after(n=n, M=M, estimator=est, sampling_bias=lam),
                                   var, rtol=1e-12)
        np.testing.assert_allclose(tg.variance_after(n=n, M=M, estimator=est, sampling_bias=lam,
                                                     policy=Policy.mix(0.0)), var, rtol=1e-12)
        w = np.where(n > 0, lam, 1.0) * var
        np.testing.assert_allclose(tg.mean_drift(n=n, M=M, estimator=est, sampling_bias=lam),
                                   np.concatenate([[0], np.cumsum(w)[:-1]]) / M, rtol=1e-12)
    np.testing.assert_allclose(tg.log_variance(n=n, M=M, sampling_bias=lam),
                               tg.log_variance(n=n, M=M) + np.maximum(n - 1, 0) * np.log(lam))


@pytest.mark.parametrize("policy", ["replace", Policy.fixed_real(1.5),
                                    pytest.param(Policy.mix(0.5), marks=SLOW),
                                    pytest.param("accumulate", marks=SLOW)])
def test_sampling_bias_matches_simulation(key, policy):
    """Sampling bias 0.6 against simulation, n = 1, 2, 6, M = 6, MLE, z < 4; under replace also
    E sigma_n, the W2 risk and E log sigma_n^2 (unbiased estimator)."""
    kw = dict(n=[1, 2, 6], M=6, sigma=1.3, sampling_bias=0.6, estimator="mle", policy=policy)
    for name in ("mean_drift", "variance_after"):
        est = getattr(sg, name)(key, **kw, seeds=4000)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (policy, name, est)
    if policy == "replace":
        kw = dict(n=[1, 2, 6], M=6, sampling_bias=0.6)
        for name in ("std_after", "w2_risk", "log_variance"):
            est = getattr(sg, name)(key, **kw, seeds=4000)
            assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)


def test_fixed_real_raw_sampler_agrees(key):
    kw = dict(n=[1, 2, 6], M=6, policy=Policy.fixed_real(1.5), sampling_bias=0.7)
    for name in ("mean_drift", "variance_after"):
        est = getattr(sg, name)(key, **kw, seeds=4000, options=RAW)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)


# --- dimension d -------------------------------------------------------------------------------

def test_dimension_d_is_d_times_one_dimension():
    kw = dict(n=np.arange(0, 8), M=7, sigma=1.2, sampling_bias=0.8, estimator="mle")
    for policy in ("replace", "accumulate", "accumulate-subsample", Policy.mix(0.3),
                   Policy.fixed_real(1.0)):
        np.testing.assert_allclose(tg.mean_sq_error(d=4, **kw, policy=policy),
                                   4 * tg.mean_drift(**kw, policy=policy), rtol=1e-13)
        np.testing.assert_allclose(tg.covariance_ratio(d=4, **kw, policy=policy),
                                   tg.variance_after(**kw, policy=policy) / 1.44, rtol=1e-13)


@pytest.mark.parametrize("policy", ["replace", "accumulate-subsample",
                                    pytest.param("accumulate", marks=SLOW),
                                    pytest.param(Policy.mix(0.4), marks=SLOW),
                                    pytest.param(Policy.fixed_real(1.0), marks=SLOW)])
def test_dimension_d_raw_loop(key, policy):
    """The d = 3 loop on raw points (np.cov-style fits, Cholesky sampling) against d times the
    1-D recursion, n = 1, 2, 5, M = 5, sampling bias 0.8, z < 4."""
    kw = dict(d=3, n=[1, 2, 5], M=5, sigma=1.2, sampling_bias=0.8, policy=policy)
    names = ("mean_sq_error", "covariance_ratio") + (("covariance_sq_error",)
                                                      if policy == "replace" else ())
    for name in names:
        est = getattr(sg, name)(key, **kw, seeds=3000, options=RAW)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)


@pytest.mark.parametrize("policy", ["replace", pytest.param(Policy.fixed_real(1.0), marks=SLOW),
                                    pytest.param("accumulate", marks=SLOW)])
def test_dimension_d_sufficient_sampler(key, policy):
    """The d = 3 chain through its sufficient statistics (normal mean, Bartlett scatter) against
    the theory, n = 1, 2, 5, M = 5, MLE, z < 4 (the raw loop: test_dimension_d_raw_loop)."""
    kw = dict(d=3, n=[1, 2, 5], M=5, sigma=1.2, sampling_bias=0.8, policy=policy,
              estimator="mle")
    names = ("mean_sq_error", "covariance_ratio") + (("covariance_sq_error",)
                                                      if policy == "replace" else ())
    for name in names:
        est = getattr(sg, name)(key, **kw, seeds=3000)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)


def test_covariance_moment_map_by_isserlis():
    """derive_covariance_moment_map at d = 2, M = 3 against the Gaussian moments of two explicit
    vectors g_1, g_2 (W = g_1 g_1' + g_2 g_2', A a symbolic symmetric matrix); and at d = 1 the
    Frobenius error is E (sigma_n^2 - 1)^2 = ((m + 2)/m)^n - 1 (unbiased, m = M - 1: chi-square
    moments); in dimension 4 it exceeds the 1-D value (the (tr Sigma)^2 cross term)."""
    a, b, c = sp.symbols("a b c")
    A = sp.Matrix([[a, b], [b, c]])
    g = [sp.Matrix(sp.symbols(f"g{k}_0:2")) for k in range(2)]
    W = g[0] * g[0].T + g[1] * g[1].T
    zs = [*g[0], *g[1]]
    p2 = _gauss_mean((W * A * W * A).trace(), zs)
    q2 = _gauss_mean((W * A).trace() ** 2, zs)
    T = tg.derive_covariance_moment_map("mle").subs({tg.M_: 3, sp.Symbol("c", positive=True): 1})
    P, Q = (A * A).trace(), A.trace() ** 2
    assert sp.expand(p2 - (T[0, 0] * P + T[0, 1] * Q) * 9) == 0
    assert sp.expand(q2 - (T[1, 0] * P + T[1, 1] * Q) * 9) == 0
    n, M = np.arange(0, 6), 5
    np.testing.assert_allclose(tg.covariance_sq_error(d=1, n=n, M=M, sigma=1.7),
                               ((M + 1) / (M - 1)) ** n - 1, rtol=1e-12)
    assert np.all(tg.covariance_sq_error(d=4, n=n[1:], M=M)
                  > tg.covariance_sq_error(d=1, n=n[1:], M=M))


# --- loops with real data: fresh (MAD) and a fixed real set (Bertrand et al.) -----------------

@pytest.mark.parametrize("loop", tg.LOOPS)
@pytest.mark.parametrize("estimator", tg.ESTIMATORS)
def test_stationary_point_is_the_fixed_point(loop, estimator):
    """The derived stationary moments solve x = A x + c, and the chain's finite-n recursion
    (fixed-real for augmentation, mix for fresh at equal shares) converges to them."""
    A, c = tg.derive_loop_map(loop, estimator)
    V, D = tg.derive_stationary_moments(loop, estimator)
    x = sp.Matrix([V, D - (1 / tg.nr_ if loop == "augmentation" else 0)])
    assert sp.simplify(A * x + c - x) == sp.zeros(2, 1)
    lam = 0.7
    if loop == "augmentation":
        chain = dict(n=4000, M=8, policy=Policy.fixed_real(2.0), sampling_bias=lam)
        stat = dict(n_real=8, n_synthetic=16, sampling_bias=lam, loop=loop)
    else:
        chain = dict(n=4000, M=8, policy=Policy.mix(0.5), sampling_bias=lam)
        stat = dict(n_real=4, n_synthetic=4, sampling_bias=lam, loop=loop)
    assert tg.variance_after(**chain, estimator=estimator) == pytest.approx(
        tg.stationary_variance(**stat, estimator=estimator), rel=1e-10)
    assert tg.mean_drift(**chain, estimator=estimator) == pytest.approx(
        tg.stationary_mean_error(**stat, estimator=estimator), rel=1e-10)


def test_stationary_limits():
    n_s = np.array([0, 1, 10, 100, 10_000])
    # no synthetic data: the real data alone
    assert tg.stationary_mean_error(n_real=10, n_synthetic=0) == pytest.approx(0.1)
    assert tg.stationary_variance(n_real=10, n_synthetic=0, estimator="mle") == pytest.approx(0.9)
    # fresh, unbiased sampling: the mean error falls from sigma^2/n_r towards sigma^2/(2 n_r - 1)
    # as n_s -> infinity (D -> V/(2 n_r) with the unbiased V -> 2 n_r/(2 n_r - 1), by hand)
    err = tg.stationary_mean_error(n_real=10, n_synthetic=n_s, sigma=2.0)
    assert np.all(np.diff(err) < 0) and err[-1] == pytest.approx(4 / 19, rel=1e-3)
    assert tg.stationary_variance(n_real=10, n_synthetic=1e7) == pytest.approx(20 / 19, rel=1e-5)
    # with sampling bias the variance collapses as the synthetic share grows
    v = tg.stationary_variance(n_real=10, n_synthetic=n_s, sampling_bias=0.5)
    # (V (1 - lambda) -> n_r/n_s as n_s -> infinity, by hand from the fixed point)
    assert np.all(np.diff(v) < 0) and v[-1] == pytest.approx(10 / (0.5 * 10_000), rel=1e-2)
    ess = tg.effective_sample_size(n_real=10, n_synthetic=n_s, sampling_bias=0.5, error="mean")
    assert ess[0] == pytest.approx(10) and np.all(np.diff(ess) > 0)
    # the moment map contracts for every ratio, ever more slowly
    for loop in tg.LOOPS:
        rho = tg.moment_contraction(n_real=10, n_synthetic=n_s, loop=loop, estimator="mle")
        assert rho[0] == 0 and np.all(np.diff(rho) > 0) and rho[-1] < 1


@pytest.mark.parametrize("loop,estimator", [("fresh", "mle"), ("augmentation", "unbiased"),
                                            pytest.param("fresh", "unbiased", marks=SLOW),
                                            pytest.param("augmentation", "mle", marks=SLOW)])
def test_stationary_matches_simulation(key, loop, estimator):
    """The loops' stationary moments (mean error, variance, fit error: second and fourth
    moments) against the simulated loop (sufficient statistics), sampling bias 0.7,
    n_real in {3, 8}, n_synthetic in {0, 4, 20}, z < 4. The three twins share one program."""
    kw = dict(n_real=[3, 8], n_synthetic=[[0], [4], [20]], sampling_bias=0.7, loop=loop,
              estimator=estimator)
    for name in ("stationary_mean_error", "stationary_variance", "stationary_fit_error"):
        est = getattr(sg, name)(key, **kw, seeds=1500)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (loop, name, est)


@pytest.mark.parametrize("estimator", tg.ESTIMATORS)
def test_fourth_moment_system(estimator):
    """The fourth-order system contains the second-order fresh loop map (same rows on E e^2,
    E v); the MLE's stationary E e^2 + E v is sigma^2 at sampling_bias = 1 (the training points'
    mean square, each of mean sigma^2); without synthetic data the fit error is one real fit's;
    the effective sample size inverts the real-only fit error."""
    order, A4, _ = tg.derive_loop_moment_system("fresh", estimator)
    A2, _ = tg.derive_loop_map("fresh", estimator)
    i_e, i_v = order.index((2, 0, 0, 0)), order.index((0, 1, 0, 0))
    for r2, r4 in ((1, i_e), (0, i_v)):
        for c2, c4 in ((1, i_e), (0, i_v)):
            assert sp.simplify(A2[r2, c2] - A4[r4, c4]) == 0
        assert all(A4[r4, j] == 0 for j in range(len(order)) if j not in (i_e, i_v))
    kw = dict(n_real=[3, 10], n_synthetic=[[0], [1], [7], [50]], estimator=estimator)
    if estimator == "mle":
        np.testing.assert_allclose(tg.stationary_mean_error(**kw, sigma=1.3)
                                   + tg.stationary_variance(**kw, sigma=1.3), 1.69, rtol=1e-12)
    n = np.array([3.0, 10.0])
    alone = 1 / n + (1 / (2 * (n - 1)) if estimator == "unbiased" else (2 * n - 1) / (4 * n**2))
    np.testing.assert_allclose(tg.stationary_fit_error(n_real=n, n_synthetic=0, sigma=2.0,
                                                       estimator=estimator), 4 * alone, rtol=1e-13)
    for loop in tg.LOOPS:
        ess = tg.effective_sample_size(n_real=n, n_synthetic=0, estimator=estimator, loop=loop)
        np.testing.assert_allclose(ess, n, rtol=1e-12)
    f = tg.stationary_fit_error(n_real=4, n_synthetic=[1, 9, 30], sampling_bias=0.8,
                                estimator=estimator)
    n_eff = tg.effective_sample_size(n_real=4, n_synthetic=[1, 9, 30], sampling_bias=0.8,
                                     estimator=estimator)
    real_only = 1 / n_eff + (1 / (2 * (n_eff - 1)) if estimator == "unbiased"
                             else (2 * n_eff - 1) / (4 * n_eff**2))
    np.testing.assert_allclose(real_only, f, rtol=1e-12)


def test_fresh_loop_phase_diagram():
    """MAD's fresh data loop in the Gaussian: for the mean alone synthetic data always help
    (effective size above n_real); for the fit error they help at sampling_bias = 1 for every
    share, and hurt once the share is large under sampling bias (the fitted variance collapses:
    the error tends to sigma^2/4 for a vanishing variance); the augmentation loop (a fixed real
    set) never gains from them here."""
    ratio = np.array([0.1, 0.5, 2.0, 8.0, 32.0])
    ns = 10 * ratio
    for lam in (1.0, 0.8, 0.5):
        mean = tg.effective_sample_size(n_real=10, n_synthetic=ns, sampling_bias=lam,
                                        error="mean")
        assert np.all(mean > 10)
    fit = tg.effective_sample_size(n_real=10, n_synthetic=ns, sampling_bias=1.0)
    assert np.all(fit > 10) and np.all(np.diff(fit) > 0)
    biased = tg.effective_sample_size(n_real=10, n_synthetic=ns, sampling_bias=0.7)
    assert biased[0] > 10 and biased[-1] < 10
    assert tg.stationary_fit_error(n_real=10, n_synthetic=1e5, sampling_bias=0.5) == \
        pytest.approx(0.25, rel=2e-2)
    aug = tg.effective_sample_size(n_real=10, n_synthetic=ns, loop="augmentation")
    assert np.all(aug < 10)


def test_fixed_real_contraction_is_bertrands_rate():
    """Augmentation loop (Bertrand et al.), MLE, no sampling bias: n_s/N is an eigenvalue of the
    exact moment map (det(A - n_s/N I) = 0, by sympy) and the spectral radius, i.e. their rate
    lambda/(1 + lambda) with lambda = n_s/n_r; every ratio up to 1000 contracts, the fourth-order
    map included, for both estimators."""
    A, _ = tg.derive_loop_map("augmentation", "mle")
    A = A.subs(tg.lam_, 1)
    rate = tg.ns_ / (tg.nr_ + tg.ns_)
    assert sp.simplify((A - rate * sp.eye(2)).det()) == 0
    ratio = np.array([0.1, 1.0, 4.0, 30.0, 1000.0])
    rho = tg.moment_contraction(n_real=10, n_synthetic=10 * ratio, loop="augmentation",
                                estimator="mle")
    np.testing.assert_allclose(rho, ratio / (1 + ratio), rtol=1e-12)
    for est in tg.ESTIMATORS:
        for lam in (1.0, 0.5):
            kw = dict(n_real=3, n_synthetic=np.round(3 * ratio), loop="augmentation", estimator=est,
                      sampling_bias=lam)
            assert np.all(tg.moment_contraction(**kw) < 1)
            assert np.all(tg.fourth_moment_contraction(**kw) < 1)


@SLOW
def test_stationary_raw_sampler(key):
    kw = dict(n_real=4, n_synthetic=[0, 6], sampling_bias=0.8, loop="fresh")
    for name in ("stationary_mean_error", "stationary_variance"):
        est = getattr(sg, name)(key, **kw, seeds=4000, options=RAW)
        assert np.all(np.abs(est.z(getattr(tg, name)(**kw))) < Z), (name, est)


def test_new_bad_input():
    with pytest.raises(ValueError, match=r"^sampling_bias must be a real number in \(0, 1\]"):
        tg.variance_after(n=2, M=5, sampling_bias=0.0)
    with pytest.raises(ValueError, match=r"^sampling_bias must be a real number in \(0, 1\]"):
        sg.mean_drift(jax.random.key(0), n=2, M=5, sampling_bias=1.5, seeds=4)
    with pytest.raises(ValueError, match=r"^M must be an integer >= d \+ 1"):
        tg.mean_sq_error(d=4, n=2, M=4)
    with pytest.raises(ValueError, match=r"^n_real must be an integer >= 2"):
        tg.stationary_mean_error(n_real=1, n_synthetic=3)
    with pytest.raises(ValueError, match=r"^n_synthetic must be an integer >= 0"):
        tg.stationary_variance(n_real=4, n_synthetic=-1)
    with pytest.raises(ValueError, match=r"^error must be one of 'fit', 'mean'"):
        tg.effective_sample_size(n_real=4, n_synthetic=1, error="w2")
    with pytest.raises(ValueError, match=r"^d must be an integer >= 1"):
        tg.covariance_sq_error(d=0, n=1, M=4)
    with pytest.raises(ValueError, match=r"^policy must be one of 'replace' for "
                                         r"theory.gaussian.covariance_sq_error"):
        tg.covariance_sq_error(d=2, n=1, M=4, policy="accumulate")
    with pytest.raises(ValueError, match=r"^sampling_bias must be a real number in \(0, 1\]"):
        tg.stationary_fit_error(n_real=4, n_synthetic=1, sampling_bias=-0.1)
    with pytest.raises(ValueError, match=r"^loop must be one of 'fresh', 'augmentation'"):
        tg.stationary_variance(n_real=4, n_synthetic=1, loop="fully-synthetic")
    with pytest.raises(ValueError, match=r"^ratio must be a real number >= 0"):
        Policy.fixed_real(-1.0)
    with pytest.raises(ValueError, match=r"^M must be an integer >= d \+ 1"):
        sg.covariance_ratio(jax.random.key(0), d=3, n=1, M=3, seeds=4)
    with pytest.raises(ValueError, match=r"^policy 'fixed-real\(ratio=-0.5\)' is malformed: "
                                         r"ratio must be a real number >= 0"):
        tg.mean_drift(n=3, M=5, policy="fixed-real(ratio=-0.5)")
    assert str(Policy.fixed_real(2)) == "fixed-real(ratio=2)"
    assert tg.mean_drift(n=3, M=5, policy="fixed-real(ratio=2)") == \
        tg.mean_drift(n=3, M=5, policy=Policy.fixed_real(2.0))


# --- the figure ----------------------------------------------------------------------------------

def test_figure_registered():
    import paper_figures.gaussian_loops  # noqa: F401  (registers the figure)
    from paper_figures._registry import FIGURES
    assert "gaussian_loops" in FIGURES


@SLOW
def test_figure_renders_at_smoke_scale(tmp_path):
    from paper_figures.__main__ import render
    render(["gaussian_loops"], scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert (tmp_path / "gaussian_loops.png").exists()
