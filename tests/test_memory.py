"""Memory-budget chunking (sim/_montecarlo.py): chunks of seeds are sized so that XLA's
memory analysis of the compiled chunk fits the budget, and the process's peak memory follows."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.monitoring
import jax.numpy as jnp
import numpy as np
import pytest

import sim
from sim._montecarlo import _footprint, _signature

M = 1 << 12  # floats per seed in the unit tests


def _gather_seed(key, *, m):
    """m normals, read back through a gather: XLA must materialise them (O(m) bytes per seed)."""
    x = jax.random.normal(key, (m,))
    return jnp.sum(x * x[(jnp.arange(m) * 7919) % m])


def _bytes(width: int, key, m: int = M) -> int:
    """XLA's bytes for a chunk of ``width`` seeds of :func:`_gather_seed`."""
    return _footprint(_gather_seed, (("m", m),), tuple(jax.devices()), _signature(key, {}), width)


def test_chunk_is_the_widest_that_fits_and_compiles_once(key, compiles):
    """The chosen width fits the budget and the next width does not (memory is linear in the
    width for this program); the chunk that runs is the one analysed (no second compilation),
    and a later call with more seeds reuses what was measured (no new probe)."""
    m = M + 1  # a runner no other test measures
    budget = int(7.5 * _bytes(1, key, m))
    compiles.clear()
    out = sim.sample_seeds(_gather_seed, key, seeds=100, static=dict(m=m), memory_budget=budget)
    assert compiles.count("jit(chunk)") == 2  # the probe at full width, then the chosen width
    more = sim.sample_seeds(_gather_seed, key, seeds=300, static=dict(m=m), memory_budget=budget)
    assert compiles.count("jit(chunk)") == 2
    np.testing.assert_array_equal(more[:100], out)  # seed i's result depends on neither
    width = sim.chunk_width(_gather_seed, key, seeds=100, budget=budget, static=dict(m=m))
    assert _bytes(width, key, m) <= budget < _bytes(width + 1, key, m)


def test_budget_chunking_gives_the_same_numbers(key):
    whole = sim.sample_seeds(_gather_seed, key, seeds=10, static=dict(m=M), batch_size=10)
    tight = sim.sample_seeds(_gather_seed, key, seeds=10, static=dict(m=M),
                             memory_budget=_bytes(3, key))
    np.testing.assert_array_equal(tight, whole)


def test_process_wide_budget_and_batch_size_override(key):
    small = _bytes(1, key)  # one seed of m = M; a seed of m = 2 M needs about twice that
    try:
        sim.set_memory_budget(small)
        with pytest.raises(ValueError, match="memory_budget"):
            sim.sample_seeds(_gather_seed, key, seeds=4, static=dict(m=2 * M))  # 2x per seed
        sim.sample_seeds(_gather_seed, key, seeds=4, static=dict(m=2 * M), batch_size=4)
    finally:
        sim.set_memory_budget(None)
    assert sim.default_memory_budget() > 0


def test_one_seed_over_budget_raises_with_its_bytes(key):
    one = _bytes(1, key)
    with pytest.raises(ValueError, match=rf"memory_budget .*\b{one} bytes"):
        sim.sample_seeds(_gather_seed, key, seeds=10, static=dict(m=M), memory_budget=one - 1)


