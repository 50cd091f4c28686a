"""Refitting a categorical law: Wright-Fisher chain, Poisson chain, heterozygosity, curation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.discrete as sd
import theory.discrete as td
from sim import RunOptions
from theory.policy import Policy

Z = 4.0
P = np.arange(1, 7.0) ** -1.5 / np.sum(np.arange(1, 7.0) ** -1.5)


def test_loss_probability_symbolic():
    q, M = sp.symbols("q M", positive=True)
    assert sp.simplify(td.derive_loss_probability().subs({td.q_: q, td.M_: M}) - (1 - q) ** M) == 0
    assert td.loss_probability(q=0.1, M=10) == pytest.approx(0.9**10)


def test_exact_small_case():
    """M = 2, two states: enumerate the chain by hand (numpy), compare lost mass and fixation."""
    q = 0.3
    law = np.array([(1 - q) ** 2, 2 * q * (1 - q), q**2])  # count of state 0 after generation 1
    kernel = np.array([[1, 0, 0], [0.25, 0.5, 0.25], [0, 0, 1]])
    for n in (1, 2, 5):
        at_n = law @ np.linalg.matrix_power(kernel, n - 1)
        assert td.fixation_probability(q=q, M=2, n=n) == pytest.approx(at_n[2])
        lost = q * at_n[0] + (1 - q) * at_n[2]
        assert td.expected_lost_mass(p=[q, 1 - q], M=2, n=n) == pytest.approx(lost)


def test_fixation_tends_to_initial_mass():
    assert td.fixation_probability(q=0.3, M=10, n=np.inf) == pytest.approx(0.3)
    assert td.fixation_probability(q=0.3, M=10, n=2000) == pytest.approx(0.3, abs=1e-9)


def test_policies_order():
    n = [1, 5, 20]
    rep = td.expected_lost_mass(p=P, M=15, n=n)
    acc = td.expected_lost_mass(p=P, M=15, n=n, policy="accumulate")
    mix = td.expected_lost_mass(p=P, M=15, n=n, policy=Policy.mix(0.3))
    assert np.allclose(acc, np.sum(P * (1 - P) ** 15)) and np.allclose(rep[0], acc[0])
    assert np.all(np.diff(rep) > 0) and np.all(mix[1:] < rep[1:]) and np.all(mix[1:] > acc[1:])


def test_bad_input():
    with pytest.raises(ValueError, match="p must be"):
        td.expected_lost_mass(p=[0.5, 0.6], M=3, n=1)
    with pytest.raises(ValueError, match="policy must be one of"):
        td.expected_lost_mass(p=P, M=3, n=1, policy="weighted")
    with pytest.raises(ValueError, match="n must be"):
        td.fixation_probability(q=0.2, M=3, n=1.5)


@given(st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1 + 1e-9), st.just(float("nan"))))
@settings(max_examples=15, deadline=None)
def test_bad_q(q):
    with pytest.raises(ValueError, match="q"):
        td.loss_probability(q=q, M=3)


@pytest.mark.parametrize("policy", ["replace", pytest.param("accumulate", marks=pytest.mark.slow),
                                    pytest.param(Policy.mix(0.3), marks=pytest.mark.slow)])
def test_lost_mass_matches_simulation(key, policy):
    kw = dict(p=P, M=15, n=[1, 6], policy=policy)
    est = sd.expected_lost_mass(key, **kw, seeds=4000)
    assert np.all(np.abs(est.z(td.expected_lost_mass(**kw))) < Z)


@pytest.mark.slow
def test_raw_counts_and_fixation(key):
    kw = dict(q=0.3, M=6, n=[3, 12])
    est = sd.fixation_probability(key, **kw, seeds=4000)
    assert np.all(np.abs(est.z(td.fixation_probability(**kw))) < Z)
    a = sd.expected_lost_mass(key, p=P, M=15, n=[1, 6], seeds=3000)
    b = sd.expected_lost_mass(jax.random.fold_in(key, 3), p=P, M=15, n=[1, 6], seeds=3000,
                              options=RunOptions(sampler="raw"))
    assert np.all(np.abs(a.mean - b.mean) < Z * np.hypot(a.stderr, b.stderr))


def test_agrees_with_zipf_resample_chain():
    """The Zipf resampling chain's lost mass (T = inf), computed independently
    in theory.zipf, is this chain's expected lost mass."""
    from theory.zipf import generations_error

    p = np.arange(1, 51.0) ** -1.5
    p /= p.sum()
    ours = td.expected_lost_mass(p=p, M=20, n=[1, 3, 10])
    zipf = generations_error(beta=1.5, T=np.inf, T0=20, n=[1, 3, 10], chain="resample", N=50)
    np.testing.assert_allclose(ours, zipf, rtol=1e-9)


