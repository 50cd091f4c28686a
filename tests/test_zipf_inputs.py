"""Bad input to the Zipf theory functions and simulators raises ValueError naming the parameter."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.zipf as sz
import theory.zipf as tz
from theory.zipf._generations import generation_factor, generations_error

GOOD = {"beta": 2.0, "T": 10.0, "k": 5, "pi": 0.5, "N": 100}

below_one = st.floats(max_value=1.0, allow_nan=False)
negative = st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False)
bad_pi = st.one_of(st.floats(max_value=-1e-9, allow_nan=False),
                   st.floats(min_value=1.0 + 1e-9, allow_nan=False))
bad_p = st.one_of(st.floats(max_value=0.0, allow_nan=False),
                  st.floats(min_value=1.0, allow_nan=False))
bad_k = st.one_of(st.integers(max_value=0), st.floats(min_value=1.1, max_value=99.9).filter(
    lambda v: v != round(v)))

FAST = settings(max_examples=25, deadline=None)


@FAST
@given(beta=below_one)
def test_beta_at_most_one(beta):
    for fn in (tz.memorization_error, tz.memorization_error_asymptotic):
        with pytest.raises(ValueError, match="beta"):
            fn(beta=beta, T=10.0)
    with pytest.raises(ValueError, match="beta"):
        tz.tail_cut_error(beta=beta, T=10.0, k=5)
    with pytest.raises(ValueError, match="beta_ai"):
        tz.narrowed_error(beta=2.0, beta_ai=beta, T=10.0)
    with pytest.raises(ValueError, match="beta"):
        tz.zipf_probs(beta=beta, N=10)


@FAST
@given(T=negative)
def test_negative_T(T):
    with pytest.raises(ValueError, match="T"):
        tz.memorization_error(beta=2.0, T=T)
    with pytest.raises(ValueError, match="T"):
        tz.mixed_error(beta=2.0, T=T, k=5, pi=0.5)
    with pytest.raises(ValueError, match="T"):
        generations_error(beta=2.0, T=T, T0=10, n=1, chain="cut")


@FAST
@given(k=bad_k)
def test_bad_k(k):
    with pytest.raises(ValueError, match="k"):
        tz.tail_cut_error(beta=2.0, T=10.0, k=k)
    with pytest.raises(ValueError, match="k"):
        tz.mixed_error(beta=2.0, T=10.0, k=k, pi=0.5)
    with pytest.raises(ValueError, match="d"):
        tz.capacity_error(beta=2.0, T=10.0, d=k)


@FAST
@given(pi=bad_pi)
def test_bad_pi(pi):
    with pytest.raises(ValueError, match="pi"):
        tz.mixed_error(beta=2.0, T=10.0, k=5, pi=pi)
    with pytest.raises(ValueError, match="pi"):
        tz.tail_band_error(beta=2.0, T=10.0, k=5, pi=pi, j=10)


@FAST
@given(p=bad_p)
def test_bad_p(p):
    with pytest.raises(ValueError, match="p"):
        tz.top_p_cutoff(beta=2.0, p=p)


@FAST
@given(N=st.integers(min_value=1, max_value=4))
def test_N_below_k(N):
    with pytest.raises(ValueError, match="N"):
        tz.tail_cut_error(beta=2.0, T=10.0, k=5, N=N)
    with pytest.raises(ValueError, match="N"):
        tz.mixed_error(beta=2.0, T=10.0, k=5, pi=0.5, N=N)


def test_other_domains():
    with pytest.raises(ValueError, match="N"):
        tz.memorization_error(beta=2.0, T=1.0, N=0)
    with pytest.raises(ValueError, match="N"):
        tz.memorization_error(beta=2.0, T=1.0, N=2.5)
    with pytest.raises(ValueError, match="j"):
        tz.tail_band_error(beta=2.0, T=10.0, k=5, pi=0.5, j=3)
    with pytest.raises(ValueError, match="chain"):
        generations_error(beta=2.0, T=10.0, T0=10, n=1, chain="other")
    with pytest.raises(ValueError, match="T0"):
        generations_error(beta=2.0, T=10.0, T0=0, n=1, chain="cut")
    with pytest.raises(ValueError, match="T0"):
        generations_error(beta=2.0, T=10.0, T0=10**5, n=1, chain="resample")
    with pytest.raises(ValueError, match="n"):
        generations_error(beta=2.0, T=10.0, T0=10, n=-1, chain="cut")
    with pytest.raises(ValueError, match="n"):
        generation_factor(beta=2.0, n=0, chain="cut")
    with pytest.raises(ValueError, match="tau"):
        tz.temperature_exponent(beta=2.0, tau=3.0)
    with pytest.raises(ValueError, match="T"):
        tz.memorization_error(beta=2.0, T=np.nan)
    with pytest.raises(ValueError, match="T"):  # beyond what N=None can sum explicitly
        tz.memorization_error(beta=1.05, T=1e12)
    with pytest.raises(ValueError, match="parameters do not broadcast"):
        tz.memorization_error(beta=[2.0, 3.0], T=[1.0, 2.0, 3.0])


def test_simulator_inputs():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="N must be a finite integer"):
        sz.generations_error(key, beta=2.0, T=10, T0=10, n=1, chain="cut", seeds=4)
    with pytest.raises(ValueError, match="N must be a finite integer"):
        sz.capacity_error(key, beta=2.0, T=10, d=5, ranking="counts", seeds=4)
    with pytest.raises(ValueError, match="ranking"):
        tz.capacity_error(beta=2.0, T=10, d=5, ranking="counts")
    with pytest.raises(ValueError, match="T"):
        sz.memorization_error(key, beta=2.0, T=10.5, N=100, seeds=4)
    with pytest.raises(ValueError, match="beta"):
        sz.memorization_error(key, beta=0.5, T=10, N=100, seeds=4)
    with pytest.raises(ValueError, match="pi"):
        sz.mixed_error(key, beta=2.0, T=10, k=5, pi=2.0, N=100, seeds=4)
    with pytest.raises(ValueError, match="k"):
        sz.tail_cut_error(key, beta=2.0, T=10, k=500, N=100, seeds=4)
    with pytest.raises(ValueError, match="ranking"):
        sz.capacity_error(key, beta=2.0, T=10, d=5, N=100, ranking="lru", seeds=4)
    with pytest.raises(ValueError, match="chain"):
        sz.generations_error(key, beta=2.0, T=10, T0=10, n=1, chain="x", N=100, seeds=4)
    with pytest.raises(ValueError, match="seeds"):
        sz.memorization_error(key, beta=2.0, T=10, N=100, seeds=1)
