"""Trained learners (sim.neural): many small networks trained side by side in one compiled
program, against the same networks trained one at a time in a Python loop (the way published
experiment code does it).

* ``neural_mlp`` and ``neural_transformer``: ``seeds`` networks (the default :class:`MLP` /
  :class:`Transformer` of ``sim.neural``), each trained by full-batch Adam for its default number
  of steps on its own count-weighted data (``L`` queries, counts of ``T`` Zipf draws, random
  answers): ours is ``jit(vmap(train))`` over the seeds; the reference is ``jit(train)`` called
  once per seed in a loop (compiled once, compilation excluded from both).
* Throughput: query rows processed per second (one row = one query's forward and backward pass
  in one step; with the count-weighted loss a step covers all ``T`` training samples at the cost
  of ``L`` rows: sim/neural/_train.py), and the training samples per second that amounts to.
* Model FLOP utilisation: the matmul FLOPs of training (3 x the forward pass's, counted from the
  shapes) per second, over the float32 matmul rate measured in the same run at the simulators'
  matmul precision (``sim._montecarlo.MATMUL_PRECISION``).

Agreement: the two ways give the same trained networks (final losses equal within 1e-4
relative: the same float32 program, batched or not).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from bench._registry import Result, benchmark, best_time
from sim._montecarlo import MATMUL_PRECISION
from sim.neural import MLP, Transformer
from sim.neural._train import loss, train


def _matmul_rate_f32(n: int = 1024) -> float:
    """Measured float32 FLOP/s of an ``n x n`` product at ``MATMUL_PRECISION``."""
    a = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
    with jax.default_matmul_precision(MATMUL_PRECISION):
        product = jax.jit(lambda a: (a @ a).sum())
        seconds, _ = best_time(lambda: product(a).block_until_ready(), repeat=3)
    return 2.0 * n**3 / seconds


def _forward_flops(cfg, L: int) -> float:
    """Matmul FLOPs of one forward pass over the ``L`` queries."""
    if isinstance(cfg, MLP):
        return 2.0 * L * (cfg.embed * cfg.width + cfg.width * cfg.answers)
    d, V = cfg.d_model, L + cfg.answers + 1
    per_position = 3 * d * d + d * d + 2 * 4 * d * d  # qkv, projection, MLP
    return 2.0 * ((L + 1) * cfg.layers * per_position + (L + 1) * d * V)


def _weights(seeds: int, L: int, T: int, answers: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    p = np.arange(1, L + 1, dtype=np.float64) ** -1.5
    out = np.zeros((seeds, L, answers), np.float32)
    for s in range(seeds):
        counts = rng.multinomial(T, p / p.sum())
        out[s, np.arange(L), rng.integers(0, answers, L)] = counts / T
    return out


def _run(name: str, cfg, quick: bool) -> Result:
    L, T = 256, 1000
    seeds = 16 if quick else 64
    weights = jnp.asarray(_weights(seeds, L, T, cfg.answers))
    keys = jax.random.split(jax.random.key(0), seeds)
    with jax.default_matmul_precision(MATMUL_PRECISION):
        one = jax.jit(lambda k, w: train(k, cfg, w))
        batched = jax.jit(jax.vmap(lambda k, w: train(k, cfg, w)))
        final = jax.jit(jax.vmap(lambda p, w: loss(p, cfg, w)))
        start = time.perf_counter()
        jax.block_until_ready(batched(keys, weights))
        batched_first_s = time.perf_counter() - start
        ours_s, params = best_time(lambda: jax.block_until_ready(batched(keys, weights)),
                                   repeat=2)
        jax.block_until_ready(one(keys[0], weights[0]))  # compile once

        def loop():
            return [jax.block_until_ready(one(keys[s], weights[s])) for s in range(seeds)]
        loop_s, looped = best_time(loop, repeat=1)
        ours_loss = np.asarray(final(params, weights))
        stacked = jax.tree.map(lambda *a: jnp.stack(a), *looped)
        loop_loss = np.asarray(final(stacked, weights))
    rate = _matmul_rate_f32()
    rows = seeds * cfg.steps * L
    flops = 3.0 * seeds * cfg.steps * _forward_flops(cfg, L)
    agree = bool(np.allclose(ours_loss, loop_loss, rtol=1e-4, atol=1e-6))
    return Result(name, ours_s, loop_s, agree, {
        "learner": repr(cfg), "L": L, "T": T, "seeds": seeds, "steps": cfg.steps,
        "ours_first_call_s": batched_first_s,
        "rows_per_s": rows / ours_s, "loop_rows_per_s": rows / loop_s,
        "samples_per_s": seeds * cfg.steps * T / ours_s,
        "model_flops": flops, "achieved_flop_per_s": flops / ours_s,
        "matmul_rate_f32": rate, "mfu": flops / ours_s / rate,
        "loop_mfu": flops / loop_s / rate,
        "final_loss_median": float(np.median(ours_loss)),
        "max_rel_loss_difference": float(np.max(np.abs(ours_loss - loop_loss)
                                                / np.maximum(np.abs(loop_loss), 1e-6))),
        "matmul_precision": MATMUL_PRECISION, "dtype": "float32",
        "device": str(jax.devices()[0]),
    })


@benchmark("neural_mlp")
def mlp(quick: bool) -> Result:
    return _run("neural_mlp", MLP(), quick)


@benchmark("neural_transformer")
def transformer(quick: bool) -> Result:
    return _run("neural_transformer", Transformer(), quick)