def test_loss_probability_matches_simulation(key):
    kw = dict(q=np.array([0.05, 0.3]), M=np.array([10, 4]))
    est = sd.loss_probability(key, **kw, seeds=4000)
    assert est.shape == (2,) and np.all(np.abs(est.z(td.loss_probability(**kw))) < Z)


def test_fixation_simulation_needs_finite_n(key):
    assert td.fixation_probability(q=0.3, M=5, n=[2, np.inf])[1] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="n must be finite for a simulation"):
        sd.fixation_probability(key, q=0.3, M=5, n=[2, np.inf], seeds=10)
    with pytest.raises(ValueError, match="n must be an integer >= 0 or inf"):
        sd.fixation_probability(key, q=0.3, M=5, n=1.5, seeds=10)


def _dense_count_law(q, M, n, a):
    """The count law by the full (M+1) x (M+1) transition matrix (scipy.stats.binom)."""
    from scipy.stats import binom

    c = np.arange(M + 1)
    kernel = binom.pmf(c[None, : M - a + 1], M - a, c[:, None] / M)
    if a:
        real = binom.pmf(np.arange(a + 1), a, q)
        kernel = np.stack([np.convolve(row, real) for row in kernel])
    law = binom.pmf(c, M, q)
    for _ in range(n - 1):
        law = law @ kernel
    return law


@pytest.mark.parametrize("real", [0.0, 0.3])
def test_banded_count_law_equals_dense(real):
    """At M = 200 the Binomial windows cut most rows; the result matches the dense chain."""
    M, n = 200, 12
    a = int(np.rint(real * M))
    for q in (0.01, 0.3):
        dense = _dense_count_law(q, M, n, a)
        assert np.abs(td._count_law(q, M, n, a) - dense).sum() < 1e-13
    policy = Policy.mix(real) if real else "replace"
    lost = sum(pi * _dense_count_law(pi, M, n, a)[0] for pi in P)
    assert lost > 1e-5
    assert abs(td.expected_lost_mass(p=P, M=M, n=n, policy=policy) - lost) < 1e-13
    if not real:
        fixed = _dense_count_law(0.9, M, n, 0)[M]
        assert fixed > 1e-3 and abs(td.fixation_probability(q=0.9, M=M, n=n) - fixed) < 1e-13


def test_large_population():
    """M = 1e4: generation 2 loses a state with probability E (1 - c_1/M)^M, c_1 ~ Bin(M, q)."""
    from scipy.stats import binom

    M, p = 10_000, np.array([5e-4, 1 - 5e-4])
    c = np.arange(M + 1)
    lost = sum(q * np.sum(binom.pmf(c, M, q) * (1 - c / M) ** M) for q in p)
    assert lost > 1e-6
    assert abs(td.expected_lost_mass(p=p, M=M, n=2) - lost) < 1e-15
    law = td._count_law(0.05, M, 10, 0)  # a martingale: the mean count stays M q
    assert abs(law.sum() - 1) < 1e-12 and abs(law @ c - 0.05 * M) < 1e-8
    assert 0 <= td.fixation_probability(q=0.05, M=M, n=10) < 1e-15


def _close(est, expected, z=Z, atol=1e-12):
    """|mean - theory| <= z stderr (+ float rounding, for points where every seed agrees)."""
    expected = np.asarray(expected)
    assert est.shape == expected.shape
    bad = np.abs(est.mean - expected) > z * est.stderr + atol
    assert not np.any(bad), (est.mean[bad], expected[bad], est.stderr[bad])


