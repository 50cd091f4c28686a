"""Several processes (jax.distributed, CPU devices with gloo collectives) give the numbers of one.

Two processes with two CPU devices each run the same ``sample_seeds`` call; both must return,
bit for bit, what a single process returns for the same key (seed i always gets fold_in(key, i)).
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from sim import sample_seeds
from sim.regression._chain import _chain_seed, ols_steps

PARAMS = dict(spectrum=np.ones(6), w0=np.full(6, 0.4), T=np.array([15.0, 4.0, 20.0]),
              noise=np.ones(3), lam=np.array([0.0, 0.0, 0.2]))
STATIC = dict(raw_sizes=None, ols=ols_steps(PARAMS["T"], PARAMS["lam"], 6))
SEEDS = 37

WORKER = textwrap.dedent("""
    import json, os, sys
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.config.update("jax_enable_x64", True)
    jax.distributed.initialize(coordinator_address="localhost:" + sys.argv[2], num_processes=2,
                               process_id=int(sys.argv[1]))
    import numpy as np
    from sim import sample_seeds
    from sim.regression._chain import _chain_seed
    params = {params}
    params = {{k: np.asarray(v) for k, v in params.items()}}
    out = sample_seeds(_chain_seed, jax.random.key(7), seeds={seeds},
                       static=dict(raw_sizes=None, ols={ols}), params=params)
    print(json.dumps([jax.process_count(), jax.device_count(), out.tolist()]))
""").format(params={k: v.tolist() for k, v in PARAMS.items()}, seeds=SEEDS,
                ols=STATIC["ols"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # three JAX processes: ~30-70 s of compilation on 2 cores
def test_two_processes_equal_one_process(forced_devices_env):
    port = str(_free_port())
    env = {**forced_devices_env(2), "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(i), port], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(2)]
    try:
        outputs = [w.communicate(timeout=240) for w in workers]
    finally:
        for w in workers:
            w.kill()
    results = []
    for (stdout, stderr), w in zip(outputs, workers):
        assert w.returncode == 0, stderr[-2000:]
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    one = sample_seeds(_chain_seed, jax.random.key(7), seeds=SEEDS, static=STATIC,
                       params=PARAMS)
    for processes, devices, values in results:
        assert (processes, devices) == (2, 4)
        np.testing.assert_array_equal(np.asarray(values), one)
