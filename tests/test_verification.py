"""Curation with a verifier (Feng et al., "Beyond Model Collapse"): symbolic checks, exact results
against simulation, asymptotic laws, invariances, bad input, and the figures at smoke scale (the
notebook runs in tests/test_notebooks.py).

Sufficient-statistic simulations use SEEDS seeds everywhere (one compiled shape per sampler).
Statistical checks: |mean - theory| <= Z * stderr with Z = 4 unless stated.
"""

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sim.verification as S
import theory.verification as V
from sim import RunOptions

Z = 4.0
SEEDS = 4096
RAW = RunOptions(sampler="raw")
ROOT = Path(__file__).resolve().parent.parent


# --- symbolic -------------------------------------------------------------------------------------

def test_threshold_is_where_effective_noise_is_one_half():
    p, phi, psi = V.p_, V.phi_, V.psi_
    crit = V.derive_critical_noise()
    assert sp.simplify(crit - 1 / (1 + psi / phi)) == 0
    assert sp.simplify(V.derive_effective_noise().subs(p, crit) - sp.Rational(1, 2)) == 0
    # below the threshold the kept labels are mostly right, above mostly wrong
    vals = {phi: sp.Rational(9, 10), psi: sp.Rational(3, 10)}
    q = V.derive_effective_noise().subs(vals)
    assert q.subs(p, crit.subs(vals) - sp.Rational(1, 100)) < sp.Rational(1, 2)
    assert q.subs(p, crit.subs(vals) + sp.Rational(1, 100)) > sp.Rational(1, 2)


def test_execution_feedback_limit():
    assert V.derive_execution_feedback_limit() == 0
    assert V.effective_noise(p=0.9, phi=1.0, psi=1e-12) < 1e-10
    assert V.critical_noise(phi=1.0, psi=0.0) == 1.0
    # the kept fraction is (1 - p) phi + p psi: e.g. 0.7 * 0.9 + 0.3 * 0.2
    assert V.kept_fraction(p=0.3, phi=0.9, psi=0.2) == pytest.approx(0.69, abs=1e-15)


def test_proportional_moments_concentrate():
    m = V.derive_proportional_moments()
    a, mu, d, n = V.a_, V.mu_, V.d_, V.n_
    gamma = sp.Symbol("gamma", positive=True)
    assert sp.simplify(m["E_dot"] - a * mu**2) == 0
    assert sp.simplify(m["E_norm2"] - (a**2 * mu**2 + d / n)) == 0
    for var in ("Var_dot", "Var_norm2"):
        assert sp.limit(m[var].subs(d, gamma * n), n, sp.oo) == 0


def test_accuracy_limit_symbolic_and_numeric():
    lim = V.derive_accuracy_limit()
    mu = V.mu_
    bayes = (1 + sp.erf(mu / sp.sqrt(2))) / 2
    assert sp.simplify(lim.subs(V.a_, sp.Rational(1, 3)) - bayes) == 0
    assert sp.simplify(lim.subs(V.a_, -sp.Rational(1, 3)) - (1 - bayes)) == 0
    crit = V.critical_noise(phi=0.9, psi=0.3)  # 0.75
    acc = V.accuracy_limit(p=[crit - 1e-6, crit, crit + 1e-6], phi=0.9, psi=0.3, mu=1.5)
    np.testing.assert_allclose(acc, [stats.norm.cdf(1.5), 0.5, stats.norm.cdf(-1.5)], atol=1e-12)
    # the proportional formula tends to it as n -> infinity at fixed d
    prop = V.accuracy_proportional(p=[0.2, 0.9], phi=0.9, psi=0.3, mu=1.5, d=10, n=10**12)
    np.testing.assert_allclose(prop, V.accuracy_limit(p=[0.2, 0.9], phi=0.9, psi=0.3, mu=1.5),
                               atol=1e-9)


