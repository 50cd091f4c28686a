"""JAX simulators: each theory function's empirical twin (same name, same keyword arguments,
plus a key and ``seeds``), returning an :class:`Estimate` (mean, stderr, seeds).

Simulations run in the caller's JAX precision (float32 by default; float64 after
``jax.config.update("jax_enable_x64", True)``), batched over seeds and sharded over all devices,
in chunks sized from a memory budget (:func:`set_memory_budget`).

Importing ``sim`` sets two XLA:CPU flags (unless ``XLA_FLAGS`` already sets them), both
workarounds for runs that never finish under jaxlib 0.10, with every thread asleep:

* ``--xla_cpu_enable_concurrency_optimized_scheduler=false``: that scheduler deadlocked on
  vmapped chunks of several LAPACK calls (e.g. two batched 500 x 50 QRs from 16 seeds).
* ``--xla_cpu_multi_thread_eigen=false``: with the scheduler off, building every figure in one
  process still hung in the ridge sweep of ``regression_ridge_lambda`` after a dozen other
  figures: the main thread waiting for a result while all of Eigen's intra-op pool threads sat
  in ``ThreadPoolTempl::WaitForWork`` (a lost wake-up; gdb stacks). Single-threaded Eigen avoids
  it, as PyAutoFit found for vmapped likelihoods (github.com/PyAutoLabs/PyAutoFit issues 1528
  and 1530, jaxlib 0.10, 2026: 12 of 12 runs finished against 2 of 16). On two cores it costs
  little; drop the flag (set ``XLA_FLAGS=--xla_cpu_multi_thread_eigen=true``) once a jaxlib
  release fixes the pool.

The flags are read when JAX starts its CPU backend, so import ``sim`` before the first
computation.
"""

import os

_FLAGS = ("--xla_cpu_enable_concurrency_optimized_scheduler", "--xla_cpu_multi_thread_eigen")
for _flag in _FLAGS:
    if _flag not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_flag}=false".strip()
del _flag

from sim._engine import SAMPLERS, Run, RunOptions, Twin, bucket, sweep, twin  # noqa: E402
from sim._montecarlo import (  # noqa: E402
    Estimate,
    chunk_width,
    default_memory_budget,
    monte_carlo,
    sample_items,
    sample_seeds,
    set_memory_budget,
)

__all__ = ["SAMPLERS", "Estimate", "Run", "RunOptions", "Twin", "bucket", "chunk_width",
           "default_memory_budget", "monte_carlo", "sample_items", "sample_seeds",
           "set_memory_budget", "sweep", "twin"]
