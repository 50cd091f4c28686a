"""The physical floor of a simulation: what its random numbers and its matmuls cost at least.

A run that must draw ``draws`` random numbers and do ``flops`` floating-point operations in
matrix products cannot take less than ``draws * seconds_per_draw() + flops / matmul_rate()`` on
this machine, whatever the implementation. Both rates are measured here, in the same process as
the benchmark they bound, at the precision JAX runs in (x64 or not): the draw cost on batches of
standard normals from :mod:`jax.random` (the cheapest distribution the simulators draw; gammas and
binomials cost more, so the floor is a lower bound), the matmul rate on square products.
"""

from __future__ import annotations

import functools

import jax

from bench._registry import best_time

__all__ = ["floor_seconds", "matmul_rate", "seconds_per_draw"]


@functools.cache
def seconds_per_draw(sizes: tuple[int, ...] = (2**16, 2**18, 2**20)) -> float:
    """Measured wall time per standard normal drawn by :func:`jax.random.normal`: the cheapest of
    batches of ``sizes`` numbers (compiled, best of five each). Batches that outgrow the caches
    cost several times more per draw on a CPU, so the floor takes the best size."""
    key = jax.random.key(0)
    costs = []
    for size in sizes:
        draw = jax.jit(lambda key, size=size: jax.random.normal(key, (size,)).sum())
        seconds, _ = best_time(lambda draw=draw: draw(key).block_until_ready(), repeat=5)
        costs.append(seconds / size)
    return min(costs)


@functools.cache
def matmul_rate(n: int = 1024) -> float:
    """Measured FLOP/s of an ``n x n`` by ``n x n`` product (2 n^3 operations), compiled."""
    a = jax.random.normal(jax.random.key(1), (n, n))
    product = jax.jit(lambda a: (a @ a).sum())
    seconds, _ = best_time(lambda: product(a).block_until_ready(), repeat=3)
    return 2.0 * n**3 / seconds


def floor_seconds(*, draws: float, flops: float = 0.0) -> float:
    """``draws`` random numbers at the measured cost per draw plus ``flops`` at the measured
    matmul rate: the time below which no implementation of the run can go on this machine."""
    return draws * seconds_per_draw() + (flops / matmul_rate() if flops else 0.0)
