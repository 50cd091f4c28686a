"""Work items as a batch: one seed is a pure function of a key; items are vmapped, chunked and
sharded. The sweep engine (:mod:`sim._engine`) is built on :func:`sample_items`.

* a work item is a run's traced values and a seed: seed ``s`` gets ``jax.random.fold_in(key, s)``
  in every run, so the numbers for a given key depend on neither the chunk size nor the number of
  devices nor the grid around a run;
* items are processed in chunks (a ``vmap`` over the chunk, chunks dispatched in turn), sized
  from a memory budget: the widest chunk whose compiled program XLA says fits (see
  :func:`set_memory_budget`), or ``batch_size`` items per device when the caller gives one;
* the item axis of each chunk is sharded over all visible devices (``jax.shard_map`` on a
  ``jax.sharding.Mesh``), so the same call runs on a laptop, one GPU or several;
* with several processes (``jax.distributed``), every process builds the same items, hands its own
  devices their slices of one global array and gathers the whole result;
* traced values do not recompile when they change; ``static`` ones fix shapes;
* matmuls are traced at ``MATMUL_PRECISION`` ("highest": full float32 on GPUs, not TF32).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

__all__ = [
    "Estimate", "chunk_width", "default_memory_budget", "monte_carlo", "sample_items",
    "sample_seeds", "seed_keys", "set_memory_budget", "summarize",
]

#: Widest chunk (seeds per device) the budget may choose on host (CPU) devices: wider chunks of
#: one program bring little on CPU, and XLA:CPU (jaxlib 0.10) has deadlocked on wide chunks of
#: batched LAPACK calls (see tests/conftest.py). On accelerators, where width is throughput, only
#: the memory budget and the number of seeds bound the chunk.
MAX_CHUNK = 256

#: Precision of every matmul a simulator traces. GPUs otherwise run float32 matmuls in TF32
#: (10-bit mantissa, relative error ~1e-3), which biases the regression chains' Bartlett factors
#: and solves at the level the theory tests resolve; on CPU it changes nothing.
MATMUL_PRECISION = "highest"

#: Default budget: this fraction of an accelerator's allocator limit (``bytes_limit``) ...
ACCELERATOR_FRACTION = 0.5
#: ... or, for host (CPU) devices, of the physical RAM, shared by the devices of the run.
HOST_FRACTION = 0.25

_budget: int | None = None  # process-wide budget set by set_memory_budget (None: the default)
_widest: dict[tuple, tuple[int, int]] = {}  # runner -> (widest chunk compiled, its bytes)


@dataclass(frozen=True)
class Estimate:
    """Monte Carlo estimate: mean over seeds, its standard error, and the number of seeds.

    ``mean`` and ``stderr`` are float64 arrays of the theory twin's shape; an Estimate indexes and
    slices like that array (``est[i]``, ``est[:, j]`` are Estimates of the selected entries).
    """

    mean: np.ndarray
    stderr: np.ndarray
    seeds: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", np.asarray(self.mean, dtype=np.float64))
        object.__setattr__(self, "stderr", np.asarray(self.stderr, dtype=np.float64))
        if self.mean.shape != self.stderr.shape:
            raise ValueError(f"mean and stderr must have one shape, got {self.mean.shape} and "
                             f"{self.stderr.shape}")

    @property
    def shape(self) -> tuple[int, ...]:
        return self.mean.shape

    @property
    def ndim(self) -> int:
        return self.mean.ndim

    def __len__(self) -> int:
        return len(self.mean)

    def __getitem__(self, index) -> Estimate:
        return Estimate(self.mean[index], self.stderr[index], self.seeds)

    def z(self, expected) -> np.ndarray:
        """Standardised distance ``(mean - expected) / stderr`` (inf-safe when stderr is 0)."""
        diff = self.mean - np.asarray(expected)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(diff == 0, 0.0, diff / self.stderr)


def summarize(samples: np.ndarray) -> Estimate:
    """Mean and standard error (float64) of per-seed samples along axis 0."""
    x = np.asarray(samples, dtype=np.float64)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"seeds must be an integer >= 2, got {n}")
    return Estimate(x.mean(axis=0), x.std(axis=0, ddof=1) / math.sqrt(n), n)


def _check_budget(nbytes: Any) -> int:
    if isinstance(nbytes, bool | str) or not np.isscalar(nbytes) or not nbytes >= 1 \
            or not math.isfinite(nbytes):
        raise ValueError(f"memory_budget must be a number of bytes >= 1, got {nbytes!r}")
    return int(nbytes)


def set_memory_budget(nbytes: int | None) -> None:
    """Set, for the whole process, the memory budget (bytes per device) of every simulator call
    that does not pass ``memory_budget``; ``None`` restores :func:`default_memory_budget`."""
    global _budget
    _budget = None if nbytes is None else _check_budget(nbytes)


def default_memory_budget(devices: Sequence[jax.Device] | None = None) -> int:
    """Bytes per device a chunk of seeds may use when no budget is set.

    ``ACCELERATOR_FRACTION`` of the smallest allocator limit (``device.memory_stats()
    ["bytes_limit"]``) where the devices report one (GPUs), else ``HOST_FRACTION`` of the physical
    RAM (``os.sysconf``) split evenly between the devices of the run (host devices share it).
    """
    devices = tuple(devices or jax.devices())
    local = [d for d in devices if d.process_index == jax.process_index()] or list(devices)
    limits = [(d.memory_stats() or {}).get("bytes_limit") for d in local]
    if all(limits):
        return int(ACCELERATOR_FRACTION * min(limits))
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(HOST_FRACTION * ram / len(local))


@functools.lru_cache(maxsize=256)
def _runner(one_seed: Callable, frozen_static: tuple, devices: tuple,
            shared: bool = False) -> Callable:
    """The compiled batch: ``vmap`` over one chunk of work items (a seed key and that item's
    traced values), sharded over ``devices``."""
    static = dict(frozen_static)

    def chunk(keys: jax.Array, params: dict) -> jax.Array:
        with jax.default_matmul_precision(MATMUL_PRECISION):
            if shared:  # one run: its values stay unbatched (a lax.cond on them stays a cond)
                return jax.vmap(lambda k: one_seed(k, **static, **params))(keys)
            return jax.vmap(lambda k, p: one_seed(k, **static, **p))(keys, params)

    if len(devices) == 1:
        return jax.jit(chunk)
    # shard_map: every device runs the plain per-device program on its slice of the item axis
    # (no automatic partitioning of the while loops and conds inside one seed's simulation).
    mesh = Mesh(np.array(devices), ("seeds",))
    return jax.jit(jax.shard_map(chunk, mesh=mesh, in_specs=(PartitionSpec("seeds"),
                                                            PartitionSpec() if shared
                                                            else PartitionSpec("seeds")),
                                 out_specs=PartitionSpec("seeds"), check_vma=False))


@functools.lru_cache(maxsize=1024)
def _footprint(one_seed: Callable, frozen_static: tuple, devices: tuple, signature: tuple,
               width: int, shared: bool = False) -> int:
    """Bytes one device needs for a chunk of ``width`` items per device: XLA's memory analysis
    (arguments + outputs + temporaries) of the program :func:`sample_items` then runs.

    Lowered from shapes alone; ``jax.jit`` keeps the executable, so running that chunk width
    afterwards does not compile again (tests/test_memory.py checks it).
    """
    key_shape, key_dtype, params = signature
    rows = width * len(devices)
    keys = jax.ShapeDtypeStruct((rows, *key_shape), key_dtype)
    lead = () if shared else (rows,)
    traced = {name: jax.ShapeDtypeStruct((*lead, *shape), dtype) for name, shape, dtype in params}
    stats = _runner(one_seed, frozen_static, devices, shared).lower(keys, traced).compile() \
        .memory_analysis()
    return (stats.argument_size_in_bytes + stats.output_size_in_bytes
            + stats.temp_size_in_bytes - stats.alias_size_in_bytes)


def _signature(key: jax.Array, traced: Mapping[str, Any]) -> tuple:
    """Key shape and dtype, and each traced value's per-item shape and dtype."""
    return (key.shape, key.dtype,
            tuple(sorted((k, np.shape(v), _dtype()) for k, v in traced.items())))


