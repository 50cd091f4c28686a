"""Simulators of the categorical refitting (Wright-Fisher) chain; twins of :mod:`theory.discrete`.

A generation draws its multinomial counts with the exact sampler of the Zipf simulators
(:func:`sim.zipf.tree_counts`, planned once per call from the truth p and M; the plan sets only
the speed); ``raw=True`` draws the M categorical samples and counts them instead.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from sim._montecarlo import Estimate, monte_carlo
from sim.sampling import Plan, counts_plan, tree_counts
from theory.discrete import discrete_args
from theory.domain import broadcast, param
from theory.policy import Policy

__all__ = ["expected_lost_mass", "fixation_probability"]


def _counts(key, total, probs, raw_total: int, plan: Plan):
    if raw_total:
        draws = jax.random.categorical(key, jnp.log(probs), shape=(raw_total,))
        return jnp.zeros(probs.shape).at[draws].add(1.0)
    return tree_counts(key, probs, total, plan=plan)


def _one_chain(key, *, n_max: int, policy: str, raw_M: int, raw_a: int, plan: Plan, p, M, a):
    """Per generation 0..n_max: (mass of p lost, 1[state 0 holds every sample])."""
    b = M - a
    raw_b = raw_M - raw_a

    def step(state, k):
        k_real, k_syn = jax.random.split(k)
        if policy == "accumulate":
            pool = state + _counts(k_syn, M, state / state.sum(), raw_M, plan)
            return pool, pool
        new = _counts(k_syn, b, state / state.sum(), raw_b, plan)
        if policy == "mix":
            new = new + _counts(k_real, a, p, raw_a, plan)
        return new, new

    first = _counts(jax.random.fold_in(key, n_max), M, p, raw_M, plan)  # generation 1: the truth
    _, counts = jax.lax.scan(step, first, jax.random.split(key, max(n_max - 1, 1)))
    counts = jnp.concatenate([p[None], first[None], counts])[: n_max + 1]
    lost = jnp.sum(p * (counts == 0), axis=1)
    fixed = counts[:, 0] == counts.sum(axis=1)
    return jnp.stack([lost, fixed.astype(lost.dtype)], axis=1)


def _run(key, *, p, M, n_max, policy: Policy, seeds, batch_size, raw) -> Estimate:
    a = int(np.rint(policy.real * M)) if policy.name == "mix" else 0
    return monte_carlo(_one_chain, key, seeds=seeds, batch_size=batch_size,
                       static=dict(n_max=n_max, policy=policy.name, raw_M=M if raw else 0,
                                   raw_a=a if raw else 0, plan=counts_plan(np.asarray(p), M)),
                       params=dict(p=np.asarray(p), M=M, a=a))


def expected_lost_mass(key, *, p, M, n, policy: Policy | str = "replace", seeds: int,
                       batch_size: int | None = None, raw: bool = False) -> Estimate:
    """Monte Carlo twin of :func:`theory.discrete.expected_lost_mass`."""
    p, b, pol = discrete_args(p=p, M=M, n=n, policy=policy)
    n_max = max(int(b["n"].max()), 1)
    mean, err = np.empty(b["n"].shape), np.empty(b["n"].shape)
    runs: dict[int, Estimate] = {}
    for idx in np.ndindex(mean.shape):
        m = int(b["M"][idx])
        if m not in runs:
            runs[m] = _run(key, p=p, M=m, n_max=n_max, policy=pol, seeds=seeds,
                           batch_size=batch_size, raw=raw)
        mean[idx] = runs[m].mean[int(b["n"][idx]), 0]
        err[idx] = runs[m].stderr[int(b["n"][idx]), 0]
    return Estimate(mean, err, seeds)


def fixation_probability(key, *, q, M, n, seeds: int, batch_size: int | None = None,
                         raw: bool = False) -> Estimate:
    """Monte Carlo twin of :func:`theory.discrete.fixation_probability` (finite n only)."""
    b = broadcast(q=param("q", q, lo=0, hi=1), M=param("M", M, lo=1, integer=True),
                  n=param("n", n, lo=0, integer=True))
    n_max = max(int(b["n"].max()), 1)
    mean, err = np.empty(b["q"].shape), np.empty(b["q"].shape)
    runs: dict[tuple, Estimate] = {}
    for idx in np.ndindex(mean.shape):
        point = (float(b["q"][idx]), int(b["M"][idx]))
        if point not in runs:
            runs[point] = _run(key, p=np.array([point[0], 1 - point[0]]), M=point[1],
                               n_max=n_max, policy=Policy.replace(), seeds=seeds,
                               batch_size=batch_size, raw=raw)
        mean[idx] = runs[point].mean[int(b["n"][idx]), 1]
        err[idx] = runs[point].stderr[int(b["n"][idx]), 1]
    return Estimate(mean, err, seeds)