# ---------------------------------------------------------------------------------- Poisson


def test_poisson_pgf_symbolic():
    lam, s = td.lam_, td.s_
    assert sp.simplify(td.derive_poisson_pgf() - sp.exp(lam * (s - 1))) == 0
    # two refits: P(X_2 = 0) = E exp(-X_1), X_1 ~ Poisson(n rate0): the pgf at s = 1/e
    n, rate0 = 3, 0.4
    extinct = float(td.derive_poisson_pgf().subs({lam: n * rate0, s: sp.exp(-1)}))
    assert td.poisson_survival(n=n, rate0=rate0, k=2) == pytest.approx(1 - extinct, rel=1e-14)


def test_poisson_survival_by_enumeration():
    """The chain's law on X = n rate (integers), pushed through Poisson(X) pmfs (numpy)."""
    from scipy.stats import poisson

    top = 80
    x = np.arange(top + 1)
    kernel = poisson.pmf(x[None, :], x[:, None])  # row X -> Poisson(X), truncated at 80
    for n, rate0 in ((1, 0.7), (4, 0.5), (2, 3.0)):
        law = poisson.pmf(x, n * rate0)
        for k in range(1, 8):
            assert td.poisson_survival(n=n, rate0=rate0, k=k) == pytest.approx(1 - law[0],
                                                                               abs=1e-13)
            law = law @ kernel
    assert np.all(td.poisson_survival(n=[1, 7], rate0=0.2, k=0) == 1.0)


def test_poisson_bounds_and_rate():
    k = np.arange(1, 3001)
    exact = td.poisson_survival(n=1, rate0=1e-3, k=k)
    lo, hi = np.moveaxis(td.poisson_survival_bounds(n=1, rate0=1e-3, k=k), -1, 0)
    assert np.all(lo <= exact * (1 + 1e-12)) and np.all(exact <= hi * (1 + 1e-12))
    assert lo[0] == pytest.approx(exact[0]) and hi[0] == pytest.approx(exact[0])
    g = td._poisson_g(20000)
    assert 1.99 < 20000 * g[-1] < 2.0  # g_k ~ 2/k
    assert np.all((1 / k <= g[1:3001]) & (g[1:3001] <= 3 / k))


def test_poisson_survival_matches_simulation(key):
    kw = dict(n=np.array([1, 1, 5, 5, 20, 3]), rate0=np.array([0.3, 2.0, 0.2, 1.0, 0.1, 0.5]),
              k=np.array([1, 6, 3, 10, 25, 2]))
    _close(sd.poisson_survival(key, **kw, seeds=2000), td.poisson_survival(**kw))


@pytest.mark.slow
def test_poisson_raw_draws(key):
    kw = dict(n=np.array([1, 4, 9]), rate0=np.array([1.5, 0.3, 0.2]), k=np.array([3, 5, 8]))
    est = sd.poisson_survival(key, **kw, seeds=4000, options=RunOptions(sampler="raw"))
    _close(est, td.poisson_survival(**kw))


def test_poisson_bad_input():
    with pytest.raises(ValueError, match=r"^rate0 must be a real number > 0"):
        td.poisson_survival(n=3, rate0=0.0, k=2)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        td.poisson_survival(n=0, rate0=1.0, k=2)
    with pytest.raises(ValueError, match=r"^k must be an integer >= 0"):
        td.poisson_survival(n=3, rate0=1.0, k=1.5)


# ------------------------------------------------------------------ heterozygosity, policies

P4 = np.array([0.5, 0.3, 0.15, 0.05])
POLICIES = ("replace", "accumulate", Policy.mix(0.3), Policy.fixed_real(1.5))


def _compositions(total, k):
    if k == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, k - 1):
            yield (first, *rest)


def _multinomial(total, probs):
    from scipy.stats import multinomial

    for c in _compositions(total, len(probs)):
        yield np.array(c), float(multinomial.pmf(c, total, probs)) if total else 1.0