def test_iteration_slope_and_collapse_ratio():
    assert sp.simplify(V.derive_collapse_dimension_ratio() - 2 * V.mu_**4 / sp.pi) == 0
    # numeric slope of the no-verifier map at p = 1/2 agrees with the derived one
    mu, d, n, h = 0.9, 300, 200, 1e-6
    nxt = [1 - V.accuracy_proportional(p=0.5 + s, phi=1, psi=1, mu=mu, d=d, n=n) for s in (-h, h)]
    slope = float(V.derive_iteration_slope().subs({V.mu_: mu, V.d_: d, V.n_: n}))
    assert (nxt[1] - nxt[0]) / (2 * h) == pytest.approx(slope, rel=1e-6)
    ratio = float(V.collapse_dimension_ratio(mu=mu))
    assert ratio == pytest.approx(2 * mu**4 / math.pi)
    above = V.iterated_error(p=0.1, phi=1, psi=1, mu=mu, d=int(1.5 * ratio * n), n=n,
                             generations=400)
    below = V.iterated_error(p=0.1, phi=1, psi=1, mu=mu, d=int(0.5 * ratio * n), n=n,
                             generations=400)
    assert above[-1] > 0.499 and below[-1] < 0.45
    # a verifier (psi << phi) keeps the loop near its clean fixed point, far from chance
    curated = V.iterated_error(p=0.1, phi=1, psi=0.02, mu=mu, d=int(1.5 * ratio * n), n=n,
                               generations=400)
    assert curated[-1] < above[-1] - 0.05


# --- exact finite-n accuracy ----------------------------------------------------------------------

def test_accuracy_at_the_threshold_is_one_half():
    # effective noise 1/2: the signs are symmetric, the classifier is a coin flip on average
    acc = V.accuracy(p=0.75, phi=0.9, psi=0.3, mu=1.3, d=[3, 40], n=[7, 300])
    np.testing.assert_allclose(acc, 0.5, atol=1e-9)


def test_accuracy_d1_closed_form():
    # d = 1, no verifier, n = 1: w = s mu + g (s = -1 with probability p), so
    # P(w > 0) = (1-p) Phi(mu) + p Phi(-mu); accuracy Phi(mu) if w > 0, else 1 - Phi(mu)
    p, mu = 0.2, 0.7
    pos = (1 - p) * stats.norm.cdf(mu) + p * stats.norm.cdf(-mu)
    expected = stats.norm.cdf(mu) * pos + stats.norm.cdf(-mu) * (1 - pos)
    assert V.accuracy(p=p, phi=1, psi=1, mu=mu, d=1, n=1) == pytest.approx(expected, abs=1e-12)


POINTS = [  # p, phi, psi, mu, d, n: small n (P(nothing kept) > 0), psi = 0, above threshold, d = 1
    (0.1, 0.9, 0.3, 1.0, 50, 100),
    (0.4, 1.0, 0.0, 0.8, 20, 3),
    (0.85, 0.9, 0.3, 1.0, 10, 60),
    (0.3, 0.5, 0.5, 1.2, 1, 5),
    (0.2, 1.0, 1.0, 0.6, 300, 40),
]


def test_accuracy_matches_simulation(key):
    args = dict(zip(("p", "phi", "psi", "mu", "d", "n"), np.array(POINTS).T))
    theory = V.accuracy(**args)
    est = S.accuracy(key, **args, seeds=SEEDS)
    assert np.all(np.abs(est.z(theory)) <= Z), (theory, est)


def test_raw_sampler_agrees_with_sufficient_statistics(key):
    args = dict(p=0.35, phi=0.8, psi=0.4, mu=1.0, d=30, n=64)
    raw = S.accuracy(key, **args, seeds=2048, options=RAW)
    suff = S.accuracy(key, **args, seeds=SEEDS)
    diff = raw.mean - suff.mean
    assert abs(diff) <= Z * math.hypot(raw.stderr, suff.stderr)
    assert abs(raw.z(V.accuracy(**args))) <= Z


