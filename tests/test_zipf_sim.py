"""Simulation twins of the Zipf model against theory (z = 4), samplers, invariances.

All simulations share N = 1000 (one padded shape) to keep the number of compilations small.
"""

import json
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import sim.zipf as sz
import theory.zipf as tz
from sim import RunOptions
from sim.sampling import Plan, binomial, counts_plan, raw_counts, tree_counts
from theory.zipf._generations import generation_factor
from theory.zipf._generations import generations_error as theory_generations

Z_MAX = 4.0
N = 1000
KEY_SEED = 20240712  # the suite's key (conftest), for checks run in a fresh process
BETA = 1.5


def check(est, expected, z=Z_MAX):
    """|mean - theory| <= z stderr (+1e-6: a rare miss of a very likely item can leave every
    seed identical, stderr 0, while the theory keeps its tiny expected contribution)."""
    expected = np.asarray(expected)
    assert np.all(np.abs(est.mean - expected) <= z * est.stderr + 1e-6), (est, expected)


# ---------------------------------------------------------------- samplers
# n and p traced: one compilation serves every case
_binomial_50k = jax.jit(lambda k, n, p: binomial(k, jnp.full(50_000, n), jnp.full(50_000, p)))


@pytest.mark.parametrize("n,p", [(7.0, 0.3), (60.0, 0.2), (5000.0, 0.45), (1e9, 1e-8),
                                 (30.0, 0.8)])
def test_binomial_sampler_matches_binomial_law(n, p):
    x = np.asarray(_binomial_50k(jax.random.key(3), n, p))
    sd = np.sqrt(n * p * (1 - p))
    ks = np.arange(max(0, int(n * p - 6 * sd) - 2), int(n * p + 6 * sd) + 3)
    expected = stats.binom.pmf(ks, n, p) * x.size
    observed = np.array([(x == k).sum() for k in ks])
    keep = expected > 5
    # lump the rest so the chi-square test sees every draw
    obs = np.append(observed[keep], x.size - observed[keep].sum())
    exp = np.append(expected[keep], x.size - expected[keep].sum())
    if exp[-1] < 5:
        obs, exp = obs[:-1], exp[:-1] * (x.size / exp[:-1].sum())
    chi2 = np.sum((obs - exp) ** 2 / exp)
    assert stats.chi2.sf(chi2, len(obs) - 1) > 1e-4
    assert np.all((x >= 0) & (x <= n) & (x == np.round(x)))


def _moments(counts, p, T):
    """z-scores of mean and covariance entries against the multinomial law."""
    c = np.asarray(counts, float)
    reps = c.shape[0]
    z_mean = (c.mean(0) - T * p) / np.sqrt(T * p * (1 - p) / reps)
    cov = np.cov(c.T)
    exact = T * (np.diag(p) - np.outer(p, p))
    # variance of a sample covariance entry ~ (S_ii S_jj + S_ij^2) / reps
    se = np.sqrt((np.outer(np.diag(exact), np.diag(exact)) + exact**2) / reps)
    return z_mean, (cov - exact) / se


def test_tree_and_raw_samplers_are_multinomial(key):
    p = np.array([0.4, 0.25, 0.15, 0.1, 0.05, 0.03, 0.02, 0.0])
    T, reps = 20, 8_000
    keys = jax.random.split(key, reps)
    w = jnp.asarray(p)
    tree = jax.jit(jax.vmap(lambda k: tree_counts(k, w, T)))(keys)
    raw = jax.jit(jax.vmap(lambda k: raw_counts(k, w, T)))(keys)
    for counts in (tree, raw):
        assert np.all(np.asarray(counts).sum(1) == T) and np.all(np.asarray(counts)[:, -1] == 0)
        z_mean, z_cov = _moments(np.asarray(counts)[:, :-1], p[:-1], T)
        assert np.max(np.abs(z_mean)) < 4.5 and np.max(np.abs(z_cov)) < 4.5
    # zero-count pattern (what the memoriser sees): same law, two-sample z on unseen mass
    unseen = [np.asarray(jnp.sum(jnp.where(c == 0, w, 0), 1)) for c in (tree, raw)]
    se = np.sqrt((unseen[0].var() + unseen[1].var()) / reps)
    assert abs(unseen[0].mean() - unseen[1].mean()) < Z_MAX * se
    np.testing.assert_allclose(unseen[0].mean(), np.sum(p * (1 - p) ** T), rtol=0.02)