def _enumerate_chain(p, M, n, policy):
    """Every generation-n training set of the chain with its probability (exhaustive): a list of
    (counts, prob); the law is counts / counts.sum()."""
    pol = Policy(policy) if isinstance(policy, str) else policy
    a = int(np.rint(pol.real * M)) if pol.name == "mix" else 0
    s = int(np.rint(pol.ratio * M)) if pol.name == "fixed-real" else 0
    states = [((c, c), w) for c, w in _multinomial(M, p)]  # (training counts, real sample)
    for _ in range(n - 1):
        nxt = {}
        for (c, r), w in states:
            q = c / c.sum()
            if pol.name == "accumulate":
                outs = [(c + x, wx) for x, wx in _multinomial(M, q)]
            elif pol.name == "fixed-real":
                outs = [(r + x, wx) for x, wx in _multinomial(s, q)]
            else:
                outs = [(x + y, wx * wy) for x, wx in _multinomial(M - a, q)
                        for y, wy in _multinomial(a, p)]
            for c2, w2 in outs:
                key = (tuple(c2), tuple(r))
                nxt[key] = nxt.get(key, 0.0) + w * w2
        states = [((np.array(c), np.array(r)), w) for (c, r), w in nxt.items()]
    return [(c, w) for (c, _), w in states]


def _expect(chain, f):
    return sum(w * f(c / c.sum()) for c, w in chain)


@pytest.mark.parametrize("policy", POLICIES, ids=str)
def test_moments_by_enumeration(policy):
    """Heterozygosity, distance and support against every path of the chain (M = 2, 3)."""
    p = np.array([0.6, 0.3, 0.1])
    for M in (2, 3):
        for n in (1, 2, 3):
            chain = _enumerate_chain(p, M, n, policy)
            assert sum(w for _, w in chain) == pytest.approx(1.0)
            kw = dict(p=p, M=M, n=n, policy=policy)
            assert td.heterozygosity(**kw) == pytest.approx(
                _expect(chain, lambda q: 1 - np.sum(q**2)), abs=1e-13)
            assert td.squared_distance(**kw) == pytest.approx(
                _expect(chain, lambda q: np.sum((q - p) ** 2)), abs=1e-13)
            assert td.expected_support(**kw) == pytest.approx(
                _expect(chain, lambda q: np.count_nonzero(q)), abs=1e-13)
            assert td.expected_lost_mass(**kw) == pytest.approx(
                _expect(chain, lambda q: np.sum(p * (q == 0))), abs=1e-13)


def test_heterozygosity_symbolic():
    rho, c = td.derive_mix_heterozygosity()
    M = td.Mm
    assert sp.simplify(rho.subs(td.a_, 0).subs(td.b_, M) - (1 - 1 / M)) == 0
    assert sp.simplify(c.subs(td.a_, 0)) == 0
    assert sp.simplify((rho + c) - (1 - 1 / (td.a_ + td.b_))) == 0  # uniform drift 1 - 1/M
    limit = td.derive_accumulate_limit()
    H0 = 1 - np.sum(P4**2)
    value = float(limit.subs(M, 7))
    assert td.heterozygosity(p=P4, M=7, n=np.inf, policy="accumulate") == \
        pytest.approx(H0 * value, rel=1e-14)
    assert td.heterozygosity(p=P4, M=7, n=200000, policy="accumulate") == \
        pytest.approx(H0 * value, rel=1e-6)


