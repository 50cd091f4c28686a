"""Simulators of the categorical refitting (Wright-Fisher) chain; twins of :mod:`theory.discrete`,
declared on the sweep engine (:mod:`sim._engine`).

A generation draws its multinomial counts with the exact sampler of the Zipf simulators
(:func:`sim.sampling.tree_counts`, planned once per sweep from the truth p and the sweep's largest
M; the plan sets only the speed). ``RunOptions(sampler="raw")`` draws the M categorical samples
and counts them instead (a number of draws bucketed with :func:`sim._engine.bucket`, those beyond
M masked). One chain per seed records every generation, so a sweep over n costs one chain; the
randomness of generation i is ``fold_in(key, i)``, whatever the chain's (bucketed) length.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

import theory.discrete as TD
from sim._engine import SAMPLERS, Run, Twin, bucket, twin
from sim.sampling import Plan, counts_plan, tree_counts
from theory.domain import Grid

__all__ = ["SIM_ONLY", "expected_lost_mass", "fixation_probability", "loss_probability"]

#: Public simulators without a theory twin in :mod:`theory.discrete`: none.
SIM_ONLY: dict[str, str] = {}

_LOST, _FIXED, _STATE_LOST = 0, 1, 2  # columns of the per-generation statistics


def _counts(key, total, probs, raw_total: int, plan: Plan | None):
    """Multinomial counts of ``total`` draws from ``probs``: exact sufficient sampler, or (when
    ``raw_total``) ``raw_total`` categorical draws of which the first ``total`` are counted."""
    if raw_total:
        draws = jax.random.categorical(key, jnp.log(probs), shape=(raw_total,))
        used = (jnp.arange(raw_total) < total).astype(probs.dtype)
        return jnp.zeros(probs.shape, probs.dtype).at[draws].add(used)
    return tree_counts(key, probs, total, plan=plan)


def _one_chain(key, *, n_max: int, policy: str, raw_M: int, plan: Plan | None, p, M, a):
    """Generations 0..n_max of the chain started at p (generation 1: M samples of p); per
    generation (mass of p lost, 1[state 0 holds every sample], 1[state 0 has no sample])."""
    b = M - a

    def step(state, i):
        k_real, k_syn = jax.random.split(jax.random.fold_in(key, i))
        if policy == "accumulate":
            pool = state + _counts(k_syn, M, state / state.sum(), raw_M, plan)
            return pool, pool
        new = _counts(k_syn, b, state / state.sum(), raw_M, plan)
        if policy == "mix":
            new = new + _counts(k_real, a, p, raw_M, plan)
        return new, new

    first = _counts(jax.random.fold_in(key, 1), M, p, raw_M, plan)  # generation 1: the truth
    _, counts = jax.lax.scan(step, first, jnp.arange(2, max(n_max, 2) + 1))
    counts = jnp.concatenate([p[None], first[None], counts])[: n_max + 1]
    lost = jnp.sum(p * (counts == 0), axis=1)
    fixed = counts[:, 0] == counts.sum(axis=1)
    return jnp.stack([lost, fixed.astype(lost.dtype), (counts[:, 0] == 0).astype(lost.dtype)],
                     axis=1)


def _real_count(M: int, policy) -> int:
    """Fresh real samples per ``mix`` generation: round(real M) (0 for the other policies)."""
    return int(np.rint(policy.real * M)) if policy.name == "mix" else 0


def _lost_point(values: dict, grid: Grid, sampler: str) -> Run:
    """One chain as long as the sweep's largest n (bucketed), read at generation n."""
    pol, p = grid.options["policy"], grid.options["p"]
    M = int(values["M"])
    static = dict(n_max=bucket(max(grid.max("n"), 1)), policy=pol.name,
                  raw_M=bucket(M) if sampler == "raw" else 0,
                  plan=None if sampler == "raw" else counts_plan(p, grid.max("M")))
    return Run(static, dict(p=p, M=float(M), a=float(_real_count(M, pol))),
               read=(int(values["n"]), _LOST))


expected_lost_mass = twin(Twin(
    theory=TD.expected_lost_mass, validate=TD.validate_chain, one_seed=_one_chain,
    point=_lost_point, samplers=SAMPLERS,
    doc="""Each seed runs the chain on the K states of p (multinomial counts per generation:
    ``replace`` draws M from the last empirical law, ``accumulate`` adds M to the pool, ``mix``
    draws M - round(real M) from it and round(real M) from p) and reports the mass of p on the
    states with count 0 at generation n."""))


def _two_state_point(values: dict, grid: Grid, sampler: str, *, n: int, column: int) -> Run:
    """The ``replace`` chain on the two states (q, 1 - q)."""
    q, M = values["q"], int(values["M"])
    static = dict(n_max=bucket(max(n, 1)), policy="replace",
                  raw_M=bucket(M) if sampler == "raw" else 0, plan=None)
    return Run(static, dict(p=np.array([q, 1.0 - q]), M=float(M), a=0.0), read=(n, column))


def _fixation_point(values: dict, grid: Grid, sampler: str) -> Run:
    if not math.isfinite(grid.max("n")):
        raise ValueError("n must be finite for a simulation (theory.discrete.fixation_probability "
                         "gives n = inf: the initial mass q)")
    run = _two_state_point(values, grid, sampler, n=int(grid.max("n")), column=_FIXED)
    return Run(run.static, run.traced, read=(int(values["n"]), _FIXED))


fixation_probability = twin(Twin(
    theory=TD.fixation_probability, validate=TD.validate_fixation, one_seed=_one_chain,
    point=_fixation_point, samplers=SAMPLERS,
    doc="""Each seed runs the ``replace`` chain on two states of masses (q, 1 - q) and reports
    whether state 0 holds all M samples at generation n. Finite n only (a ValueError for
    n = inf)."""))


def _loss_point(values: dict, grid: Grid, sampler: str) -> Run:
    return _two_state_point(values, grid, sampler, n=1, column=_STATE_LOST)


loss_probability = twin(Twin(
    theory=TD.loss_probability, validate=TD.validate_loss, one_seed=_one_chain,
    point=_loss_point, samplers=SAMPLERS,
    doc="""Each seed draws the first generation's M samples from two states of masses
    (q, 1 - q) and reports whether state 0 got none."""))
