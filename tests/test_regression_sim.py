"""Regression chain simulation: theory against Monte Carlo, samplers, invariances.

Statistical checks use the fixed ``key`` fixture and |mean - theory| <= Z * stderr, Z = 4.
Most checks share one compiled chain (d = 10, 3 generators), whose parameters are traced.
"""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from sim import regression as S
from sim import sample_seeds
from sim._design import bartlett_factor
from sim.regression._chain import _chain_seed, _design_rows, _fit, ols_steps
from theory import regression as R

Z = 4.0
D, N_MAX = 10, 3


@pytest.mark.parametrize("kw", [
    dict(T=40, T0=30, n=3, sigma=1.0, sigma0=1.0),
    dict(T=D + 3, T0=40, n=1, sigma=1.0, sigma0=2.0),     # T = d + 3
    dict(T=40, T0=D + 3, n=2, sigma=0.5, sigma0=1.0),     # T0 = d + 3
    dict(T=D + 4, T0=D + 4, n=3, sigma=1.0, sigma0=1.0),
    dict(T=200, T0=15, n=3, sigma=0.0, sigma0=1.0),       # noiseless downstream
    dict(T=25, T0=[12, 30, 100], n=3, sigma=1.0, sigma0=[0.5, 1.0, 3.0]),  # per generation
    dict(T=30, T0=30, n=0, sigma=1.0, sigma0=1.0),        # clean
])
def test_ols_chain_matches_exact_theory(key, kw):
    """The OLS chain theory is exact: z-test at Z = 4. (At T or T0 = d + 3 the risk's variance is
    (logarithmically) infinite, so the standard error is only indicative there.)"""
    est = S.ols_test_error(key, d=D, seeds=6000, **kw) if kw["n"] else S.ols_test_error(
        key, d=D, seeds=6000, **{**kw, "n": 0})
    theory = R.ols_test_error(d=D, **kw)
    assert abs(est.z(theory)) <= Z, (est, theory)


def test_ols_curve_over_n_is_one_call(key):
    n = np.arange(N_MAX + 1)
    est = S.ols_test_error(key, d=D, T=40, T0=30, n=n, sigma=1.0, sigma0=1.0, seeds=3000)
    theory = R.ols_test_error(d=D, T=40, T0=30, n=n, sigma=1.0, sigma0=1.0)
    assert est.mean.shape == (4,) and np.all(np.abs(est.z(theory)) <= Z)


def test_sweep_over_n_is_one_nested_chain_per_point(key, monkeypatch):
    """An n x T grid runs one program with one run per T (the chain exits after each n), and
    each number equals the call at that n alone (same key and the same bucketed chain length, 4:
    the same nested chains); the overparam runs (no downstream) are one run too."""
    import sim._engine as engine

    calls = []
    sample_items = engine.sample_items
    monkeypatch.setattr(engine, "sample_items", lambda *a, **kw: calls.append(
        len(kw["traced"]["T"])) or sample_items(*a, **kw))
    kw = dict(d=D, T0=30, sigma=1.0, sigma0=1.0, seeds=256)
    T, n = np.array([40.0, 15.0]), np.array([[0], [1], [3], [4]])
    grid = S.ols_test_error(key, T=T, n=n, **kw)
    assert calls == [2] and grid.mean.shape == (4, 2)
    for i, j in [(2, 0), (3, 1)]:
        alone = S.ols_test_error(key, T=T[j], n=int(n[i, 0]), **kw)
        np.testing.assert_allclose(grid.mean[i, j], alone.mean, rtol=1e-12)
        np.testing.assert_allclose(grid.stderr[i, j], alone.stderr, rtol=1e-10)
    calls.clear()
    over = S.overparam_generator_error(key, d=D, T0=4, n=[0, 1, 2, 3], sigma0=0.3, w0_norm=1.0,
                                       seeds=256)
    assert over.mean[0] == 0 and calls == [1]
    alone = S.overparam_generator_error(key, d=D, T0=4, n=2, sigma0=0.3, w0_norm=1.0, seeds=256)
    np.testing.assert_allclose(over.mean[2], alone.mean, rtol=1e-12)