@pytest.mark.slow
def test_chunking_does_not_change_the_numbers(key):
    args = dict(p=0.2, phi=1.0, psi=0.5, mu=1.0, d=50, n=100)
    a = S.accuracy(key, **args, seeds=SEEDS)
    b = S.accuracy(key, **args, seeds=SEEDS, options=RunOptions(batch_size=64))
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12)


@pytest.mark.slow
def test_float32_agrees_with_float64(key):
    import jax

    args = dict(p=0.3, phi=0.9, psi=0.3, mu=1.0, d=50, n=1000)
    with jax.enable_x64(False):
        single = S.accuracy(key, **args, seeds=SEEDS)
    double = S.accuracy(key, **args, seeds=SEEDS)
    assert abs(single.mean - double.mean) <= Z * math.hypot(single.stderr, double.stderr)
    assert abs(single.z(V.accuracy(**args))) <= Z


def test_proportional_limit_is_approached():
    # fixed d/n = 1/2: |exact - proportional| shrinks as n grows
    gaps = [abs(V.accuracy(p=0.3, phi=0.9, psi=0.3, mu=1.0, d=n // 2, n=n)
                - V.accuracy_proportional(p=0.3, phi=0.9, psi=0.3, mu=1.0, d=n // 2, n=n))
            for n in (40, 640)]
    assert gaps[1] < gaps[0] / 4 and gaps[1] < 2e-3


def test_proportional_twin_at_large_size(key):
    # [asymp] d/n = 1/2 at n = 4000: within 4 stderr + 1e-3 (the measured O(1/n) gap is ~4e-5)
    args = dict(p=np.array([0.2, 0.7]), phi=0.9, psi=0.3, mu=1.0, d=2000, n=4000)
    est = S.accuracy_proportional(key, **args, seeds=SEEDS)
    assert np.all(np.abs(est.mean - V.accuracy_proportional(**args)) <= Z * est.stderr + 1e-3)
    # its twin simulates the finite system at the same arguments: the numbers of accuracy
    np.testing.assert_array_equal(est.mean, S.accuracy(key, **args, seeds=SEEDS).mean)


def test_every_theory_function_has_a_twin():
    import inspect

    public = [n for n in V.__all__ if callable(getattr(V, n)) and not n.startswith(("derive_",
                                                                                     "validate_"))]
    assert set(V.THEORY_ONLY) <= set(public)
    for name in sorted(set(public) - set(V.THEORY_ONLY)):
        theory = inspect.signature(getattr(V, name)).parameters
        sim = dict(inspect.signature(getattr(S, name)).parameters)
        kinds = [sim.pop(k).kind for k in ("key", "seeds", "options")]
        assert kinds[0] == inspect.Parameter.POSITIONAL_ONLY
        assert [(k, v.default) for k, v in sim.items()] == \
            [(k, v.default) for k, v in theory.items()], name
    sims = {n for n in S.__all__ if callable(getattr(S, n))}
    assert sims - set(S.SIM_ONLY) == set(public) - set(V.THEORY_ONLY)


def test_curated_data_beats_its_generator():
    # generator accuracy 1 - p = 0.6; with execution-feedback-like verification the classifier
    # trained on its kept outputs reaches near Bayes (Phi(1) = 0.84)
    acc = V.accuracy(p=0.4, phi=1.0, psi=0.05, mu=1.0, d=20, n=2000)
    assert acc > 0.83 > 0.6
    no_verifier = V.accuracy(p=0.4, phi=1.0, psi=1.0, mu=1.0, d=20, n=2000)
    assert no_verifier < acc


def test_kept_fraction_and_effective_noise_match_simulation(key):
    args = dict(p=np.array([0.3, 0.6]), phi=0.9, psi=0.2)
    kept = S.kept_fraction(key, **args, seeds=SEEDS)
    noise = S.effective_noise(key, **args, seeds=SEEDS)
    assert np.all(np.abs(kept.z(V.kept_fraction(**args))) <= Z)
    assert np.all(np.abs(noise.z(V.effective_noise(**args))) <= Z)


# --- iterated loop --------------------------------------------------------------------------------

def test_iterated_loop(key):
    # no verifier from a good generator; a verifier from a poor one (the clean fixed point ~0.26)
    args = dict(p=np.array([0.2, 0.4]), phi=1.0, psi=np.array([1.0, 0.05]), mu=1.0, d=400, n=400)
    est = S.iterated_error(key, **args, generations=3, seeds=SEEDS)
    # generation 1 is exact: E p_1 = 1 - accuracy(p_0)
    first = 1 - V.accuracy(**args)
    assert np.all(np.abs(est.mean[:, 1] - first) <= Z * est.stderr[:, 1])
    # later generations follow the proportional recursion [asymp]: within 0.01 at d = n = 400
    theory = V.iterated_error(**args, generations=3)
    assert np.all(np.abs(est.mean - theory) <= 0.01)
    # no verifier: the error grows; with the verifier it falls
    assert np.all(np.diff(est.mean[0]) > 0) and np.all(np.diff(est.mean[1]) < 0)


# --- trained classifiers (optax) ------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("loss", S.LOSSES)
def test_trained_classifier_reaches_the_limit(key, loss):
    args = dict(p=np.array([0.3, 0.95]), phi=0.9, psi=0.3, mu=1.0, d=10, n=4000)
    est = S.trained_accuracy(key, **args, loss=loss, seeds=32)
    np.testing.assert_allclose(est.mean, V.accuracy_limit(p=args["p"], phi=0.9, psi=0.3, mu=1.0),
                               atol=0.01)


# --- Zipf -----------------------------------------------------------------------------------------

def _zipf_brute(T, beta, N, k, p, phi, psi):
    """Enumerate every sequence of T (query, right?, kept?) draws; the learner answers with the
    latest kept answer."""
    probs = np.arange(1, N + 1, dtype=float) ** -beta
    probs /= probs.sum()
    outcomes = []
    for i in range(N):
        a = (1 - p) if i < k else 0.0
        outcomes += [(i, True, True, probs[i] * a * phi),
                     (i, True, False, probs[i] * a * (1 - phi)),
                     (i, False, True, probs[i] * (1 - a) * psi),
                     (i, False, False, probs[i] * (1 - a) * (1 - psi))]
    total = 0.0
    for seq in itertools.product(outcomes, repeat=T):
        weight = np.prod([o[3] for o in seq])
        latest = {}
        for q, right, kept, _ in seq:
            if kept:
                latest[q] = right
        total += weight * sum(probs[i] * (not latest.get(i, False)) for i in range(N))
    return total


@pytest.mark.parametrize("T,N,k,p,phi,psi", [(2, 2, 1, 0.3, 0.9, 0.2), (3, 3, 2, 0.5, 0.6, 0.6),
                                            (2, 3, 3, 0.1, 1.0, 0.0)])
def test_zipf_exact_small_cases(T, N, k, p, phi, psi):
    expected = _zipf_brute(T, 1.3, N, k, p, phi, psi)
    assert V.zipf_error(T=T, beta=1.3, N=N, k=k, p=p, phi=phi, psi=psi) == pytest.approx(
        expected, abs=1e-13)


def test_zipf_floors():
    probs = V.zipf_probs(500, 2.0)
    # no verifier: floor = sum p_i (1 - a_i) = p P_k + tail mass
    floor = 0.2 * probs[:50].sum() + probs[50:].sum()
    big_T = V.zipf_error(T=10**9, beta=2.0, N=500, k=50, p=0.2, phi=1, psi=1)
    assert big_T == pytest.approx(floor, rel=1e-9)
    # execution feedback (psi = 0): no verified-but-wrong answers; the error is the unknown tail
    assert V.zipf_error(T=10**9, beta=2.0, N=500, k=50, p=0.2, phi=1, psi=0) == pytest.approx(
        probs[50:].sum(), rel=1e-9)


def test_zipf_matches_simulation(key):
    args = dict(T=np.array([10, 200]), beta=1.5, N=100, k=30, p=0.2, phi=0.9, psi=0.2)
    theory = V.zipf_error(**args)
    suff = S.zipf_error(key, **args, seeds=512)
    raw = S.zipf_error(key, **{**args, "T": 200}, seeds=512, options=RAW)
    assert np.all(np.abs(suff.z(theory)) <= Z) and abs(raw.z(theory[1])) <= Z
    # the two samplers agree with each other (independent draws)
    assert abs(raw.mean - suff.mean[1]) <= Z * math.hypot(raw.stderr, suff.stderr[1])


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,name", [
    (dict(p=1.2, phi=1, psi=0), "p"), (dict(p=0.2, phi=-0.1, psi=0), "phi"),
    (dict(p=0.2, phi=1, psi=np.nan), "psi"), (dict(p=0.2, phi=0, psi=0), "phi"),
])
def test_bad_probabilities(kwargs, name):
    for fn in (V.kept_fraction, V.effective_noise):
        with pytest.raises(ValueError, match=name):
            fn(**kwargs)


def test_bad_input_messages(key):
    with pytest.raises(ValueError, match="phi"):
        V.critical_noise(phi=0, psi=0)
    with pytest.raises(ValueError, match="kept_fraction"):
        V.effective_noise(p=0.0, phi=0.0, psi=0.5)
    good = dict(p=0.2, phi=1.0, psi=0.1, mu=1.0, d=10, n=10)
    for name, bad in [("mu", 0.0), ("d", 0), ("n", 2.5), ("p", -1)]:
        for fn in (V.accuracy, V.accuracy_proportional, V.iterated_error):
            extra = {"generations": 2} if fn is V.iterated_error else {}
            with pytest.raises(ValueError, match=name):
                fn(**{**good, name: bad}, **extra)
        with pytest.raises(ValueError, match=name):
            S.accuracy(key, **{**good, name: bad}, seeds=8)
    with pytest.raises(ValueError, match="generations"):
        V.iterated_error(**good, generations=-1)
    with pytest.raises(ValueError, match="generations must be one integer"):
        S.iterated_error(key, **good, generations=[1, 2], seeds=8)
    with pytest.raises(ValueError, match="sampler must be one of 'sufficient' for "
                                         "iterated_error"):
        S.iterated_error(key, **good, generations=2, seeds=8, options=RAW)
    with pytest.raises(ValueError, match="loss"):
        S.trained_accuracy(key, **good, loss="hinge", seeds=8)
    zipf = dict(T=10, beta=1.5, N=20, k=5, p=0.1, phi=1.0, psi=0.0)
    for name, bad in [("k", 21), ("N", 0), ("T", -1), ("beta", 0.0)]:
        with pytest.raises(ValueError, match=name):
            V.zipf_error(**{**zipf, name: bad})
    with pytest.raises(ValueError, match="parameters do not broadcast"):
        V.kept_fraction(p=[0.1, 0.2], phi=[1.0, 0.5, 0.2], psi=0.1)


@settings(max_examples=40, deadline=None)
@given(bad=st.one_of(st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=True),
                     st.floats(min_value=1 + 1e-9, allow_nan=False, allow_infinity=True),
                     st.just(np.nan)),
       which=st.sampled_from(["p", "phi", "psi"]))
def test_out_of_range_probabilities_property(bad, which):
    kwargs = {"p": 0.3, "phi": 0.9, "psi": 0.2, which: bad}
    with pytest.raises(ValueError, match=which):
        V.kept_fraction(**kwargs)
    with pytest.raises(ValueError, match=which):
        V.accuracy_limit(**kwargs, mu=1.0)


# --- figures (the notebook: tests/test_notebooks.py) ---------------------------------------------

def test_figures_smoke(tmp_path):
    from paper_figures import FIGURES
    from paper_figures.__main__ import render

    names = [n for n in FIGURES if n.startswith("verification")]
    assert len(names) == 3
    written = render(names, scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert all(p.exists() and p.stat().st_size > 0 for p in written)