# 16 items in 4 rows of 4 (zeros in a dense and in a sparse row). Plan(1, 4): row 0 (the heaviest)
# is split by binomials; rows 1-3 get ~25 of T = 40 draws, 4 per round (~7 rounds), and row 1
# alone ~11 (> 4: one row's draws span rounds). Plan(0, 16): every row by categorical draws.
HYBRID_W = np.array([1.0, 0.7, 0.0, 0.5, 0.45, 0.41, 0.38, 0.35, 0.33, 0.0, 0.3, 0.29, 0.28, 0.27,
                     0.26, 0.25])


def test_hybrid_sampler_is_multinomial(key):
    p = HYBRID_W / HYBRID_W.sum()
    T, reps = 40, 8_000
    w = jnp.asarray(HYBRID_W)
    raw = np.asarray(jax.jit(jax.vmap(lambda k: raw_counts(k, w, T)))(
        jax.random.split(jax.random.fold_in(key, 1), reps)))
    keys = jax.random.split(key, reps)
    for plan in (Plan(1, 4), Plan(0, 16)):
        if plan.dense_rows:  # the case exercises what it claims to
            rows = p.reshape(4, 4).sum(1)
            assert T * rows[1] > 2 * plan.draws and T * rows[1:].sum() > 5 * plan.draws
        one = jax.jit(lambda k, plan=plan: tree_counts(k, w, T, plan=plan))
        counts = np.asarray(jax.jit(jax.vmap(one))(keys))
        assert np.all(counts.sum(1) == T) and np.all(counts == np.round(counts))
        assert np.all(counts[:, HYBRID_W == 0] == 0)
        z_mean, z_cov = _moments(counts[:, HYBRID_W > 0], p[HYBRID_W > 0], T)
        assert np.max(np.abs(z_mean)) < 4.5 and np.max(np.abs(z_cov)) < 4.5  # 14 + 196 z's
        # against the raw sampler (independent keys): per-item means and the unseen mass, z = 4
        se = np.sqrt((counts.var(0) + raw.var(0)) / reps)
        keep = se > 0
        assert np.max(np.abs((counts.mean(0) - raw.mean(0))[keep] / se[keep])) < Z_MAX
        unseen = [((c == 0) * p).sum(1) for c in (counts, raw)]
        se = np.sqrt((unseen[0].var() + unseen[1].var()) / reps)
        assert abs(unseen[0].mean() - unseen[1].mean()) < Z_MAX * se
        if plan.dense_rows:  # vmap equals a loop (under vmap the rounds run to the slowest seed)
            for i in range(2):
                np.testing.assert_array_equal(counts[i], one(keys[i]))


def test_counts_plan():
    p = np.arange(1, 2**20 + 1.0) ** -2.0
    # dense rows grow with T; a tiny T is all categorical draws; the draws cover the expectation
    plans = [counts_plan(p, T) for T in (10, 1e5, 1e7, 1e9)]
    assert plans[0].dense_rows == 0 and plans[0].draws >= 10
    assert [pl.dense_rows for pl in plans] == sorted(pl.dense_rows for pl in plans)
    assert plans[-1].dense_rows > plans[1].dense_rows
    rows = np.sort(p.reshape(1024, 1024).sum(1))[::-1] / p.sum()
    for pl, T in zip(plans[1:3], (1e5, 1e7)):
        assert pl.draws >= T * rows[pl.dense_rows:].sum()
    assert counts_plan(np.zeros(5), 10) == Plan(0, 64)  # nothing to draw
    for bad, name in [(dict(weights=[1.0, -1.0], T=3), "weights"),
                      (dict(weights=[[1.0]], T=3), "weights"),
                      (dict(weights=[1.0], T=-1), "T"), (dict(weights=[1.0], T=np.inf), "T")]:
        with pytest.raises(ValueError, match=name):
            counts_plan(**bad)
    w = jnp.ones(16)
    for plan, name in [(Plan(5, 4), "dense_rows"), (Plan(1, 0), "draws")]:
        with pytest.raises(ValueError, match=name):
            tree_counts(jax.random.key(0), w, 3, plan=plan)


