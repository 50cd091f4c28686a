"""JAX simulators: each theory function's empirical twin (same name, same keyword arguments,
plus a key and ``seeds``), returning an :class:`Estimate` (mean, stderr, seeds).

Simulations run in the caller's JAX precision (float32 by default; float64 after
``jax.config.update("jax_enable_x64", True)``), batched over seeds and sharded over all devices,
in chunks sized from a memory budget (:func:`set_memory_budget`).

Importing ``sim`` turns off XLA:CPU's concurrency-optimised scheduler (unless ``XLA_FLAGS``
already sets it): under jaxlib 0.10 it deadlocks (all threads asleep) on vmapped chunks of
several LAPACK calls, e.g. two batched 500 x 50 QRs from 16 seeds. The flag is read when JAX
starts its CPU backend, so import ``sim`` before the first computation.
"""

import os

_FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler"
if _FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FLAG}=false".strip()

from sim._engine import SAMPLERS, Run, RunOptions, Twin, bucket, pow2, sweep, twin  # noqa: E402
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
           "default_memory_budget", "monte_carlo", "pow2", "sample_items", "sample_seeds",
           "set_memory_budget", "sweep", "twin"]
