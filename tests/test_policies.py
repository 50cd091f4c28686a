"""Data policies and the fixed-design regression chain (Gerstgrasser et al. arXiv:2404.01413;
Dey and Donoho arXiv:2410.22812; Kazdan et al. arXiv:2410.16713)."""

import jax
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.regression as sr
import theory.regression as tr
from sim import RunOptions
from theory.policy import POLICY_NAMES, Policy, as_policy

Z = 4.0  # z-score band of the statistical tests


# --- the policy object ---------------------------------------------------------------------------

def test_policy_names_and_constructors():
    assert Policy.replace() == as_policy("replace")
    assert Policy.accumulate_subsample().name == "accumulate-subsample"
    assert Policy.mix(0.3).real == 0.3
    w = Policy.weighted(0.6, k=2.0)
    assert (w.real, w.k) == (0.6, 2.0)
    assert str(w) == "weighted(w=0.6, k=2)"
    f = Policy.fixed_real(2.0)
    assert (f.name, f.ratio, str(f)) == ("fixed-real", 2.0, "fixed-real(ratio=2)")
    assert as_policy("fixed-real(ratio=0.5)") == Policy.fixed_real(0.5)
    assert set(POLICY_NAMES) == {"replace", "accumulate", "accumulate-subsample", "mix", "weighted",
                                 "fixed-real"}


def test_policy_parameters_are_validated():
    with pytest.raises(ValueError, match=r"^ratio must be"):
        Policy.fixed_real(-1.0)
    with pytest.raises(ValueError, match=r"^policy 'mix' takes no 'ratio' parameter"):
        Policy("mix", real=0.5, ratio=1.0)


def test_unknown_policy_lists_valid_names():
    with pytest.raises(ValueError, match=r"policy must be one of .*'replace'.*'accumulate'"):
        as_policy("keep-everything")
    with pytest.raises(ValueError, match="policy"):
        as_policy(3)
    with pytest.raises(ValueError, match="policy must be one of"):  # a model without 'mix'
        tr.fixed_design_error(d=2, T=10, n=1, sigma=1, policy=Policy.mix(0.5))
    with pytest.raises(ValueError, match="takes no"):
        Policy("replace", real=0.5)


@given(st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1 + 1e-9), st.just(float("nan"))))
@settings(max_examples=25, deadline=None)
def test_mix_share_out_of_range(real):
    with pytest.raises(ValueError, match="real"):
        Policy.mix(real)


@given(st.one_of(st.floats(max_value=0.0), st.just(float("inf"))))
@settings(max_examples=25, deadline=None)
def test_weighted_bad_parameters(bad):
    with pytest.raises(ValueError, match="k"):
        Policy.weighted(0.5, k=bad)
    with pytest.raises(ValueError, match="real"):
        Policy.weighted(bad)


# --- theory: worked values and derivations -------------------------------------------------------

def test_worked_values_fixed_design():
    kw = dict(d=10, T=50, n=10, sigma=1.0)
    assert tr.fixed_design_error(**kw, policy="replace") == pytest.approx(2.564103, abs=1e-6)
    assert tr.fixed_design_error(**kw, policy="accumulate") == pytest.approx(0.397376, abs=1e-6)
    bound = sp.pi**2 / 6 * sp.Rational(10, 39)
    assert float(bound) == pytest.approx(0.421778, abs=1e-6)
    big = tr.fixed_design_error(d=10, T=50, n=10**6, sigma=1.0, policy="accumulate")
    assert big == pytest.approx(float(bound), rel=1e-5) and big < float(bound)


def test_symbolic_sum_and_forms():
    i, n = sp.symbols("i n", integer=True, positive=True)
    assert sp.Sum(1 / i**2, (i, 1, sp.oo)).doit() == sp.pi**2 / 6
    acc = tr.derive_fixed_design_error("accumulate")
    assert sp.limit(acc.subs(sp.Symbol("n", integer=True, nonnegative=True), n), n, sp.oo) \
        .equals(sp.pi**2 / 6 * sp.Symbol("sigma", nonnegative=True) ** 2
                * sp.Symbol("d", positive=True, integer=True)
                / (sp.Symbol("T", positive=True, integer=True)
                   - sp.Symbol("d", positive=True, integer=True) - 1))
    term = tr.derive_fresh_accumulate_term()
    assert sp.simplify(term.subs(sp.Symbol("i", integer=True, positive=True), 1)
                       - tr.derive_fixed_design_error("replace").subs(
                           sp.Symbol("n", integer=True, nonnegative=True), 1)) == 0


