"""Test set-up: float64 on, fresh keys, and several CPU devices for the sharding checks."""

import os

# Four host devices so that sharded and unsharded runs can be compared (must precede jax import).
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

import jax
import pytest

jax.config.update("jax_enable_x64", True)


@pytest.fixture
def key():
    """A fixed key: statistical tests must be reproducible."""
    return jax.random.key(20240712)
