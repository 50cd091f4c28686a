"""The sweep engine (sim/_engine.py): shape buckets, one program per static group, common random
numbers, invariance under chunking, grouping and device count, indexable estimates."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.monitoring
import numpy as np
import pytest

import sim.gaussian as sg
from sim import Estimate, RunOptions, bucket, pow2


def test_bucket_rounds_up_by_at_most_an_eighth():
    assert [bucket(v) for v in (0, 1, 3, 4, 5, 9, 16)] == [4, 4, 4, 4, 8, 16, 16]
    values = np.arange(17, 5000)
    sizes = np.array([bucket(v) for v in values])
    assert np.all(sizes >= values) and np.all(sizes <= values * 1.125)
    assert np.all(np.diff(sizes) >= 0)
    assert len(set(sizes.tolist())) < len(values) / 40  # nearby values share a size
    assert bucket(3, minimum=1) == 4 and bucket(1, minimum=1) == 1


def test_pow2_is_the_next_power_of_two():
    values = np.concatenate([np.arange(0, 3000) / 3, [2.0**40 - 1, 2.0**40, 2.0**40 + 1]])
    expect = [1 if v <= 1 else 2 ** int(np.ceil(np.log2(np.ceil(v)))) for v in values]
    assert [pow2(v) for v in values] == expect
    assert pow2(5, minimum=1024) == 1024 and pow2(1025, minimum=1024) == 2048


def test_estimate_indexes_like_an_array():
    est = Estimate(np.arange(6.0).reshape(2, 3), np.ones((2, 3)), 10)
    assert est.shape == (2, 3) and est.ndim == 2 and len(est) == 2
    col = est[:, 1]
    assert isinstance(col, Estimate) and col.shape == (2,) and col.seeds == 10
    np.testing.assert_array_equal(col.mean, [1.0, 4.0])
    assert est[1, 2].mean == 5.0 and est[1, 2].shape == ()
    np.testing.assert_array_equal(est.z(np.zeros((2, 3))), est.mean)
    with pytest.raises(ValueError, match=r"^mean and stderr must have one shape"):
        Estimate(np.zeros(2), np.zeros(3), 4)


def test_one_program_for_a_sweep_and_common_random_numbers(key, compiles):
    """Six values of M and three of n (traced, read) are one compiled program; every point's
    numbers equal those of the point alone (same key, same seeds), whatever the chunking."""
    M = np.array([5, 6, 7, 9, 12, 20])
    n = np.array([[1], [2], [3]])
    compiles.clear()
    grid = sg.variance_after(key, n=n, M=M, seeds=50, options=RunOptions(batch_size=64))
    assert compiles.count("jit(chunk)") == 1, compiles
    assert grid.shape == (3, 6)
    alone = sg.variance_after(key, n=2, M=9, seeds=50)  # n_max bucket 4 either way
    assert alone.mean == grid[1, 3].mean and alone.stderr == grid[1, 3].stderr
    small = sg.variance_after(key, n=n, M=M, seeds=50, options=RunOptions(batch_size=7))
    np.testing.assert_array_equal(small.mean, grid.mean)


def test_points_that_differ_in_what_is_read_share_their_run(key):
    """mean_drift at n = 1..3 is one chain read at three generations: the increments of one
    seed's path are its own, so the path means are nested exactly."""
    est = sg.mean_drift(key, n=[1, 2, 3], M=6, seeds=40)
    once = sg.mean_drift(key, n=3, M=6, seeds=40)
    assert est[2].mean == once.mean


SHARDED = textwrap.dedent("""
    import json, jax
    jax.config.update("jax_enable_x64", True)
    import sim.gaussian as sg
    est = sg.w2_risk(jax.random.key(3), n=[1, 4], M=[[6], [11]], seeds=37)
    print(json.dumps([jax.device_count(), est.mean.tolist()]))
""")


def test_sharded_equals_unsharded(forced_devices_env):
    """The item axis sharded over 3 virtual CPU devices gives the numbers of one device."""
    out = subprocess.run([sys.executable, "-c", SHARDED], env={
        **forced_devices_env(3), "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    devices, mean = json.loads(out.stdout.strip().splitlines()[-1])
    assert devices == 3
    one = sg.w2_risk(jax.random.key(3), n=[1, 4], M=[[6], [11]], seeds=37)
    np.testing.assert_allclose(np.asarray(mean), one.mean, rtol=1e-12)