def test_heterozygosity_invariances():
    M, n = 9, np.array([0, 1, 2, 5, 40])
    H0 = 1 - np.sum(P4**2)
    np.testing.assert_allclose(td.heterozygosity(p=P4, M=M, n=n), H0 * (1 - 1 / M) ** n,
                               rtol=1e-14)
    uniform = np.full(5, 0.2)
    np.testing.assert_allclose(td.heterozygosity(p=uniform, M=4, n=3), 0.8 * 0.75**3)
    np.testing.assert_allclose(td.heterozygosity(p=P4, M=M, n=n, policy=Policy.mix(0.0)),
                               td.heterozygosity(p=P4, M=M, n=n), rtol=1e-14)
    # fixed-real with ratio 1 at generation 2 is accumulate at generation 2 (the same 2M points)
    assert td.heterozygosity(p=P4, M=M, n=2, policy=Policy.fixed_real(1.0)) == \
        pytest.approx(td.heterozygosity(p=P4, M=M, n=2, policy="accumulate"), rel=1e-14)
    # fixed-real with ratio 0 is the real sample forever
    np.testing.assert_allclose(td.heterozygosity(p=P4, M=M, n=n[1:], policy=Policy.fixed_real(0)),
                               (1 - 1 / M) * H0, rtol=1e-14)
    for policy in POLICIES:
        kw = dict(p=P4, M=M, policy=policy)
        lim = td.heterozygosity(**kw, n=np.inf)
        assert td.heterozygosity(**kw, n=3000) == pytest.approx(lim, rel=1e-3, abs=1e-12)
        np.testing.assert_allclose(td.squared_distance(**kw, n=n),
                                   H0 - td.heterozygosity(**kw, n=n), atol=1e-15)
    # the stationary fixed-real value, by sympy's solve of the two-moment fixed point
    S, A, m, s, S0 = sp.symbols("S A M s S0")
    R2 = m + m * (m - 1) * S0
    L = m + s
    sol = sp.solve([sp.Eq(A, (R2 + s * A) / L),
                    sp.Eq(S, (R2 + 2 * s * A + s + s * (s - 1) * S) / L**2)], [S, A], dict=True)[0]
    value = float(sol[S].subs({m: M, s: 14, S0: float(np.sum(P4**2))}))
    assert td.heterozygosity(p=P4, M=M, n=np.inf, policy=Policy.fixed_real(14 / 9)) == \
        pytest.approx(1 - value, rel=1e-13)


@pytest.mark.parametrize("policy", ["replace", Policy.fixed_real(1.5),
                                    pytest.param("accumulate", marks=pytest.mark.slow),
                                    pytest.param(Policy.mix(0.3), marks=pytest.mark.slow)],
                         ids=str)
def test_moments_match_simulation(key, policy):
    """Heterozygosity, distance, support against the raw refits (9 points, M = 1 and n = 1
    included); the simulation-only entropy against every path of the chain at M = 1, 2."""
    kw = dict(p=P4, M=np.array([[1], [2], [7]]), n=[1, 2, 6], policy=policy)
    for name in ("heterozygosity", "squared_distance", "expected_support"):
        _close(getattr(sd, name)(key, **kw, seeds=2000), getattr(td, name)(**kw))
    est = sd.entropy(key, **kw, seeds=2000)  # the same chains (one compiled program)
    exact = [[_expect(_enumerate_chain(P4, M, n, policy),
                      lambda q: -np.sum(q[q > 0] * np.log(q[q > 0]))) for n in (1, 2, 6)]
             for M in (1, 2)]
    _close(est[:2], np.array(exact))
    assert np.all(est.mean[2] > 0) and np.all(np.diff(est.mean[:, 0]) > 0)


def test_moments_bad_input(key):
    with pytest.raises(ValueError, match=r"^n must be an integer >= 0 or inf"):
        td.heterozygosity(p=P4, M=5, n=1.5)
    with pytest.raises(ValueError, match=r"^policy must be one of"):
        td.squared_distance(p=P4, M=5, n=1, policy="weighted")
    with pytest.raises(ValueError, match=r"^p must be a 1-D probability vector"):
        td.expected_support(p=[0.5, 0.6], M=5, n=1)
    with pytest.raises(ValueError, match=r"^M must be an integer >= 1"):
        td.heterozygosity(p=P4, M=0, n=1)
    with pytest.raises(ValueError, match=r"^n must be finite for a simulation"):
        sd.heterozygosity(key, p=P4, M=5, n=[1, np.inf], seeds=4)


# ------------------------------------------------------------------------ curation by a reward

R4 = np.array([0.0, 1.0, -2.0, 3.0])


def _curate_by_enumeration(p, reward, K):
    """P(keep state i): the average over the multinomial counts c of the K candidates of
    c_i e^r_i / sum_j c_j e^r_j (exhaustive)."""
    w = np.exp(reward - reward.max())
    return sum(prob * c * w / np.sum(c * w) for c, prob in _multinomial(K, p))


@pytest.mark.parametrize("reward", [R4, np.array([0.0, 30.0, -40.0, 3.0]), -R4 - 100],
                         ids=["moderate", "span-70", "negative"])
