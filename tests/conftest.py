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

Compiled programs persist across runs in JAX's compilation cache (sim/_compilation_cache.py),
under ``.cache/jax-tests`` in the repository unless ``COLLAPSE_JAX_CACHE`` names a directory or
is ``off``. A directory of its own rather than the figures' ``.cache/jax``: the optimisation
level above is part of every cache key, so the suite could never reuse the figures' entries (nor
they the suite's), and either cache can be cleared without touching the other.
"""

import os
from pathlib import Path

_O0 = "--xla_backend_optimization_level=0"
if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_O0}".strip()

import jax  # noqa: E402
import jax.monitoring  # noqa: E402
import pytest  # noqa: E402

from sim._compilation_cache import ENV, enable_compilation_cache  # noqa: E402

enable_compilation_cache(None if os.environ.get(ENV)
                         else Path(__file__).resolve().parent.parent / ".cache" / "jax-tests")
jax.config.update("jax_enable_x64", True)


@pytest.fixture
def forced_devices_env():
    """``env(n)``: the environment for a subprocess that sees n virtual CPU devices, keeping this
    test run's XLA_FLAGS (optimisation level, scheduler)."""
    def env(n: int) -> dict:
        flags = f"{os.environ['XLA_FLAGS']} --xla_force_host_platform_device_count={n}"
        return {**os.environ, "XLA_FLAGS": flags}
    return env


@pytest.fixture
def key():
    """A fixed key: statistical tests must be reproducible."""
    return jax.random.key(20240712)


@pytest.fixture
def compiles():
    """Names of the programs XLA compiles while the test runs (jax.monitoring events)."""
    names = []

    def listen(event, duration, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            names.append(kw.get("fun_name"))

    jax.monitoring.register_event_duration_secs_listener(listen)
    yield names
    jax.monitoring.unregister_event_duration_listener(listen)