def test_stacked_fit_is_running_average():
    """The accumulate update w_i = w_{i-1} + A E_i/i equals lstsq on all data so far (numpy)."""
    rng = np.random.default_rng(0)
    d, T, n = 4, 9, 5
    x = rng.standard_normal((T, d))
    w_true = rng.standard_normal(d)
    w_prev, ys, w_rec = w_true, [], w_true.copy()
    for i in range(1, n + 1):
        noise = rng.standard_normal(T)
        ys.append(x @ w_prev + noise)
        w_fit = np.linalg.lstsq(np.vstack([x] * i), np.concatenate(ys), rcond=None)[0]
        w_rec = w_rec + np.linalg.lstsq(x, noise, rcond=None)[0] / i
        np.testing.assert_allclose(w_fit, w_rec, atol=1e-10)
        w_prev = w_fit


def test_subsample_weights_between_accumulate_and_replace():
    w = tr.derive_subsample_weights(50)
    acc = np.cumsum(1.0 / np.arange(1, 51) ** 2)
    assert w[1] == 1.0 and w[2] == pytest.approx(1.75)  # 1/4 + 1 + 2 (1/2)(1/2)
    assert np.all(w[2:] > acc[1:]) and np.all(w[2:] < np.arange(2, 51))
    assert np.all(np.diff(w[1:]) > 0)


@given(st.sampled_from(["d", "T", "n", "sigma"]), st.sampled_from([-1.0, 0.5, float("nan")]))
@settings(max_examples=20, deadline=None)
def test_bad_input_names_parameter(name, value):
    kw = dict(d=3, T=20, n=2, sigma=1.0)
    if name == "sigma" and value == 0.5:
        return  # in domain
    kw[name] = value
    with pytest.raises(ValueError, match=name):
        tr.fixed_design_error(**kw)


def test_bad_design_and_small_T():
    with pytest.raises(ValueError, match="T must be"):
        tr.fixed_design_error(d=10, T=11, n=1, sigma=1)
    with pytest.raises(ValueError, match="design"):
        tr.fixed_design_error(d=2, T=10, n=1, sigma=1, design="random")
    with pytest.raises(ValueError, match="design"):
        tr.fixed_design_error(d=2, T=10, n=1, sigma=1, policy="accumulate-subsample",
                              design="fresh")


# --- theory against simulation -------------------------------------------------------------------

KW = dict(d=5, T=20, n=[1, 4], sigma=1.5)


@pytest.mark.parametrize("policy,design", [
    ("accumulate", "fixed"), ("accumulate", "fresh"),
    pytest.param("replace", "fixed", marks=pytest.mark.slow),
    pytest.param("replace", "fresh", marks=pytest.mark.slow)])
def test_exact_policies_match_simulation(key, policy, design):
    est = sr.fixed_design_error(key, **KW, policy=policy, design=design, seeds=3000)
    expected = tr.fixed_design_error(**KW, policy=policy, design=design)
    assert np.all(np.abs(est.z(expected)) < Z), (est, expected)


@pytest.mark.slow
def test_raw_sampler_agrees(key):
    kw = dict(KW, policy="accumulate", design="fresh")
    a = sr.fixed_design_error(key, **kw, seeds=2000)
    b = sr.fixed_design_error(jax.random.fold_in(key, 1), **kw, seeds=2000,
                              options=RunOptions(sampler="raw"))
    z = (a.mean - b.mean) / np.hypot(a.stderr, b.stderr)
    assert np.all(np.abs(z) < Z)


# --- accumulate-subsample: the raw pool of (row, label) pairs (Kazdan et al.) ----------------

def _published_loop(rng, *, d, T, n, sigma, seeds):
    """Kazdan et al.'s fixed-design loop, written directly in NumPy: the pool grows by one
    relabelling of the design per iteration, each fit is pinv on T pairs drawn without
    replacement. Returns the per-seed errors ||w_i - w*||^2, i = 1..n."""
    out = np.empty((seeds, n))
    for s in range(seeds):
        w_star = rng.standard_normal(d)
        x0 = rng.standard_normal((T, d))
        xs, ys = x0, x0 @ w_star + sigma * rng.standard_normal(T)
        for i in range(n):
            pick = rng.choice(len(ys), size=T, replace=False)
            w = np.linalg.pinv(xs[pick]) @ ys[pick]
            out[s, i] = np.sum((w - w_star) ** 2)
            xs = np.vstack([xs, x0])
            ys = np.concatenate([ys, x0 @ w + sigma * rng.standard_normal(T)])
    return out


