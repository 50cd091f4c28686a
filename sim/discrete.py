"""Simulators of the categorical refitting chains (Wright-Fisher and relatives); twins of
:mod:`theory.discrete`, declared on the sweep engine (:mod:`sim._engine`).

A generation draws its multinomial counts with the exact sampler of the Zipf simulators
(:func:`sim.sampling.tree_counts`, planned once per sweep from the truth p and the sweep's largest
M; the plan sets only the speed). ``RunOptions(sampler="raw")`` draws the M categorical samples
and counts them instead (a number of draws bucketed with :func:`sim._engine.bucket`, those beyond
M masked). One chain per seed records every generation, so a sweep over n costs one chain; the
randomness of generation i is ``fold_in(key, i)``, whatever the chain's (bucketed) length.

Also here: the Poisson chain (:func:`poisson_survival`: n Poisson draws per refit, or their sum
by default) and curation by a reward (:func:`curated_law`, :func:`curated_reward`: K candidates
per kept sample, one kept by softmax(reward); finite M refits, or at M = inf trees of candidate
draws whose levels are exact samples of each round's law).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

import theory.discrete as TD
from sim._engine import SAMPLERS, Run, RunOptions, Twin, bucket, sweep, twin
from sim._montecarlo import Estimate
from sim.sampling import Plan, counts_plan, tree_counts
from theory.domain import Grid

__all__ = ["SIM_ONLY", "curated_law", "curated_reward", "entropy", "expected_lost_mass",
           "expected_support", "fixation_probability", "heterozygosity", "loss_probability",
           "poisson_survival", "squared_distance"]

#: Public simulators without a theory twin in :mod:`theory.discrete`, and why.
SIM_ONLY: dict[str, str] = {
    "entropy": "the expected Shannon entropy of multinomial frequencies (E of q log q) has no "
               "closed form; estimated by simulation only",
}

# columns of the per-generation statistics: mass of p lost, 1[state 0 holds every sample],
# 1[state 0 has no sample], heterozygosity, squared distance to p, entropy (nats), support size
_COLUMNS = ("lost", "fixed", "state_lost", "heterozygosity", "distance", "entropy", "support")
_LOST, _FIXED, _STATE_LOST, _HET, _DIST, _ENTROPY, _SUPPORT = range(len(_COLUMNS))


def _counts(key, total, probs, raw_total: int, plan: Plan | None):
    """Multinomial counts of ``total`` draws from ``probs``: exact sufficient sampler, or (when
    ``raw_total``) ``raw_total`` categorical draws of which the first ``total`` are counted."""
    if raw_total:
        draws = jax.random.categorical(key, jnp.log(probs), shape=(raw_total,))
        used = (jnp.arange(raw_total) < total).astype(probs.dtype)
        return jnp.zeros(probs.shape, probs.dtype).at[draws].add(used)
    return tree_counts(key, probs, total, plan=plan)


def _one_chain(key, *, n_max: int, policy: str, raw_M: int, plan: Plan | None, p, M, a, s):
    """Generations 0..n_max of the chain started at p (generation 1: M samples of p, under
    ``fixed-real`` the kept real sample); per generation the statistics of ``_COLUMNS``."""
    b = M - a
    first = _counts(jax.random.fold_in(key, 1), M, p, raw_M, plan)  # generation 1: the truth

    def step(state, i):
        k_real, k_syn = jax.random.split(jax.random.fold_in(key, i))
        if policy == "accumulate":
            pool = state + _counts(k_syn, M, state / state.sum(), raw_M, plan)
            return pool, pool
        if policy == "fixed-real":
            new = first + _counts(k_syn, s, state / state.sum(), raw_M, plan)
            return new, new
        new = _counts(k_syn, b, state / state.sum(), raw_M, plan)
        if policy == "mix":
            new = new + _counts(k_real, a, p, raw_M, plan)
        return new, new

    _, counts = jax.lax.scan(step, first, jnp.arange(2, max(n_max, 2) + 1))
    counts = jnp.concatenate([p[None], first[None], counts])[: n_max + 1]
    law = counts / counts.sum(axis=1, keepdims=True)
    lost = jnp.sum(p * (counts == 0), axis=1)
    fixed = counts[:, 0] == counts.sum(axis=1)
    plogp = jnp.where(law > 0, law * jnp.log(jnp.where(law > 0, law, 1.0)), 0.0)
    return jnp.stack([lost, fixed.astype(lost.dtype), (counts[:, 0] == 0).astype(lost.dtype),
                      1.0 - jnp.sum(law**2, axis=1), jnp.sum((law - p) ** 2, axis=1),
                      -jnp.sum(plogp, axis=1), jnp.sum(counts > 0, axis=1).astype(lost.dtype)],
                     axis=1)


def _real_count(M: int, policy) -> int:
    """Fresh real samples per ``mix`` generation: round(real M) (0 for the other policies)."""
    return int(np.rint(policy.real * M)) if policy.name == "mix" else 0


def _synthetic_count(M: int, policy) -> int:
    """Synthetic samples per ``fixed-real`` generation: round(ratio M) (0 for the others)."""
    return int(np.rint(policy.ratio * M)) if policy.name == "fixed-real" else 0


def _chain_point(column: int):
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        """One chain as long as the sweep's largest n (bucketed), read at generation n."""
        pol, p = grid.options["policy"], grid.options["p"]
        if not math.isfinite(grid.max("n")):
            raise ValueError("n must be finite for a simulation (the theory twin gives n = inf: "
                             "the limit)")
        M = int(values["M"])
        s = _synthetic_count(M, pol)
        static = dict(n_max=bucket(max(grid.max("n"), 1)), policy=pol.name,
                      raw_M=bucket(max(M, s)) if sampler == "raw" else 0,
                      plan=None if sampler == "raw" else counts_plan(
                          p, max(grid.max("M"), _synthetic_count(int(grid.max("M")), pol))))
        return Run(static, dict(p=p, M=float(M), a=float(_real_count(M, pol)), s=float(s)),
                   read=(int(values["n"]), column))

    return point