@pytest.mark.parametrize("T0,n,sigma0", [(3, 1, 0.0), (5, 3, 0.0), (6, 2, 0.7), (8, 3, 0.3)])
def test_overparam_generators_match_exact_theory(key, T0, n, sigma0):
    est = S.overparam_generator_error(key, d=D, T0=T0, n=n, sigma0=sigma0, w0_norm=1.5,
                                      seeds=4000)
    theory = R.overparam_generator_error(d=D, T0=T0, n=n, sigma0=sigma0, w0_norm=1.5)
    assert abs(est.z(theory)) <= Z, (est, theory)


def test_ridge_worked_value_theory_1_3(key):
    """The deterministic equivalent is asymptotic: allow Z stderr plus 1.5% (its finite-d error
    at d = 100; the deterministic equivalent's reference Monte Carlo is 1.726 +- 0.014 against
    1.7159)."""
    kw = dict(d=100, T=200, T0=300, n=3, lam=0.1, sigma=1.0, sigma0=1.0, w0_norm=1.0)
    est = S.isotropic_ridge_test_error(key, seeds=2000, **kw)
    theory = R.isotropic_ridge_test_error(**kw)
    assert abs(est.mean - theory) <= Z * est.stderr + 0.015 * theory


def test_ridge_general_spectrum_against_deterministic_equivalent(key):
    """Power-law spectrum, d = 10 (small: DE error a few percent; stated tolerance 6%)."""
    spectrum, w0 = R.power_law_problem(beta=1.5, r=0.4, d=D)
    lam = np.array([0.03, 0.3])
    kw = dict(spectrum=spectrum, w0=w0, T=20, T0=30, n=2, lam=lam, sigma=0.5, sigma0=0.5)
    est = S.ridge_test_error(key, seeds=4000, **kw)
    theory = R.ridge_test_error(**kw)
    assert np.all(np.abs(est.mean - theory) <= Z * est.stderr + 0.06 * theory), (est, theory)


@pytest.mark.parametrize("T,lam", [(7, 0.3), (7, 0.0), (23, 0.3), (23, 0.0)])
def test_row_space_fit_equals_normal_equations(T, lam):
    """The row-space ridge / min-norm solve on the trimmed design equals NumPy's normal
    equations (lam > 0) or pinv (lam = 0) on the full d x d design, for T < d and T >= d."""
    d, rows = 16, 8 if T < 16 else 16
    a = np.asarray(bartlett_factor(jax.random.key(3), T=T, d=d)) * np.linspace(0.5, 2, d)
    y = np.where(np.arange(d) < T, np.random.default_rng(0).standard_normal(d), 0.0)
    if lam > 0:
        expected = np.linalg.solve(a.T @ a / T + lam * np.eye(d), a.T @ y / T)
    else:
        expected = np.linalg.pinv(a) @ y
    got = _fit(jax.numpy.asarray(a[:rows]), jax.numpy.asarray(y[:rows]), T, lam,
               ols_steps([T], [lam], d)[0])
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


def test_design_rows_cover_every_design_step():
    T, lam = np.array([1200.0, 50.0, 90.0, 2000.0]), np.array([0.0, 0.0, 0.1, 0.0])
    assert _design_rows(T, lam, 1000, raw=False) == 96  # OLS at T >= d needs none; 90 -> step 8
    assert _design_rows(T, lam, 1000, raw=True) == 1000  # raw: every step, 2000 > d
    assert _design_rows(np.array([300.0]), np.array([0.1]), 1000, raw=False) == 320
    assert _design_rows(np.array([3000.0]), np.array([0.0]), 1000, raw=False) == 8  # none


def test_trimmed_design_min_norm_matches_exact_theory(key):
    """T0 = 12 < d = 40: the generators' min-norm fits use 16-row designs, not 40 x 40."""
    kw = dict(d=40, T0=12, n=2, sigma0=0.5, w0_norm=1.0)
    est = S.overparam_generator_error(key, seeds=4000, **kw)
    assert abs(est.z(R.overparam_generator_error(**kw))) <= Z


