"""Entry-point set-up of XLA:CPU (call before JAX first touches a device).

XLA:CPU (jaxlib 0.10) was seen to deadlock, deterministically for a given sequence of programs,
when LAPACK calls inside ``lax.cond`` branches under ``vmap`` ran after larger multi-threaded
linear algebra (tests/test_regression_sim.py, ridge at d = 100 followed by the raw sampler; all
threads asleep). Single-threaded intra-op execution removes it; seeds still run in parallel as a
batch, so the cost on 2 cores is small. Entry points (tests, the figure and bench CLIs) call
:func:`configure_cpu`; the flags touch nothing on GPUs.
"""

from __future__ import annotations

import os

CPU_FLAGS = ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1")


def configure_cpu() -> None:
    """Append the safe XLA:CPU flags to ``XLA_FLAGS`` (unless the caller already set them)."""
    flags = os.environ.get("XLA_FLAGS", "")
    missing = [f for f in CPU_FLAGS if f.split("=")[0] not in flags]
    os.environ["XLA_FLAGS"] = " ".join([flags, *missing]).strip()