_lost_point = _chain_point(_LOST)


expected_lost_mass = twin(Twin(
    theory=TD.expected_lost_mass, validate=TD.validate_chain, one_seed=_one_chain,
    point=_lost_point, samplers=SAMPLERS,
    doc="""Each seed runs the chain on the K states of p (multinomial counts per generation:
    ``replace`` draws M from the last empirical law, ``accumulate`` adds M to the pool, ``mix``
    draws M - round(real M) from it and round(real M) from p, ``fixed-real`` keeps generation 1's
    M counts and adds round(ratio M) drawn from the last law) and reports the mass of p on the
    states with count 0 at generation n."""))


def _two_state_point(values: dict, grid: Grid, sampler: str, *, n: int, column: int) -> Run:
    """The ``replace`` chain on the two states (q, 1 - q)."""
    q, M = values["q"], int(values["M"])
    static = dict(n_max=bucket(max(n, 1)), policy="replace",
                  raw_M=bucket(M) if sampler == "raw" else 0, plan=None)
    return Run(static, dict(p=np.array([q, 1.0 - q]), M=float(M), a=0.0, s=0.0),
               read=(n, column))


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


_MOMENTS_DOC = """Each seed runs the chain on the K states of p as :func:`expected_lost_mass` does
(every policy's raw multinomial refits) and reports, at generation n, {what} of the empirical law.
Finite n only (a ValueError for n = inf)."""

heterozygosity = twin(Twin(
    theory=TD.heterozygosity, validate=TD.validate_moments, one_seed=_one_chain,
    point=_chain_point(_HET), samplers=SAMPLERS,
    doc=_MOMENTS_DOC.format(what="1 - sum_i q_i^2")))

squared_distance = twin(Twin(
    theory=TD.squared_distance, validate=TD.validate_moments, one_seed=_one_chain,
    point=_chain_point(_DIST), samplers=SAMPLERS,
    doc=_MOMENTS_DOC.format(what="sum_i (q_i - p_i)^2")))

expected_support = twin(Twin(
    theory=TD.expected_support, validate=TD.validate_chain, one_seed=_one_chain,
    point=_chain_point(_SUPPORT), samplers=SAMPLERS,
    doc=_MOMENTS_DOC.format(what="the number of states with a positive count")))


def entropy(key: jax.Array, /, *, p, M, n, policy="replace", seeds: int,
            options: RunOptions | None = None) -> Estimate:
    """E[-sum_i p_{n,i} log p_{n,i}]: the expected Shannon entropy (nats) of the law after n
    refits on M samples (simulation only: the expected logarithm of multinomial frequencies has
    no closed form; Seddik et al., arXiv:2404.05090, track it empirically).

    The chain of :func:`expected_lost_mass` (same policies, same samplers). Args: as
    :func:`theory.discrete.heterozygosity` (finite n), plus ``key``, ``seeds`` and ``options``.
    Returns: an :class:`sim.Estimate` of the broadcast shape of (M, n).
    """
    decl = Twin(theory=None, validate=TD.validate_moments, one_seed=_one_chain,
                point=_chain_point(_ENTROPY), samplers=SAMPLERS)
    return sweep(decl, key, seeds=seeds, options=options, p=p, M=M, n=n, policy=policy)


