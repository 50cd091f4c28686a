"""Trained learners in the Zipf memorisation loops (sim.neural) and the decoding samplers.

Statistical checks use a fixed key and |mean - expected| <= Z * stderr with Z = 4. The expected
error of a network that fits its training data is exactly (1 - 1/answers) times the memoriser's
(an unseen query's answer is uniform and independent of the training data, so it is guessed right
with probability 1/answers; sim/neural/_twins.py), which is what the agreement tests compare with.
"""

import dataclasses
import json
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import sim.neural as sn
import sim.zipf as sz
import theory.zipf as tz
from sim import RunOptions
from sim.neural import _decode as dec
from sim.neural._twins import _sweep

Z = 4.0
#: A chi-square test passes when its p-value is above this (fixed key: deterministic).
P_MIN = 1e-4


def _expected(theory, learner):
    return np.asarray(theory) * (1 - 1 / learner.answers)


def test_mlp_fits_and_follows_the_memorisation_law(key):
    """N = 128, T from 1 to 512 (most of the mass seen at the end, a single sample at the
    start): the trained MLP fits every training sample and its exact error agrees with the law;
    the tail-cut twin (the same program) too."""
    mlp = sn.MLP()
    T = np.array([1, 8, 64, 512])
    est = _sweep(sz.memorization_error, key, mlp, 16, None, dict(beta=1.5, T=T, N=128))
    np.testing.assert_array_equal(est.mean[:, 1], 0.0)  # training error: every sample fitted
    expected = _expected(tz.memorization_error(beta=1.5, T=T, N=128), mlp)
    assert np.all(np.abs(est[:, 0].z(expected)) <= Z), est[:, 0].z(expected)
    cut = sn.tail_cut_error(key, beta=1.5, T=T, k=16, N=128, seeds=16)
    expected = _expected(tz.tail_cut_error(beta=1.5, T=T, k=16, N=128), mlp)
    assert np.all(np.abs(cut.z(expected)) <= Z), cut.z(expected)


def test_mlp_mixed(key):
    """The clean share pi: the trained twin agrees with the law."""
    kw = dict(beta=1.5, T=np.array([20, 400]), k=8, pi=0.3, N=64)
    expected = _expected(tz.mixed_error(**kw), sn.MLP())
    est = sn.mixed_error(key, **kw, seeds=16)
    assert np.all(np.abs(est.z(expected)) <= Z), est.z(expected)


