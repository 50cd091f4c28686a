"""Test set-up: float64 on, and a fixed key for reproducible statistical tests.

The test process sees one CPU device. XLA:CPU (jaxlib 0.10) deadlocked (all threads asleep, main
thread awaiting a result) in some sequences of programs containing LAPACK calls under vmap and
lax.cond, and with forced virtual devices; checks that met it (sharding over 4 devices, the raw
sampler after larger programs) run in fresh subprocesses (see tests/test_regression_sim.py).
"""

import jax
import pytest

jax.config.update("jax_enable_x64", True)


@pytest.fixture
def key():
    """A fixed key: statistical tests must be reproducible."""
    return jax.random.key(20240712)