def _poisson_chain(key, *, k_max: int, n_pad: int, n, rate0):
    """The Poisson chain: refit j draws n Poisson(rate_{j-1}) variables and averages them into
    rate_j; per refit 0..k_max, 1[rate > 0]. ``n_pad`` > 0 (raw): n_pad draws of which the first
    n are summed; ``n_pad`` = 0 (sufficient): their sum, one Poisson(n rate_{j-1}) draw."""
    used = jnp.arange(max(n_pad, 1)) < n

    def step(rate, j):
        k = jax.random.fold_in(key, j)
        if n_pad:
            draws = jax.random.poisson(k, rate, shape=(n_pad,))
            total = jnp.sum(jnp.where(used, draws, 0))
        else:
            total = jax.random.poisson(k, n * rate)
        rate = total.astype(rate.dtype) / n
        return rate, rate

    _, rates = jax.lax.scan(step, rate0 + 0.0 * n, jnp.arange(1, max(k_max, 1) + 1))
    rates = jnp.concatenate([(rate0 + 0.0 * n)[None], rates])[: k_max + 1]
    return (rates > 0).astype(rates.dtype)


def _poisson_point(values: dict, grid: Grid, sampler: str) -> Run:
    static = dict(k_max=bucket(max(grid.max("k"), 1)),
                  n_pad=bucket(grid.max("n")) if sampler == "raw" else 0)
    return Run(static, dict(n=float(values["n"]), rate0=float(values["rate0"])),
               read=(int(values["k"]),))


poisson_survival = twin(Twin(
    theory=TD.poisson_survival, validate=TD.validate_poisson, one_seed=_poisson_chain,
    point=_poisson_point, samplers=SAMPLERS,
    doc="""Each seed runs the chain: n Poisson(rate) draws per refit (``sampler="raw"``; by
    default their sum, one Poisson(n rate) draw), their mean the next rate, from rate0; it reports
    whether the rate after k refits is positive."""))


#: Leaves (candidate draws) a seed of the infinite-sample curation tree may hold.
_TREE_LEAVES = 1 << 16


def _inverse_cdf(u: jax.Array, cdf: jax.Array) -> jax.Array:
    """Index drawn by inverse CDF: the number of cumulative weights ``cdf[..., :-1]`` that
    ``u`` (uniform on [0, 1)) times the total ``cdf[..., -1]`` reaches (zero weights are never
    drawn)."""
    return jnp.sum(u[..., None] * cdf[..., -1:] >= cdf[..., :-1], axis=-1)