@pytest.mark.parametrize("bad", [0, -5, 0.5, float("nan"), float("inf"), "1GB", True])
def test_bad_budget(bad, key):
    with pytest.raises(ValueError, match="memory_budget"):
        sim.set_memory_budget(bad)
    with pytest.raises(ValueError, match="memory_budget"):
        sim.sample_seeds(_gather_seed, key, seeds=4, static=dict(m=M), memory_budget=bad)


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_peak_memory_stays_under_a_small_budget():
    """64 seeds of 2^20 float32 each: unchunked, XLA's analysis asks for over 1.5 GB (measured:
    the peak grows by as much); under a 64 MiB budget the process's peak RSS (ru_maxrss) grows by
    at most the budget plus 32 MiB of slack (the runtime's own allocations, ~20 MB measured)
    over its RSS after import and compilation. Fresh process; the high-water mark is reset
    (Linux /proc/self/clear_refs) after compilation, whose transient peaks once made ru_maxrss
    report 470 MB of growth under load."""
    budget, slack = 64 << 20, 32 << 20
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import gc, json, resource
        import jax, jax.numpy as jnp
        import sim
        from sim._montecarlo import _footprint, _signature, seed_keys

        def one(key, *, m):
            x = jax.random.normal(key, (m,))
            return jnp.sum(x * x[(jnp.arange(m) * 7919) % m])

        key, static, seeds = jax.random.key(0), dict(m=1 << 20), 64
        unchunked = _footprint(one, (("m", 1 << 20),), tuple(jax.devices()),
                               _signature(key, {{}}), seeds)
        sim.set_memory_budget({budget})
        width = sim.chunk_width(one, key, seeds=seeds, budget={budget}, static=static)
        seed_keys(key, 0, width).block_until_ready()  # everything compiled: the run allocates
        gc.collect()
        with open("/proc/self/clear_refs", "w") as f:  # reset the high-water mark (VmHWM):
            f.write("5")                                 # compilation peaks must not count
        with open("/proc/self/statm") as f:
            base = int(f.read().split()[1]) * resource.getpagesize()
        sim.sample_seeds(one, key, seeds=seeds, static=static)
        with open("/proc/self/status") as f:
            peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))
        print(json.dumps([unchunked, width, peak - base]))
    """)], capture_output=True, text=True, check=True, timeout=120)
    unchunked, width, growth = json.loads(out.stdout.strip().splitlines()[-1])
    assert unchunked > 16 * budget
    assert growth <= budget + slack, (growth, width)
    assert width < 64


def test_budget_chunks_sharded_over_four_devices(forced_devices_env):
    """On 4 (CPU) devices the budget is per device, the analysed chunk is the one that runs (two
    compilations: probe and chosen width), and the numbers equal one unchunked device's."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import json, jax, jax.monitoring, jax.numpy as jnp, numpy as np
        import sim
        from sim._montecarlo import _footprint, _signature

        names = []
        jax.monitoring.register_event_duration_secs_listener(
            lambda event, duration, **kw: names.append(kw.get("fun_name"))
            if event == "/jax/core/compile/backend_compile_duration" else None)

        def one(key, *, m):
            x = jax.random.normal(key, (m,))
            return jnp.sum(x * x[(jnp.arange(m) * 7919) % m])

        key, static, devices = jax.random.key(3), dict(m=4096), tuple(jax.devices())
        budget = int(3.5 * _footprint(one, (("m", 4096),), devices, _signature(key, {}), 1))
        names.clear()
        four = sim.sample_seeds(one, key, seeds=37, static=static, memory_budget=budget)
        compiles = names.count("jit(chunk)")
        width = sim.chunk_width(one, key, seeds=37, budget=budget, static=static)
        fits = _footprint(one, (("m", 4096),), devices, _signature(key, {}), width) <= budget
        alone = sim.sample_seeds(one, key, seeds=37, static=static, batch_size=37,
                                 devices=devices[:1])
        print(json.dumps([len(devices), compiles, width, fits, bool(np.all(four == alone))]))
    """)], capture_output=True, text=True, check=True, timeout=120,
        env=forced_devices_env(4))
    n_dev, compiles, width, fits, equal = json.loads(out.stdout.strip().splitlines()[-1])
    assert (n_dev, compiles, fits, equal) == (4, 2, True, True)
    assert 1 <= width < 10  # 37 seeds over 4 devices would be 10 per device unchunked


def test_cpu_chunks_are_capped_at_max_chunk(key):
    """With memory to spare, a CPU chunk holds MAX_CHUNK seeds per device (the XLA:CPU cap), and
    fewer seeds than that run as one chunk of exactly those seeds."""
    from sim._montecarlo import MAX_CHUNK

    kw = dict(budget=1 << 40, static=dict(m=16))
    assert sim.chunk_width(_gather_seed, key, seeds=10 * MAX_CHUNK, **kw) == MAX_CHUNK
    assert sim.chunk_width(_gather_seed, key, seeds=MAX_CHUNK // 2, **kw) == MAX_CHUNK // 2