def _chain_params(T, noise, lam, spectrum=None):
    spectrum = np.ones(D) if spectrum is None else spectrum
    return dict(spectrum=spectrum, w0=np.full(D, 0.3), T=np.asarray(T, float),
                noise=np.asarray(noise, float), lam=np.asarray(lam, float))


def _static(params, raw_sizes=None):
    """The static values of a chain run (:func:`sim.regression._chain.ols_steps`)."""
    return dict(raw_sizes=raw_sizes, ols=ols_steps(params["T"], params["lam"], len(params["w0"])))


def in_fresh_process(code: str, env: dict | None = None) -> list:
    """Run ``code`` in a new Python process (fresh XLA:CPU state; see conftest) and return the
    JSON list it prints last."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, check=True, timeout=300, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_ols_increments_equal_numpy_lstsq_chain_in_law(key):
    """The multivariate-t OLS increments against raw data fitted by np.linalg.lstsq (T = T0 =
    d + 3, Sigma = diag(spectrum)): two-sample KS on 3000 seeds, p > 1e-3. (The JAX raw sampler
    on this configuration deadlocked XLA:CPU, see conftest.)"""
    spectrum, w0, T = np.linspace(0.5, 2.0, D), np.full(D, 0.3), D + 3
    noise = [1.0, 0.5, 1.0, 1.0]
    params = _chain_params([T] * 4, noise, [0] * 4, spectrum=spectrum)
    fast = sample_seeds(_chain_seed, key, seeds=3000, static=_static(params), params=params)
    rng = np.random.default_rng(1)
    raw = np.empty(3000)
    for i in range(3000):
        w = w0
        for s in noise:
            X = rng.standard_normal((T, D)) * np.sqrt(spectrum)
            w = np.linalg.lstsq(X, X @ w + s * rng.standard_normal(T), rcond=None)[0]
        raw[i] = np.sum(spectrum * (w - w0) ** 2)
    from scipy import stats

    assert stats.ks_2samp(fast, raw).pvalue > 1e-3


@pytest.mark.parametrize("T,lam", [
    ([7, 7, 7, 13], [0, 0, 0, 0.3]),       # T0 < d: Bartlett-reduced min-norm; ridge downstream
])
def test_sufficient_sampler_equals_raw_sampler_in_law(T, lam):
    """Two-sample Kolmogorov-Smirnov on 3000 seeds each (independent keys): p > 1e-3."""
    (p_value,) = in_fresh_process(f"""
        import json, jax, numpy as np
        from scipy import stats
        jax.config.update("jax_enable_x64", True)
        from sim import sample_seeds
        from sim.regression._chain import _chain_seed, ols_steps
        T, lam, d = {T}, {lam}, {D}
        params = dict(spectrum=np.linspace(0.5, 2.0, d), w0=np.full(d, 0.3),
                      T=np.asarray(T, float), noise=np.array([1.0, 0.5, 1.0, 1.0]),
                      lam=np.asarray(lam, float))
        key = jax.random.key(20240712)
        ols = ols_steps(T, lam, d)
        fast = sample_seeds(_chain_seed, key, seeds=3000, static=dict(raw_sizes=None, ols=ols),
                            params=params)
        raw = sample_seeds(_chain_seed, jax.random.fold_in(key, 1), seeds=3000,
                           static=dict(raw_sizes=tuple(T), ols=ols), params=params)
        print(json.dumps([stats.ks_2samp(fast, raw).pvalue]))
    """)
    assert p_value > 1e-3


def test_vmap_equals_loop_and_chunking_is_invisible(key):
    params = _chain_params([30, 30, 30, 40], [1, 1, 1, 1], [0, 0, 0, 0.1])
    static = _static(params)
    whole = sample_seeds(_chain_seed, key, seeds=12, static=static, params=params)
    chunked = sample_seeds(_chain_seed, key, seeds=12, static=static, params=params,
                           batch_size=5)
    one = jax.jit(lambda k: _chain_seed(k, **static, **params))
    looped = [one(jax.random.fold_in(key, i)) for i in range(12)]
    np.testing.assert_allclose(chunked, whole, rtol=1e-12)
    np.testing.assert_allclose(looped, whole, rtol=1e-10)


def test_chunks_trace_matmuls_at_highest_precision(key):
    """GPUs run float32 matmuls in TF32 (relative error ~1e-3) unless told otherwise: every dot
    in a chain's compiled chunk must carry precision HIGHEST (sim._montecarlo.MATMUL_PRECISION)."""
    from sim._montecarlo import _runner, _traced, seed_keys

    params = _chain_params([30, 30, 30, 40], [1, 1, 1, 1], [0, 0, 0, 0.1])
    run = _runner(_chain_seed, tuple(sorted(_static(params).items())), tuple(jax.devices()))
    text = run.lower(seed_keys(key, 0, 2), _traced(params, 2)).as_text()  # 2 items
    dots = [line for line in text.splitlines() if "dot_general" in line]
    assert dots and all("precision = [HIGHEST, HIGHEST]" in line for line in dots)