def _curation(key, *, mode: str, n_max: int, K_pad: int, M_pad: int, reps: int, mix: bool, p,
              reward, K, M, a, real):
    """The curated chain; per round 0..n_max, the mean indicator of each state among the kept
    samples (the law) and their mean reward.

    ``mode="chain"`` (finite M): each round draws M_pad x K_pad candidates from the current
    empirical law (candidates beyond K masked from the choice, rows beyond M not counted), keeps
    one per row with probabilities softmax(reward); under ``mix`` the last ``a`` of the M rows
    are fresh draws from p instead; the law is refitted to the M samples.
    ``mode="tree"`` (M = inf): ``reps`` (max(1, 256 // K^n_max)) independent trees of depth
    n_max with K_pad (= K) children per node and leaves drawn from p; a node at level j is a kept
    sample of round j, the choice among its K children, so level j holds reps K^(n_max - j)
    independent draws from p_j (under ``mix``, static, each node of level >= 1 is, with
    probability ``real``, a fresh draw from p instead). A leaf, a fresh draw and a node's
    choice each take one uniform (inverse CDF of p, or of its children's e^reward); the
    levels' laws are counted by comparison, not scatter.
    """
    S = p.shape[0]
    if mode == "tree":
        cdf_p = jnp.cumsum(p)

        def draw_p(k, size):  # i.i.d. draws from p
            return _inverse_cdf(jax.random.uniform(k, (size,), p.dtype), cdf_p)

        x = draw_p(jax.random.fold_in(key, 0), reps * K_pad**n_max)
        levels = [x]
        tilt = jnp.exp(reward - jnp.max(reward))
        for j in range(1, n_max + 1):
            groups = x.reshape(-1, K_pad)  # a node's K candidates; keep one by softmax(reward)
            u = jax.random.uniform(jax.random.fold_in(key, j), (groups.shape[0],), p.dtype)
            pick = _inverse_cdf(u, jnp.cumsum(tilt[groups], axis=1))
            x = jnp.take_along_axis(groups, pick[:, None], axis=1)[:, 0]
            if mix:
                k_coin, k_fresh = jax.random.split(jax.random.fold_in(key, n_max + 1 + j))
                x = jnp.where(jax.random.uniform(k_coin, x.shape) < real,
                              draw_p(k_fresh, x.size), x)
            levels.append(x)
        states = jnp.arange(S)
        law = jnp.stack([jnp.mean(v[:, None] == states, axis=0, dtype=p.dtype) for v in levels])
        return jnp.concatenate([law, (law @ reward)[:, None]], axis=1)
    rows = (jnp.arange(M_pad) < M).astype(p.dtype)
    live = jnp.arange(K_pad) < K

    def step(counts, j):
        k_draw, k_pick, k_real = jax.random.split(jax.random.fold_in(key, j), 3)
        cand = jax.random.categorical(k_draw, jnp.log(counts / M), shape=(M_pad, K_pad))
        logits = jnp.where(live, reward[cand], -jnp.inf)
        pick = jax.random.categorical(k_pick, logits, axis=-1)
        kept = jnp.take_along_axis(cand, pick[:, None], axis=1)[:, 0]
        fresh = jax.random.categorical(k_real, jnp.log(p), shape=(M_pad,))
        kept = jnp.where(jnp.arange(M_pad) >= M - a, fresh, kept)
        counts = jnp.zeros(S, p.dtype).at[kept].add(rows)
        return counts, counts / M

    _, laws = jax.lax.scan(step, p * M, jnp.arange(1, max(n_max, 1) + 1))
    law = jnp.concatenate([p[None], laws])[: n_max + 1]
    return jnp.concatenate([law, (law @ reward)[:, None]], axis=1)


def _curation_point(reward_column: bool):
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        p, reward = grid.options["p"], grid.options["reward"]
        if not math.isfinite(grid.max("K")):
            raise ValueError("K must be finite for a simulation (the theory twin gives K = inf: "
                             "the tilted law p e^r / E_p e^r)")
        K, n = int(values["K"]), int(values["n"])
        S = p.size
        real = grid.options["policy"].real
        finite = math.isfinite(values["M"])
        if finite:
            static = dict(mode="chain", n_max=bucket(max(grid.max("n"), 1)),
                          K_pad=bucket(grid.max("K"), minimum=1),
                          M_pad=bucket(np.max(grid["M"][np.isfinite(grid["M"])])), reps=0,
                          mix=False)
        else:
            n_max = int(grid.max("n"))
            leaves = K**n_max
            if leaves > _TREE_LEAVES:
                raise ValueError(f"K^n must be at most {_TREE_LEAVES} for a simulation with "
                                 f"M = inf (a tree of K^n candidate draws per sample), got "
                                 f"K={K}, n={n_max}")
            static = dict(mode="tree", n_max=n_max, K_pad=K, M_pad=0,
                          reps=max(1, 256 // leaves), mix=real > 0)
        traced = dict(p=p, reward=reward, K=float(K), M=float(values["M"]) if finite else 0.0,
                      a=float(np.rint(real * values["M"])) if finite else 0.0, real=real)
        return Run(static, traced, read=(n, S) if reward_column else (n, slice(0, S)))

    return point


_CURATION_DOC = """Each seed runs the raw loop: every kept sample is one of K candidates drawn
from the current law, chosen with probability softmax(reward). Finite M: M kept samples per
round, the next law their empirical law (Wright-Fisher with selection; under ``mix``,
round(real M) of them fresh draws from p). M = inf: a tree of
candidate draws (K^n leaves from p, at most 2^16), each level the samples kept in one round,
which are exact independent draws from the infinite-sample law of that round (under ``mix``
each replaced, with probability real, by a fresh draw from p). Finite K only
(a ValueError for K = inf)."""

curated_law = twin(Twin(theory=TD.curated_law, validate=TD.validate_curation,
                        one_seed=_curation, point=_curation_point(False),
                        doc=_CURATION_DOC + "\nReports the law (trailing axis: the states)."))

curated_reward = twin(Twin(theory=TD.curated_reward, validate=TD.validate_curation,
                           one_seed=_curation, point=_curation_point(True),
                           doc=_CURATION_DOC + "\nReports the mean reward of the kept samples."))