def test_the_test_can_fail_and_batching(key):
    """An MLP trained for 5 steps does not fit its data and is far from the law (so the
    agreement tests have power). Same key, same numbers; one seed per chunk (a loop of single
    seeds) equals the vmapped batch; the counts are sim.zipf's (the memoriser's error, read from
    the same seeds, equals sim.zipf's twin)."""
    weak = dataclasses.replace(sn.MLP(), steps=5)
    kw = dict(beta=1.5, T=400, N=64)
    under = _sweep(sz.memorization_error, key, weak, 16, None, kw)
    good = _expected(tz.memorization_error(**kw), weak)
    assert under.mean[1] > 0.01  # it misses training samples
    assert under[0].z(good) > 8, under[0].z(good)
    again = sn.memorization_error(key, **kw, seeds=16, learner=weak)
    assert again.mean == under.mean[0] and again.stderr == under.stderr[0]
    loop = _sweep(sz.memorization_error, key, weak, 16, RunOptions(batch_size=1), kw)
    np.testing.assert_array_equal(loop.mean, under.mean)
    np.testing.assert_array_equal(loop.stderr, under.stderr)
    memo = sz.memorization_error(key, **kw, seeds=16)
    np.testing.assert_allclose(under.mean[2], memo.mean, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("chain", ["resample", "cut"])
@pytest.mark.parametrize("T", [50, np.inf])
def test_mlp_generations_follow_the_chains(key, chain, T):
    """The chains of memorisers with a trained MLP as the final learner: fitted (training error
    0), in agreement with the exact resample chain and the mean-field cut chain (z = 4), and the
    chain's counts are sim.zipf's (its memoriser's error, from the same seeds, is equal)."""
    kw = dict(beta=1.5, T=T, T0=50, n=np.arange(4), chain=chain, N=64)
    est = _sweep(sz.generations_error, key, sn.MLP(), 16, None, kw)
    np.testing.assert_array_equal(est.mean[:, 1], 0.0)
    expected = _expected(tz.generations_error(**kw), sn.MLP())
    assert np.all(np.abs(est[:, 0].z(expected)) <= Z), est[:, 0].z(expected)
    memo = sz.generations_error(key, **kw, seeds=16)
    np.testing.assert_allclose(est.mean[:, 2], memo.mean, rtol=1e-12)


@pytest.mark.slow
def test_sharded_over_two_devices_equals_one_device(forced_devices_env):
    """The same key gives the same trained networks' errors on 1 and on 2 (CPU) devices."""
    code = textwrap.dedent("""
        import json, jax, numpy as np
        jax.config.update("jax_enable_x64", True)
        import sim.neural as sn
        from sim import RunOptions
        run = lambda devices: sn.memorization_error(
            jax.random.key(3), beta=1.5, T=np.array([5, 60]), N=32, seeds=6,
            learner=sn.MLP(steps=30), options=RunOptions(devices=devices)).mean.tolist()
        print(json.dumps([jax.device_count(), run(jax.devices()), run(jax.devices()[:1])]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300, env=forced_devices_env(2))
    n_dev, two, one = json.loads(out.stdout.strip().splitlines()[-1])
    assert n_dev == 2
    np.testing.assert_allclose(two, one, rtol=1e-6)


@pytest.mark.slow
def test_transformer_follows_the_memorisation_law(key):
    tr = sn.Transformer()
    T = np.array([2, 30, 300])
    est = _sweep(sz.memorization_error, key, tr, 16, None, dict(beta=1.5, T=T, N=128))
    np.testing.assert_array_equal(est.mean[:, 1], 0.0)
    expected = _expected(tz.memorization_error(beta=1.5, T=T, N=128), tr)
    assert np.all(np.abs(est[:, 0].z(expected)) <= Z), est[:, 0].z(expected)


@pytest.mark.slow
def test_transformer_fits_small(key):
    """The transformer language model fits its training data (N = 32, few seeds)."""
    est = sn.fit_error(key, beta=1.5, T=np.array([3, 40]), N=32, seeds=2, learner="transformer")
    np.testing.assert_array_equal(est.mean, 0.0)


def test_bad_input(key):
    with pytest.raises(ValueError, match=r"^learner must be one of 'mlp', 'transformer'"):
        sn.memorization_error(key, beta=1.5, T=10, N=32, seeds=2, learner="cnn")
    with pytest.raises(ValueError, match=r"^N must be a finite integer for a trained learner"):
        sn.memorization_error(key, beta=1.5, T=10, seeds=2)
    with pytest.raises(ValueError, match=r"^beta must"):
        sn.memorization_error(key, beta=0.5, T=10, N=32, seeds=2)
    with pytest.raises(TypeError, match=r"^tail_cut_error\(\) missing keyword"):
        sn.tail_cut_error(key, beta=1.5, T=10, N=32, seeds=2)
    with pytest.raises(ValueError, match=r"^steps must"):
        sn.MLP(steps=0)
    with pytest.raises(ValueError, match=r"^lr must"):
        sn.Transformer(lr=-1.0)
    with pytest.raises(ValueError, match=r"^d_model must be a multiple of heads"):
        sn.Transformer(d_model=30, heads=4)
    z = jnp.zeros(5)
    for bad in (0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"^top_p must be a real number in \(0, 1\]"):
            dec.top_p_logits(z, bad)
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match=r"^top_k must be an integer >= 1"):
            dec.top_k_logits(z, bad)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match=r"^temperature must be a real number > 0"):
            sn.Decoding(temperature=bad)
    with pytest.raises(ValueError, match=r"^top_p must"):
        sn.Decoding(top_p=0.0)


# --------------------------------------------------------------------------- decoding
LOGITS = np.log(np.array([0.30, 0.22, 0.16, 0.11, 0.08, 0.06, 0.04, 0.02, 0.007, 0.003]))


def _law(decoding: "sn.Decoding") -> np.ndarray:
    """The decoded law, computed independently in NumPy from its definition."""
    q = np.exp(LOGITS / decoding.temperature)
    q /= q.sum()
    order = np.argsort(-q, kind="stable")
    keep = np.ones(q.size, bool)
    if decoding.top_k is not None:
        keep[order[decoding.top_k:]] = False
        q = np.where(keep, q, 0) / np.where(keep, q, 0).sum()
    if decoding.top_p is not None:
        above = np.cumsum(q[order]) - q[order]
        keep[order[above >= decoding.top_p]] = False
        q = np.where(keep, q, 0) / np.where(keep, q, 0).sum()
    return q


@pytest.mark.parametrize("decoding", [
    sn.Decoding(top_k=3), sn.Decoding(top_p=0.7), sn.Decoding(top_p=1.0), sn.Decoding(top_k=1),
    sn.Decoding(temperature=0.5), sn.Decoding(temperature=2.0, top_k=5, top_p=0.8)],
    ids=str)
def test_decoding_draws_the_decoded_law(key, decoding):
    """Chi-square goodness of fit (20000 draws, fixed key, p-value > P_MIN) on the support, and
    no draw outside it."""
    draws = np.asarray(dec.sample(key, jnp.asarray(LOGITS), decoding, shape=(20000,)))
    law = _law(decoding)
    counts = np.bincount(draws, minlength=law.size)
    assert np.all(counts[law == 0] == 0)
    support = law > 0
    if support.sum() == 1:
        assert counts[support][0] == draws.size
        return
    chi2 = stats.chisquare(counts[support], draws.size * law[support])
    assert chi2.pvalue > P_MIN, (chi2, counts, law)


# --------------------------------------------------------------------------- decoded loop
def test_decoded_generations_bad_input(key):
    kw = dict(beta=1.5, T0=50, n=1, N=16, seeds=2)
    with pytest.raises(ValueError, match=r"^learner must be 'transformer'"):
        sn.decoded_generations_error(key, **kw, learner="mlp")
    with pytest.raises(ValueError, match=r"^policy must be one of"):
        sn.decoded_generations_error(key, **kw, policy="weighted")
    with pytest.raises(ValueError, match=r"^temperature must be a real number > 0"):
        sn.decoded_generations_error(key, **kw, decoding={"temperature": 0.0})
    with pytest.raises(ValueError, match=r"^decoding must be a sim.neural.Decoding"):
        sn.decoded_generations_error(key, **kw, decoding=0.5)
    with pytest.raises(ValueError, match=r"^verifier must be True or False"):
        sn.decoded_generations_error(key, **kw, verifier=1)
    with pytest.raises(ValueError, match=r"^N must be a finite integer"):
        sn.decoded_generations_error(key, **{**kw, "N": None})
    with pytest.raises(ValueError, match=r"^n must be an integer >= 0"):
        sn.decoded_generations_error(key, **{**kw, "n": -1})


@pytest.mark.slow
def test_decoded_generations_follow_the_resample_chain(key):
    """Temperature 1, no cut, a verifier, replace: the trained language models' chain agrees
    with the exact resample chain (z = 4) over generations 0..3; at temperature 0.5 it loses the
    tail faster (generation 3 above the chain by more than 4 standard errors)."""
    kw = dict(beta=1.5, T0=200, n=np.arange(4), N=64)
    expected = _expected(tz.generations_error(beta=1.5, T=200, T0=200, n=kw["n"],
                                              chain="resample", N=64), sn.Transformer())
    est = sn.decoded_generations_error(key, **kw, verifier=True, seeds=8)
    assert np.all(np.abs(est.z(expected)) <= Z), est.z(expected)
    cold = sn.decoded_generations_error(key, **kw, verifier=True, seeds=8,
                                        decoding=sn.Decoding(temperature=0.5))
    assert cold[3].z(expected[3]) > Z, cold[3].z(expected[3])


# --------------------------------------------------------------------------- figure
def test_figure_registered():
    import paper_figures.neural  # noqa: F401  (registers the figure)
    from paper_figures._registry import FIGURES
    assert "neural_memorization" in FIGURES


@pytest.mark.slow
def test_figure_renders_at_smoke_scale(tmp_path):
    import paper_figures.neural  # noqa: F401
    from paper_figures.__main__ import render
    render(["neural_memorization"], scale="smoke", out=tmp_path, cache=tmp_path / "cache",
           quiet=True)
    assert (tmp_path / "neural_memorization.png").exists()
