"""JAX simulators: each theory function's empirical twin (same name, same keyword arguments,
plus a key and ``seeds``), returning an :class:`Estimate` (mean, stderr, seeds).

Simulations run in the caller's JAX precision (float32 by default; float64 after
``jax.config.update("jax_enable_x64", True)``), batched over seeds and sharded over all devices,
in chunks sized from a memory budget (:func:`set_memory_budget`).
"""

from sim._montecarlo import (
    Estimate,
    chunk_width,
    default_memory_budget,
    monte_carlo,
    sample_seeds,
    set_memory_budget,
)

__all__ = ["Estimate", "chunk_width", "default_memory_budget", "monte_carlo", "sample_seeds",
           "set_memory_budget"]
