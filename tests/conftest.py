"""Test set-up: float64 on, and a fixed key for reproducible statistical tests.

The test process sees one CPU device. XLA:CPU (jaxlib 0.10) deadlocked (all threads asleep, main
thread awaiting a result) in some sequences of programs containing LAPACK calls under vmap and
lax.cond; importing ``sim`` turns off the scheduler that caused it (sim/__init__.py). Checks that
met it before (the raw sampler after larger programs) and those that need forced virtual devices
still run in fresh subprocesses (see tests/test_regression_sim.py); they inherit XLA_FLAGS.

The tests are compile-bound (small shapes, many distinct programs), so they run with XLA's backend
(LLVM) optimisation level 0: a regression chain compiles in ~3 s instead of ~8 s and the suite
takes about a third less time. It changes code generation only, not the HLO that is run; figures
and benchmarks use the default level.
"""

import os

_O0 = "--xla_backend_optimization_level=0"
if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_O0}".strip()

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)


@pytest.fixture
def forced_devices_env():
    """``env(n)``: the environment for a subprocess that sees n virtual CPU devices, keeping this
    session's XLA_FLAGS (optimisation level, scheduler)."""
    def env(n: int) -> dict:
        flags = f"{os.environ['XLA_FLAGS']} --xla_force_host_platform_device_count={n}"
        return {**os.environ, "XLA_FLAGS": flags}
    return env


@pytest.fixture
def key():
    """A fixed key: statistical tests must be reproducible."""
    return jax.random.key(20240712)