def _dtype():
    return jnp.zeros(()).dtype  # float32, or float64 under x64


def chunk_width(one_seed: Callable, key: jax.Array, *, seeds: int, budget: int,
                static: Mapping[str, Any] | None = None,
                params: Mapping[str, Any] | None = None,
                devices: Sequence[jax.Device] | None = None, shared: bool = False) -> int:
    """Items (seeds) per device per chunk: the widest chunk (up to all ``seeds`` items, and
    ``MAX_CHUNK`` on CPU devices) that fits ``budget``; ``params`` are one item's traced values.

    XLA's memory analysis of the compiled chunk is the measure. The first call for a runner
    compiles the full width; if that is over the budget, the width is extrapolated (memory is
    close to linear in the width), and later calls start from the bytes per item measured then,
    so a runner costs at most one compilation more than it runs. The chosen width is verified and
    halved while still over. Raises ValueError when one item alone needs more than ``budget``.
    """
    if int(seeds) < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds}")
    budget = _check_budget(budget)
    devices = tuple(devices or jax.devices())
    needed = math.ceil(int(seeds) / len(devices))
    if any(d.platform == "cpu" for d in devices):
        needed = min(needed, MAX_CHUNK)
    run = (one_seed, tuple(sorted((static or {}).items())), devices,
           _signature(key, params or {}))
    known = (*run, shared)  # what _widest remembers this runner by

    def fit(cap: int) -> int:  # the widest chunk <= cap within budget, memory linear in width
        widest, its_bytes = _widest[known]
        return max(1, min(cap, math.floor(budget / (its_bytes / widest))))

    def measure(width: int) -> int:
        need = _footprint(*run, width, shared)
        if width > _widest.get(known, (0, 0))[0]:
            _widest[known] = width, need
        return need

    first = known not in _widest
    width = needed if first else fit(needed)
    need = measure(width)
    if need > budget and first and width > 1:
        width = fit(width - 1)
        need = measure(width)
    while need > budget and width > 1:  # not linear after all
        width //= 2
        need = measure(width)
    if need > budget:
        raise ValueError(f"memory_budget must be at least the {need} bytes that one seed needs "
                         f"per device (XLA memory analysis), got {budget}")
    return width