# ---------------------------------------------------------------- twins against theory
def test_memorization_error(key):
    T = np.array([3, 100, 10_000])
    check(sz.memorization_error(key, beta=BETA, T=T, N=N, seeds=300),
          tz.memorization_error(beta=BETA, T=T, N=N))


def test_memorization_error_T_1e9_is_routine(key):
    est = sz.memorization_error(key, beta=1.2, T=1e9, N=N, seeds=300)
    check(est, tz.memorization_error(beta=1.2, T=1e9, N=N))


def test_tail_cut_and_narrowed(key):
    T = np.array([50, 5000])
    check(sz.tail_cut_error(key, beta=BETA, T=T, k=20, N=N, seeds=300),
          tz.tail_cut_error(beta=BETA, T=T, k=20, N=N))
    check(sz.narrowed_error(key, beta=BETA, beta_ai=2.5, T=T, N=N, seeds=300),
          tz.narrowed_error(beta=BETA, beta_ai=2.5, T=T, N=N))


def test_mixed_and_band(key):
    T = np.array([1000, 100_000])  # pi T integer
    check(sz.mixed_error(key, beta=BETA, T=T, k=20, pi=0.1, N=N, seeds=300),
          tz.mixed_error(beta=BETA, T=T, k=20, pi=0.1, N=N))
    check(sz.tail_band_error(key, beta=BETA, T=T, k=20, pi=0.1, j=100, N=N, seeds=300),
          tz.tail_band_error(beta=BETA, T=T, k=20, pi=0.1, j=100, N=N))


def test_capacity(key):
    T = np.array([100, 10_000])
    check(sz.capacity_error(key, beta=BETA, T=T, d=50, N=N, seeds=300),
          tz.capacity_error(beta=BETA, T=T, d=50, N=N))


@pytest.mark.slow
def test_capacity_count_ranking(key):
    T = np.array([100, 10_000])
    oracle = sz.capacity_error(key, beta=BETA, T=T, d=50, N=N, seeds=300)
    counts = sz.capacity_error(key, beta=BETA, T=T, d=50, N=N, ranking="counts", seeds=300)
    # the oracle stores the d most probable seen queries; ranking by counts cannot beat it
    assert np.all(counts.mean >= oracle.mean - Z_MAX * np.hypot(counts.stderr, oracle.stderr))


@pytest.mark.parametrize("chain", ["resample", "cut"])
def test_generations_against_theory(key, chain):
    n = np.array([0, 1, 2])
    est = sz.generations_error(key, beta=BETA, T=200, T0=300, n=n, chain=chain, N=N, seeds=300)
    check(est, theory_generations(beta=BETA, T=200, T0=300, n=n, chain=chain, N=N))


@pytest.mark.slow
def test_galton_watson_factors_by_simulation(key):
    """beta = 2, T = inf: simulated E_n / E_1 for the resample chain (N = 2^16, T0 = 2000)."""
    n = np.array([1, 2, 3, 5, 10, 20])
    est = sz.generations_error(key, beta=2.0, T=np.inf, T0=2000, n=n, chain="resample",
                               N=2**16, seeds=400)
    exact = theory_generations(beta=2.0, T=np.inf, T0=2000, n=n, chain="resample", N=2**16)
    check(est, exact)
    ratio = est.mean / est.mean[0]
    np.testing.assert_allclose(ratio, generation_factor(beta=2.0, n=n, chain="resample"),
                               rtol=0.05)