def test_pinv_solve_is_min_norm_on_rank_deficient_designs():
    from sim.regression._policies import _pinv_solve
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 5))
    xs = x[[0, 1, 1, 2, 0, 2]]  # three distinct rows of five columns: rank 3
    y = rng.standard_normal(6)
    got = np.asarray(_pinv_solve(xs.T @ xs, xs.T @ y))
    np.testing.assert_allclose(got, np.linalg.pinv(xs) @ y, rtol=1e-9, atol=1e-12)
    full = x[[0, 1, 2, 3, 4, 5]]
    np.testing.assert_allclose(np.asarray(_pinv_solve(full.T @ full, full.T @ y)),
                               np.linalg.lstsq(full, y, rcond=None)[0], rtol=1e-9)


def test_raw_pool_matches_the_published_loop(key):
    """JAX raw pool against the NumPy loop, independent seeds, z on the difference. n < T/(d + 3)
    keeps at least d + 4 distinct rows in every fit, so the error has a finite variance."""
    kw = dict(d=2, T=24, sigma=0.7)
    ref = _published_loop(np.random.default_rng(5), n=4, seeds=1500, **kw)
    est = sr.fixed_design_error(key, **kw, n=[1, 2, 3, 4], policy="accumulate-subsample",
                                seeds=1500)
    z = (est.mean - ref.mean(0)) / np.hypot(est.stderr, ref.std(0, ddof=1) / np.sqrt(len(ref)))
    assert np.all(np.abs(z) < Z), z


def test_cavity_closure_and_first_fit():
    """The row-cavity recursion: the normal equations E[h_k c_i] = 0 with k > i, not imposed,
    hold to rounding; n = 1 is replace's first fit exactly; sympy re-derives that first step."""
    from theory.regression._policies import _subsample_cavity
    for d, T in ((10, 32), (3, 24), (1, 3)):
        path, closure = _subsample_cavity(d, T, 12)
        assert closure < 1e-10, (d, T, closure)
        assert path[1] == pytest.approx(d / (T - d - 1), rel=1e-12)
    g, noise, delta, gam, dd, tt = sp.symbols("g E delta Gamma d T", positive=True)
    h = (g + delta * noise) / (1 + delta)  # one fit, every row drawn once: m = 1
    c = noise - h
    poly = sp.Poly(sp.expand(sp.together(h * c) * (1 + delta) ** 2), g, noise)
    moment = poly.coeff_monomial(g**2) * gam + poly.coeff_monomial(noise**2)  # E over the row
    root = sp.solve(sp.Eq(delta / (1 + delta), dd / (tt - 1)), delta)[0]
    assert sp.simplify(sp.solve(moment, gam)[0].subs(delta, root) - dd / (tt - dd - 1)) == 0


def test_cavity_tends_to_the_leading_order():
    """d/T -> 0 at fixed n: the cavity recursion over one fit's risk tends to the leading-order
    weights, with an O(d/T) relative gap (it shrinks tenfold from T = 10^3 to 10^4)."""
    lead = tr.derive_subsample_weights(8)[1:]
    gaps = []
    for T in (1000, 10000):
        theory = tr.fixed_design_error(d=4, T=T, n=np.arange(1, 9), sigma=1.0,
                                       policy="accumulate-subsample")
        gaps.append(np.max(np.abs(theory / theory[0] / lead - 1)))
    assert gaps[1] < 4 * 4 / 10000 and 5 < gaps[0] / gaps[1] < 20, gaps


SUB = dict(d=3, T=[90, 24], n=[[1], [2], [5], [8]], sigma=1.0)