def test_curation_one_round_by_enumeration(reward):
    for K in (1, 2, 3, 6, 11):
        law = td.curated_law(p=P4, reward=reward, K=K, n=1)
        np.testing.assert_allclose(law, _curate_by_enumeration(P4, reward, K), rtol=1e-12,
                                   atol=1e-15)
        assert law.sum() == pytest.approx(1.0, abs=1e-14)


def test_curation_invariances():
    n = np.array([0, 1, 4])
    np.testing.assert_allclose(td.curated_law(p=P4, reward=R4, K=1, n=n), np.tile(P4, (3, 1)),
                               rtol=1e-15)  # K = 1: no selection
    np.testing.assert_allclose(td.curated_law(p=P4, reward=R4 + 7.5, K=3, n=n),
                               td.curated_law(p=P4, reward=R4, K=3, n=n), rtol=1e-13)
    tilt = P4 * np.exp(np.outer(n, R4))
    np.testing.assert_allclose(td.curated_law(p=P4, reward=R4, K=np.inf, n=n),
                               tilt / tilt.sum(axis=1, keepdims=True), rtol=1e-13)
    big = td.curated_law(p=P4, reward=R4, K=4000, n=1)  # K -> inf: the tilted law, O(1/K)
    assert np.abs(big - tilt[1] / tilt[1].sum()).max() < 2e-3
    K = np.array([1, 2, 4, 16, np.inf])
    rounds = np.arange(0, 8)[:, None]
    rew = td.curated_reward(p=P4, reward=R4, K=K, n=rounds)
    assert np.all(np.diff(rew, axis=0)[:, 1:] > 0) and np.all(np.diff(rew, axis=1)[1:] > 0)
    assert rew[-1, -1] == pytest.approx(3.0, abs=1e-2)  # concentrates on the best state
    # one kept sample (M = 1) fixes the law after the first round: E p_n = E p_1
    two = dict(p=[0.7, 0.3], reward=[0.0, 1.0], K=4)
    np.testing.assert_allclose(td.curated_law(**two, n=[1, 2, 6], M=1),
                               np.tile(td.curated_law(**two, n=1), (3, 1)), rtol=1e-12)
    # n = 1 with finite M is the infinite-sample law, for any number of states
    np.testing.assert_allclose(td.curated_law(p=P4, reward=R4, K=3, n=1, M=5),
                               td.curated_law(p=P4, reward=R4, K=3, n=1), rtol=1e-15)


def test_curation_with_real_data():
    """mix: the fixed point q = real p + (1 - real) G(q) keeps the reward bounded."""
    mix = dict(p=P4, reward=R4, K=4, policy=Policy.mix(0.25))
    np.testing.assert_allclose(td.curated_law(p=P4, reward=R4, K=4, n=[1, 3],
                                              policy=Policy.mix(0.0)),
                               td.curated_law(p=P4, reward=R4, K=4, n=[1, 3]), rtol=1e-15)
    q = td.curated_law(**mix, n=60)
    np.testing.assert_allclose(q, 0.25 * P4 + 0.75 * td.curated_law(p=q, reward=R4, K=4, n=1),
                               rtol=1e-10)
    assert np.all(q >= 0.25 * P4)
    rewards = td.curated_reward(**mix, n=np.arange(0, 30))
    assert rewards[-1] < td.curated_reward(p=P4, reward=R4, K=4, n=29) - 0.3
    assert np.all(np.diff(rewards) > -1e-12) and rewards[-1] < 3.0
    # finite M at n = 1: the share of fresh samples is round(real M)/M
    assert td.curated_law(**mix, n=1, M=6) == pytest.approx(
        2 / 6 * P4 + 4 / 6 * td.curated_law(p=P4, reward=R4, K=4, n=1), rel=1e-14)