# ---------------------------------------------------------------- invariances
@pytest.mark.slow
def test_batching_and_sharding_do_not_change_the_numbers():
    """Same keys, whole batch against chunks of 2 and against one device. Run in a fresh process:
    late in the full suite, XLA:CPU (jaxlib 0.10.2) aborted twice while compiling the chunked
    program in the test process (a crash inside the compiler, not a wrong number)."""
    code = textwrap.dedent(f"""
        import json, jax
        jax.config.update("jax_enable_x64", True)
        import sim.zipf as sz
        from sim import RunOptions
        key = jax.random.key({KEY_SEED})
        run = lambda **o: float(sz.memorization_error(key, beta={BETA}, T=100, N={N}, seeds=12,
                                                      options=RunOptions(**o)).mean)
        print(json.dumps([run(), run(batch_size=2), run(devices=jax.devices()[:1])]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    whole, chunked, one = json.loads(out.stdout.strip().splitlines()[-1])
    assert chunked == pytest.approx(whole, rel=1e-12)  # same keys; 1 ulp from XLA fusion
    assert one == pytest.approx(whole, rel=1e-12)


def test_common_random_numbers(key):
    """A point's numbers do not depend on the grid around it (seed s uses fold_in(key, s))."""
    alone = sz.tail_cut_error(key, beta=BETA, T=50, k=20, N=N, seeds=300)
    swept = sz.tail_cut_error(key, beta=BETA, T=[50, 5000], k=20, N=N, seeds=300)
    np.testing.assert_allclose(swept.mean[0], alone.mean, rtol=1e-6)


@pytest.mark.slow
def test_vmap_equals_loop(key):
    w = jnp.asarray(tz.zipf_probs(beta=BETA, N=64))
    keys = jax.random.split(key, 3)
    batched = jax.vmap(lambda k: tree_counts(k, w, 500.0))(keys)
    for i in range(3):
        np.testing.assert_array_equal(batched[i], tree_counts(keys[i], w, 500.0))


@pytest.mark.slow
def test_float32_agrees_with_theory(key):
    with jax.enable_x64(False):
        est = sz.memorization_error(key, beta=BETA, T=[100, 10**8], N=N, seeds=300)
    assert est.mean.dtype == np.float64  # summaries are float64 whatever the precision
    check(est, tz.memorization_error(beta=BETA, T=[100, 1e8], N=N), z=4.5)


# ---------------------------------------------------------------- infinite vocabulary, raw sampler
def test_infinite_vocabulary_against_theory(key):
    """N = None (the theory's default): head counted exactly, tail draws by rejection. The
    cut, band and memory reach deep into the tail (k, j, d beyond the simulated head of 1024
    items); every case here shares one head size (one program per number of sources)."""
    T = np.array([10, 1000, 30_000])
    check(sz.memorization_error(key, beta=BETA, T=T, seeds=300),
          tz.memorization_error(beta=BETA, T=T))
    check(sz.memorization_error(key, beta=3.0, T=T, seeds=300),
          tz.memorization_error(beta=3.0, T=T))
    T = np.array([1000, 30_000])
    check(sz.tail_cut_error(key, beta=BETA, T=T, k=5000, seeds=300),
          tz.tail_cut_error(beta=BETA, T=T, k=5000))
    check(sz.narrowed_error(key, beta=BETA, beta_ai=2.5, T=T, seeds=300),
          tz.narrowed_error(beta=BETA, beta_ai=2.5, T=T))
    check(sz.capacity_error(key, beta=BETA, T=T, d=3000, seeds=300),
          tz.capacity_error(beta=BETA, T=T, d=3000))
    check(sz.tail_band_error(key, beta=BETA, T=T, k=20, pi=0.02, j=5000, seeds=300),
          tz.tail_band_error(beta=BETA, T=T, k=20, pi=0.02, j=5000))


def test_raw_sampler_agrees(key):
    """sampler="raw" draws every sample; two-sample z against the exact count sampler."""
    for kw in (dict(N=N), dict()):
        suff = sz.mixed_error(key, beta=BETA, T=[100, 2000], k=20, pi=0.5, seeds=300, **kw)
        raw = sz.mixed_error(jax.random.fold_in(key, 1), beta=BETA, T=[100, 2000], k=20, pi=0.5,
                             seeds=300, options=RunOptions(sampler="raw"), **kw)
        z = (suff.mean - raw.mean) / np.hypot(suff.stderr, raw.stderr)
        assert np.all(np.abs(z) < Z_MAX), z


def test_twins_match_theory_signatures():
    import inspect

    theory_fns = {n for n in tz.__all__ if callable(getattr(tz, n))
                  and not n.startswith(("validate_", "derive_"))}
    assert set(sz.__all__) - {"SIM_ONLY"} == theory_fns - set(tz.THEORY_ONLY)
    assert not set(tz.THEORY_ONLY) - theory_fns and not sz.SIM_ONLY
    for name in theory_fns - set(tz.THEORY_ONLY):
        params = list(inspect.signature(getattr(sz, name)).parameters.values())
        assert params[1:-2] == list(inspect.signature(getattr(tz, name)).parameters.values())