def sample_items(
    one_seed: Callable[..., jax.Array],
    key: jax.Array,
    *,
    seeds: int,
    static: Mapping[str, Any] | None = None,
    traced: Mapping[str, np.ndarray] | None = None,
    batch_size: int | None = None,
    memory_budget: int | None = None,
    devices: Sequence[jax.Device] | None = None,
) -> np.ndarray:
    """Per-seed results of ``one_seed(key_s, **static, **{k: v[u] for k, v in traced.items()})``
    for every run ``u`` (the leading axis of each ``traced`` array) and seed ``s < seeds``.

    Runs times seeds are one batch: item ``u * seeds + s`` is run ``u``'s seed ``s``, with key
    ``fold_in(key, s)`` (common random numbers across runs; independent of the chunking). The
    items are processed in chunks of ``batch_size`` (or as many as ``memory_budget`` allows)
    per device, each chunk sharded over ``devices``; the last chunk is padded with repeats.
    Returns an array of shape ``(runs, seeds, *output)``, gathered to the host once.
    """
    seeds = int(seeds)
    if seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds}")
    if batch_size is not None and (int(batch_size) != batch_size or batch_size < 1):
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    traced = {k: np.asarray(v, dtype=np.float64) for k, v in (traced or {}).items()}
    runs = next(iter(traced.values())).shape[0] if traced else 1
    if any(v.shape[:1] != (runs,) for v in traced.values()):
        raise ValueError("traced values must share their leading (run) axis")
    devices = tuple(devices or jax.devices())
    n_dev = len(devices)
    total = runs * seeds
    one_item = {k: v[0] for k, v in traced.items()}
    if batch_size is None:
        budget = (_check_budget(memory_budget) if memory_budget is not None
                  else _budget or default_memory_budget(devices))
        per_dev = chunk_width(one_seed, key, seeds=total, budget=budget, static=static,
                              params=one_item, devices=devices, shared=runs == 1)
    else:
        per_dev = min(int(batch_size), math.ceil(total / n_dev))
    width = per_dev * n_dev
    shared = runs == 1  # a single run's values are passed once, unbatched
    run = _runner(one_seed, tuple(sorted((static or {}).items())), devices, shared)
    spans_processes = any(d.process_index != jax.process_index() for d in devices)
    chunk = _across_processes(run, devices, shared) if spans_processes else run
    dtype = _dtype()
    out = []
    for c in range(math.ceil(total / width)):
        items = np.minimum(np.arange(c * width, (c + 1) * width), total - 1)
        seed_idx = jnp.asarray(items % seeds, dtype=jnp.uint32)
        keys = _fold(key, seed_idx)
        params = {k: jnp.asarray(v[0] if shared else v[items // seeds], dtype=dtype)
                  for k, v in traced.items()}
        out.append(chunk(keys, params))
    # Chunks are dispatched one after another (memory bounded by what is in flight) and the
    # results come to the host in one transfer.
    host = np.concatenate(jax.device_get(out))[:total]
    return host.reshape(runs, seeds, *host.shape[1:])


@jax.jit
def _fold(key: jax.Array, idx: jax.Array) -> jax.Array:
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(idx)


def seed_keys(key: jax.Array, start: int, stop: int) -> jax.Array:
    """Keys of seeds ``start..stop-1``: ``fold_in(key, i)``, independent of batching."""
    return _fold(key, jnp.arange(start, stop, dtype=jnp.uint32))


def _traced(params: Mapping[str, Any] | None, width: int = 1) -> dict[str, jax.Array]:
    """``params`` repeated for ``width`` items, in the caller's float dtype."""
    return {k: jnp.broadcast_to(jnp.asarray(v, dtype=_dtype()), (width, *np.shape(v)))
            for k, v in (params or {}).items()}


def sample_seeds(
    one_seed: Callable[..., jax.Array],
    key: jax.Array,
    *,
    seeds: int,
    static: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    memory_budget: int | None = None,
    devices: Sequence[jax.Device] | None = None,
) -> np.ndarray:
    """Per-seed results of ``one_seed(key_i, **static, **params)``, i = 0..seeds-1 (one run of
    :func:`sample_items`; see :func:`monte_carlo`)."""
    traced = {k: np.asarray(v, dtype=np.float64)[None] for k, v in (params or {}).items()}
    return sample_items(one_seed, key, seeds=seeds, static=static, traced=traced,
                        batch_size=batch_size, memory_budget=memory_budget, devices=devices)[0]


def _across_processes(run: Callable, devices: tuple, shared: bool = False) -> Callable:
    """``run`` for a multi-process (``jax.distributed``) run: every process computes all the keys
    and values of a chunk (cheap), hands its own devices their slices as global arrays, and
    gathers the whole result, so every process returns the same numbers as a single process."""
    from jax.experimental import multihost_utils
    from jax.sharding import NamedSharding

    sharding = NamedSharding(Mesh(np.array(devices), ("seeds",)), PartitionSpec("seeds"))

    def shard(data: np.ndarray) -> jax.Array:
        return jax.make_array_from_callback(data.shape, sharding, lambda idx: data[idx])

    def chunk(keys: jax.Array, traced: dict) -> np.ndarray:
        data = np.asarray(jax.random.key_data(keys))
        result = run(jax.random.wrap_key_data(shard(data), impl=jax.random.key_impl(keys)),
                     {k: np.asarray(v) if shared else shard(np.asarray(v))
                      for k, v in traced.items()})
        return np.asarray(multihost_utils.process_allgather(result, tiled=True))

    return chunk


def monte_carlo(
    one_seed: Callable[..., jax.Array],
    key: jax.Array,
    *,
    seeds: int,
    static: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    memory_budget: int | None = None,
    devices: Sequence[jax.Device] | None = None,
) -> Estimate:
    """Run ``one_seed(key, **static, **params)`` for ``seeds`` independent keys; summarise.

    The single-point case of the sweep engine (:mod:`sim._engine`, which every twin uses).
    ``one_seed`` must be a module-level function (its identity keys the compilation cache);
    ``static`` values must be hashable (numbers, strings, tuples; they fix shapes);
    ``params`` values are traced arrays. ``devices`` (default: all visible) share the seed axis.
    Chunks of seeds are as wide as ``memory_budget`` bytes per device allow (default: the
    process-wide :func:`set_memory_budget`, else :func:`default_memory_budget`), measured by XLA
    on the compiled chunk (:func:`chunk_width`); an explicit ``batch_size`` (seeds per device)
    overrides the budget. The result for a given key depends on none of these.
    """
    if int(seeds) < 2:
        raise ValueError(f"seeds must be an integer >= 2, got {seeds}")
    return summarize(sample_seeds(one_seed, key, seeds=seeds, static=static, params=params,
                                  batch_size=batch_size, memory_budget=memory_budget,
                                  devices=devices))