def test_subsample_theory_against_raw_pool(key):
    """n = 1 draws the whole pool: replace's first fit, exactly (theory) and in law (z = 4).
    n > 1: the cavity recursion is a proportional limit; its finite-size error measured at
    d = 10 (table in :func:`theory.regression.fixed_design_error`) is at most 1.7% for
    d/T <= 1/5, n <= 20 (5.1% at 1/3.2); here d/T <= 1/8: band 4% plus 4 stderr. Every fit here
    keeps at least d + 2 distinct rows (T = 24, n <= 8) with probability 1 - O(10^-15)."""
    kw = dict(SUB, policy="accumulate-subsample")
    theory = tr.fixed_design_error(**kw)
    replace = tr.fixed_design_error(**dict(kw, policy="replace"))
    np.testing.assert_allclose(theory[0], replace[0], rtol=1e-12)
    est = sr.fixed_design_error(key, **kw, seeds=2000)
    assert np.all(np.abs(est[0].z(replace[0])) < Z), (est[0], replace[0])
    assert np.all(np.abs(est.mean - theory) < 0.04 * theory + Z * est.stderr), (est, theory)
    acc = tr.fixed_design_error(**dict(kw, policy="accumulate"))
    assert np.all(est.mean[1:] > acc[1:] + Z * est.stderr[1:])  # strictly above accumulate


def test_raw_pool_is_above_rows_in_place(key):
    """The rows-in-place simplification (every fit sees the T distinct rows once) shares the
    leading-order form's simplification: n = 1 is replace, and at n = 5 it is within that
    form's O(d/T) band (2 d/T). The raw pool's repeated and missing rows raise the error above
    it by more than 4 combined standard errors at d = 10, T = 50, n = 5 (table: 12% above
    the leading order), and the cavity recursion follows the raw pool (band 4% plus 4 stderr,
    as above). Fits there keep at least d + 4 distinct rows with probability 1 - O(10^-17)."""
    from sim.regression._policies import rows_in_place_subsample_error
    kw = dict(d=10, T=50, n=[1, 5], sigma=1.0)
    raw = sr.fixed_design_error(key, **kw, policy="accumulate-subsample", seeds=1500)
    rows = rows_in_place_subsample_error(jax.random.fold_in(key, 1), **kw, seeds=1500)
    lead = 10 / 39 * tr.derive_subsample_weights(5)[[1, 5]]
    assert np.all(np.abs(rows.mean - lead) < 2 * 10 / 50 * lead + Z * rows.stderr)
    assert np.abs(rows[0].z(lead[0])) < Z
    z = (raw.mean - rows.mean) / np.hypot(raw.stderr, rows.stderr)
    assert abs(z[0]) < Z and z[1] > Z, z
    theory = tr.fixed_design_error(**kw, policy="accumulate-subsample")
    assert np.all(np.abs(raw.mean - theory) < 0.04 * theory + Z * raw.stderr), (raw, theory)


def test_subsample_bad_input_is_shared(key):
    from sim.regression._policies import rows_in_place_subsample_error
    with pytest.raises(ValueError, match=r"^T must be an integer >= d \+ 2"):
        sr.fixed_design_error(key, d=10, T=11, n=2, sigma=1.0, policy="accumulate-subsample",
                              seeds=4)
    with pytest.raises(ValueError, match=r"^n must be"):
        rows_in_place_subsample_error(key, d=3, T=10, n=-1, sigma=1.0, seeds=4)
    with pytest.raises(ValueError, match=r"^design must be 'fixed'"):
        tr.fixed_design_error(d=3, T=10, n=2, sigma=1.0, policy="accumulate-subsample",
                              design="fresh")
    with pytest.raises(ValueError, match=r"^T must be large enough that a fit draws more"):
        tr.fixed_design_error(d=10, T=13, n=[1, 20], sigma=1.0, policy="accumulate-subsample")
    with pytest.raises(ValueError, match=r"^T must be large enough that a fit draws more"):
        sr.fixed_design_error(key, d=10, T=13, n=20, sigma=1.0, policy="accumulate-subsample",
                              seeds=4)


def test_batching_does_not_change_numbers(key):
    kw = dict(d=3, T=10, n=3, sigma=1.0, policy="accumulate", seeds=10)
    a = sr.fixed_design_error(key, **kw)
    b = sr.fixed_design_error(key, **kw, options=RunOptions(batch_size=1))
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12)


def test_subsample_pool_panel_renders():
    """The d/T panel of the policies_accumulate figure at smoke scale (no cache)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from paper_figures._cache import Runner
    from paper_figures.policies import subsample_pool_panel
    fig, ax = plt.subplots()
    subsample_pool_panel(ax, Runner(None), "smoke")
    assert len(ax.lines) >= 2 and len(ax.containers) == 2  # two lines, two sets of markers
    plt.close(fig)