def test_inverse_cdf_draws_by_weight_and_never_a_zero_weight():
    """u on a fine grid of [0, 1): each index is drawn for a share of u equal to its weight,
    to the grid's resolution; zero weights (first, inner, last) are never drawn."""
    from sim.discrete import _inverse_cdf
    w = np.array([0.0, 0.2, 0.0, 0.5, 0.3, 0.0])
    u = (np.arange(100_000) + 0.5) / 100_000
    idx = np.asarray(_inverse_cdf(jnp.asarray(u), jnp.cumsum(jnp.asarray(w))))
    np.testing.assert_allclose(np.bincount(idx, minlength=6) / u.size, w, atol=1e-5)
    rows = jnp.cumsum(jnp.asarray([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]]), axis=1)  # one per row
    np.testing.assert_array_equal(_inverse_cdf(jnp.asarray([0.3, 0.3]), rows), [2, 1])


def test_curation_infinite_sample_matches_simulation(key):
    """M = inf: the tree of candidate draws (exact draws of every round's law). Rewards R4/3
    keep every state's mass above 0.015: at least ~60 expected draws among the 4000 that 1000
    seeds hold at the deepest level, so that the z band (estimated stderr) applies."""
    kw = dict(p=P4, reward=R4 / 3, K=np.array([[2], [4]]), n=[0, 1, 3])
    assert td.curated_law(**kw).min() > 0.015
    _close(sd.curated_law(key, **kw, seeds=1000), td.curated_law(**kw))
    _close(sd.curated_reward(key, **kw, seeds=1000), td.curated_reward(**kw))
    kw["policy"] = Policy.mix(0.3)  # a share of fresh real draws (the tree draws them: static)
    _close(sd.curated_law(key, **kw, seeds=1000), td.curated_law(**kw))


def test_curation_finite_sample_matches_simulation(key):
    """Finite M: Wright-Fisher with selection, exact for two states (18 points, M = 1 and
    n = 1 included), without and with fresh real data."""
    kw = dict(p=[0.7, 0.3], reward=[0.0, 1.0], K=np.array([[1], [2], [4]]), n=[1, 2, 5],
              M=np.array([[[1]], [[10]]]))
    _close(sd.curated_law(key, **kw, seeds=1500), td.curated_law(**kw))
    kw["policy"] = Policy.mix(0.3)  # round(0.3 M) fresh real samples: 0 at M = 1, 3 at M = 10
    _close(sd.curated_law(key, **kw, seeds=1500), td.curated_law(**kw))


@pytest.mark.slow
def test_curation_finite_sample_four_states(key):
    kw = dict(p=P4, reward=R4, K=3, n=1, M=[2, 6])
    _close(sd.curated_reward(key, **kw, seeds=1500), td.curated_reward(**kw))


def test_curation_bad_input(key):
    with pytest.raises(ValueError, match=r"^reward must be a finite real vector"):
        td.curated_law(p=P4, reward=[0.0, 1.0, np.inf, 2.0], K=2, n=1)
    with pytest.raises(ValueError, match=r"^reward must be a finite real vector"):
        td.curated_reward(p=P4, reward=[0.0, 1.0], K=2, n=1)
    with pytest.raises(ValueError, match=r"^K must be a real number >= 1"):
        td.curated_law(p=P4, reward=R4, K=0, n=1)
    with pytest.raises(ValueError, match=r"^K must be an integer >= 1 or inf"):
        td.curated_law(p=P4, reward=R4, K=2.5, n=1)
    with pytest.raises(ValueError, match=r"^M must be inf"):
        td.curated_law(p=P4, reward=R4, K=2, n=2, M=10)
    with pytest.raises(ValueError, match=r"^K must be finite for a simulation"):
        sd.curated_law(key, p=P4, reward=R4, K=np.inf, n=1, seeds=4)
    with pytest.raises(ValueError, match=r"^K\^n must be at most"):
        sd.curated_law(key, p=P4, reward=R4, K=16, n=5, seeds=4)


# ---------------------------------------------------------------------------------- the figure


def test_figure_registered():
    import paper_figures.discrete_loops  # noqa: F401  (registers the figure)
    from paper_figures._registry import FIGURES

    assert "discrete_loops" in FIGURES


@pytest.mark.slow
def test_figure_renders_at_smoke_scale(tmp_path):
    from paper_figures.__main__ import render

    render(["discrete_loops"], scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert (tmp_path / "discrete_loops.png").exists()
