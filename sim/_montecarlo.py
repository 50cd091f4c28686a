"""Seeds as a batch: one seed is a pure function of a key; seeds are vmapped, chunked and sharded.

``monte_carlo(one_seed, key, seeds=..., static=..., params=...)`` is the single mechanism every
simulator uses:

* seed ``i`` gets ``jax.random.fold_in(key, i)``, so the numbers for a given key do not depend on
  the chunk size or the number of devices;
* seeds are processed ``batch_size`` per device at a time (chunks of a ``vmap``, dispatched in
  turn), which bounds memory;
* the seed axis of each chunk is sharded over all visible devices (``jax.shard_map`` on a
  ``jax.sharding.Mesh``), so the same call runs on a laptop, one GPU or several;
* ``params`` are traced (a sweep over their values compiles once), ``static`` ones fix shapes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

__all__ = [
    "DEFAULT_BATCH_SIZE", "Estimate", "monte_carlo", "sample_seeds", "seed_keys", "summarize",
]

DEFAULT_BATCH_SIZE = 256


class Estimate(NamedTuple):
    """Monte Carlo estimate: mean over seeds, its standard error, and the number of seeds."""

    mean: np.ndarray
    stderr: np.ndarray
    seeds: int

    def z(self, expected) -> np.ndarray:
        """Standardised distance ``(mean - expected) / stderr`` (inf-safe when stderr is 0)."""
        diff = np.asarray(self.mean) - np.asarray(expected)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(diff == 0, 0.0, diff / np.asarray(self.stderr))


def summarize(samples: np.ndarray) -> Estimate:
    """Mean and standard error (float64) of per-seed samples along axis 0."""
    x = np.asarray(samples, dtype=np.float64)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"seeds must be an integer >= 2, got {n}")
    return Estimate(x.mean(axis=0), x.std(axis=0, ddof=1) / math.sqrt(n), n)


def seed_keys(key: jax.Array, start: int, stop: int) -> jax.Array:
    """Keys of seeds ``start..stop-1``: ``fold_in(key, i)``, independent of batching."""
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(start, stop, dtype=jnp.uint32))


@functools.lru_cache(maxsize=256)
def _runner(one_seed: Callable, frozen_static: tuple, devices: tuple) -> Callable:
    """The compiled batch: ``vmap`` over one chunk of seed keys, sharded over ``devices``."""
    static = dict(frozen_static)
    batch = jax.vmap(lambda k, p: one_seed(k, **static, **p), in_axes=(0, None))
    if len(devices) == 1:
        return jax.jit(batch)
    # shard_map: every device runs the plain per-device program on its slice of the seed axis
    # (no automatic partitioning of the while loops and conds inside one seed's simulation).
    mesh = Mesh(np.array(devices), ("seeds",))
    return jax.jit(jax.shard_map(batch, mesh=mesh, in_specs=(PartitionSpec("seeds"),
                                                            PartitionSpec()),
                                 out_specs=PartitionSpec("seeds"), check_vma=False))


def sample_seeds(
    one_seed: Callable[..., jax.Array],
    key: jax.Array,
    *,
    seeds: int,
    static: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    devices: Sequence[jax.Device] | None = None,
) -> np.ndarray:
    """Per-seed results of ``one_seed(key_i, **static, **params)``, i = 0..seeds-1 (see below)."""
    seeds = int(seeds)
    if seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds}")
    if batch_size is not None and (int(batch_size) != batch_size or batch_size < 1):
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    devices = tuple(devices or jax.devices())
    n_dev = len(devices)
    per_dev = min(int(batch_size or DEFAULT_BATCH_SIZE), math.ceil(seeds / n_dev))
    width = per_dev * n_dev
    chunks = math.ceil(seeds / width)
    dtype = jnp.zeros(()).dtype  # float32, or float64 under x64
    traced = {k: jnp.asarray(v, dtype=dtype) for k, v in (params or {}).items()}
    run = _runner(one_seed, tuple(sorted((static or {}).items())), devices)
    # Chunks are dispatched one after another from Python: memory is bounded by one chunk,
    # and no outer device-side loop wraps the (possibly LAPACK-calling) per-seed program.
    out = [np.asarray(run(seed_keys(key, c * width, (c + 1) * width), traced))
           for c in range(chunks)]
    return np.concatenate(out)[:seeds]


def monte_carlo(
    one_seed: Callable[..., jax.Array],
    key: jax.Array,
    *,
    seeds: int,
    static: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    devices: Sequence[jax.Device] | None = None,
) -> Estimate:
    """Run ``one_seed(key, **static, **params)`` for ``seeds`` independent keys; summarise.

    ``one_seed`` must be a module-level function (its identity keys the compilation cache);
    ``static`` values must be hashable (numbers, strings, tuples; they fix shapes);
    ``params`` values are traced arrays. ``batch_size`` seeds per device are held in memory at
    once; ``devices`` (default: all visible) share the seed axis. The result for a given key
    does not depend on either.
    """
    if int(seeds) < 2:
        raise ValueError(f"seeds must be an integer >= 2, got {seeds}")
    return summarize(sample_seeds(one_seed, key, seeds=seeds, static=static, params=params,
                                  batch_size=batch_size, devices=devices))
