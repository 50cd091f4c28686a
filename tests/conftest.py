"""Test set-up: float64 on, and a fixed key for reproducible statistical tests.

The test process sees one CPU device: XLA:CPU's forced virtual devices
(--xla_force_host_platform_device_count) can deadlock when they outnumber the cores, so the
sharded-equals-unsharded check runs in its own 4-device subprocess
(tests/test_regression_sim.py::test_sharded_over_four_devices_equals_one_device).
"""

from sim._runtime import configure_cpu

configure_cpu()  # before JAX touches a device: see sim/_runtime.py

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)


@pytest.fixture
def key():
    """A fixed key: statistical tests must be reproducible."""
    return jax.random.key(20240712)
