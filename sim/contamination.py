"""Simulators of iterative training on a contaminated source; twins of
:mod:`theory.contamination`, declared on the sweep engine (:mod:`sim._engine`).

Round 0 fits the empirical law of n_0 draws from P; round t draws n_t points from
alpha_t P + (1 - alpha_t) Phat_{t-1} and fits their empirical law. The sufficient sampler draws
each round's multinomial counts exactly (:func:`sim.sampling.tree_counts`, traced n_t);
``RunOptions(sampler="raw")`` runs the loop as the paper describes it (Bakshi and Chakraborty,
arXiv 2602.10531): every draw first picks its source (the truth with probability alpha_t, else
the last model), then a state from that source's law; the draws are counted (a number of draw
slots bucketed with :func:`sim._engine.bucket`, those beyond n_t masked). One chain per seed
records every round, so a sweep over t costs one chain; round i uses ``fold_in(key, i)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import theory.contamination as TC
from sim._engine import SAMPLERS, Run, Twin, bucket, twin
from sim.sampling import tree_counts
from theory.domain import Grid

__all__ = ["SIM_ONLY", "risk"]

#: Public simulators without a theory twin in :mod:`theory.contamination`: none.
SIM_ONLY: dict[str, str] = {}


def _draw(key, law, p, alpha, count, raw_n: int):
    """Counts of ``count`` draws from alpha p + (1 - alpha) law."""
    if not raw_n:
        return tree_counts(key, alpha * p + (1 - alpha) * law, count)
    k_source, k_truth, k_model = jax.random.split(key, 3)
    fresh = jax.random.uniform(k_source, (raw_n,)) < alpha
    truth = jax.random.categorical(k_truth, jnp.log(p), shape=(raw_n,))
    model = jax.random.categorical(k_model, jnp.log(law), shape=(raw_n,))
    draws = jnp.where(fresh, truth, model)
    used = (jnp.arange(raw_n) < count).astype(p.dtype)
    return jnp.zeros(p.shape, p.dtype).at[draws].add(used)


def _one_loop(key, *, rounds: int, raw_n: int, p, alpha, n_samples):
    """||Phat_t - P||^2 for t = 0..rounds (alpha[0] = 1: round 0 draws from the truth)."""

    def step(law, t):
        counts = _draw(jax.random.fold_in(key, t), law, p, alpha[t], n_samples[t], raw_n)
        law = counts / n_samples[t]
        return law, jnp.sum((law - p) ** 2)

    _, path = jax.lax.scan(step, p, jnp.arange(rounds + 1))
    return path


def _pad(schedule: np.ndarray, length: int) -> np.ndarray:
    """The schedule over rounds 0..length - 1, its last value repeated (never read)."""
    return np.concatenate([schedule, np.full(length - schedule.size, schedule[-1])])


def _point(values: dict, grid: Grid, sampler: str) -> Run:
    """One loop as long as the sweep's largest t (bucketed), read at round t; every t shares it."""
    alpha, ns = grid.options["alpha"], grid.options["n_samples"]
    rounds = bucket(max(grid.max("t"), 1))
    static = dict(rounds=rounds, raw_n=bucket(ns.max()) if sampler == "raw" else 0)
    traced = dict(p=grid.options["p"], alpha=_pad(alpha, rounds + 1),
                  n_samples=_pad(ns, rounds + 1))
    return Run(static, traced, read=(int(values["t"]),))


risk = twin(Twin(
    theory=TC.risk, validate=TC.validate_risk, one_seed=_one_loop, point=_point,
    samplers=SAMPLERS,
    doc="""Each seed runs the loop over the K states of p and reports ||Phat_t - P||_2^2 at
    round t: multinomial counts per round (exact), or with ``sampler="raw"`` each draw's source
    and state drawn one by one."""))
