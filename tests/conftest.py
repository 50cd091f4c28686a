"""Test set-up: float64 on, and a fixed key for reproducible statistical tests.

The test process sees one CPU device. XLA:CPU (jaxlib 0.10) deadlocked (all threads asleep, main
thread awaiting a result) in some sequences of programs containing LAPACK calls under vmap and
lax.cond; importing ``sim`` turns off the scheduler that caused it (sim/__init__.py). Checks that
met it before (the raw sampler after larger programs) and those that need forced virtual devices
still run in fresh subprocesses (see tests/test_regression_sim.py).
"""

import jax
import pytest

jax.config.update("jax_enable_x64", True)


@pytest.fixture
def key():
    """A fixed key: statistical tests must be reproducible."""
    return jax.random.key(20240712)