def test_sharded_over_four_devices_equals_one_device(forced_devices_env):
    """The same key gives the same numbers on 1 and on 4 (CPU) devices."""
    n_dev, four, one = in_fresh_process("""
        import json, jax, numpy as np
        jax.config.update("jax_enable_x64", True)
        from sim import monte_carlo
        from sim.regression._chain import _chain_seed, ols_steps
        params = dict(spectrum=np.ones(6), w0=np.full(6, 0.4), T=np.array([15.0, 4.0, 20.0]),
                      noise=np.ones(3), lam=np.array([0.0, 0.0, 0.2]))
        static = dict(raw_sizes=None, ols=ols_steps(params["T"], params["lam"], 6))
        run = lambda devices: monte_carlo(_chain_seed, jax.random.key(7), seeds=37,
                                          static=static, params=params, batch_size=3,
                                          devices=devices)
        four, one = run(jax.devices()), run(jax.devices()[:1])
        print(json.dumps([jax.device_count(), float(four.mean), float(one.mean)]))
    """, env=forced_devices_env(4))
    assert n_dev == 4
    assert four == pytest.approx(one, rel=1e-12)


def test_lam_sweep_with_ridgeless_point_equals_runs_alone(key):
    """A sweep over lam (0 and > 0, so steps of different kinds) gives each point the numbers it
    gets alone (common random numbers). Once a cond on the batched lam deadlocked XLA:CPU here."""
    kw = dict(d=D, T=2 * D, T0=3 * D, sigma=1.0, sigma0=1.0, w0_norm=1.0, n=2, seeds=40)
    lam = np.array([0.0, 0.1, 1.0])
    swept = S.isotropic_ridge_test_error(key, lam=lam, **kw)
    for j, value in enumerate(lam):
        alone = S.isotropic_ridge_test_error(key, lam=float(value), **kw)
        np.testing.assert_allclose(swept.mean[j], alone.mean, rtol=1e-10)


def test_dimension_and_norm_broadcast_like_the_theory(key):
    """d and w0_norm broadcast in the twins as in the theory (one program per d)."""
    kw = dict(d=np.array([[6], [D]]), T=40, T0=30, n=2, lam=0.1, sigma=1.0, sigma0=1.0,
              w0_norm=np.array([1.0, 2.0]))
    est = S.isotropic_ridge_test_error(key, seeds=2000, **kw)
    theory = R.isotropic_ridge_test_error(**kw)
    assert est.shape == theory.shape == (2, 2)
    assert np.all(np.abs(est.mean - theory) <= Z * est.stderr + 0.06 * theory), (est, theory)


def test_float32_agrees_with_float64(key):
    """float32 draws other random numbers (samplers consume bits by dtype), so the check is
    statistical: each within Z stderr of the exact theory, and of each other."""
    kw = dict(d=D, T=40, T0=30, n=3, sigma=1.0, sigma0=1.0)
    f64 = S.ols_test_error(key, seeds=3000, **kw)
    with jax.enable_x64(False):
        f32 = S.ols_test_error(key, seeds=3000, **kw)
    assert f32.mean.dtype == np.float64  # summaries are float64 either way
    theory = R.ols_test_error(**kw)
    assert abs(f32.z(theory)) <= Z and abs(f64.z(theory)) <= Z
    assert abs(f32.mean - f64.mean) <= Z * np.hypot(f32.stderr, f64.stderr)
