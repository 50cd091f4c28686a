"""Simulators of the memorising model on Zipf data: twins of :mod:`theory.zipf`.

Each seed samples the exact multinomial count vector of every training source
(:func:`sim.sampling.tree_counts`; its static plan, made here once per call from the
concrete weights and ``T`` of every grid point, sets only the speed: the work grows far below
linearly in T), and the test error is the exact real mass of the queries the learner has not
seen, ``sum_i p_i 1[count_i = 0]``. The vocabulary must be finite (``N`` an integer); ``T`` and
``T0`` are integers (sample counts).
Mixtures draw ``round(pi T)`` clean and ``T - round(pi T)`` AI samples, source by source; chains
are simulated generation by generation (``lax.scan``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from sim._montecarlo import Estimate, monte_carlo
from sim.sampling import Plan, counts_plan, tree_counts
from theory.domain import broadcast, choice, param
from theory.zipf._generations import CHAINS
from theory.zipf.domain import T_arg, beta_arg, finite_N_arg, k_arg, pi_arg

RANKINGS = ("oracle", "counts")


def _items(L: int, dtype) -> jax.Array:
    return jnp.arange(1, L + 1, dtype=dtype)


def _zipf(beta, N: int, L: int) -> jax.Array:
    """Zipf(beta) probabilities on ``N`` items, zero-padded to ``L``, caller's dtype."""
    i = _items(L, jnp.zeros(()).dtype)
    w = jnp.where(i <= N, i ** (-beta), 0)
    return w / w.sum()


def _zipf_np(beta, N: int, L: int, cut: float = np.inf, above: float = 0) -> np.ndarray:
    """Concrete Zipf(beta) weights on ``above < i <= min(N, cut)`` (for planning the sampler)."""
    i = np.arange(1, L + 1, dtype=np.float64)
    return np.where((i <= N) & (i <= cut) & (i > above), i ** -float(beta), 0.0)


def _unseen_mass(p, counts) -> jax.Array:
    return jnp.sum(jnp.where(counts == 0, p, 0))


def _one_memorization(key, *, N, L, plan, beta, T):
    p = _zipf(beta, N, L)
    return _unseen_mass(p, tree_counts(key, p, T, plan=plan))


def _one_tail_cut(key, *, N, L, plan, beta, T, k):
    p = _zipf(beta, N, L)
    q = jnp.where(_items(L, p.dtype) <= k, p, 0)
    return _unseen_mass(p, tree_counts(key, q, T, plan=plan))


def _one_narrowed(key, *, N, L, plan, beta, beta_ai, T):
    p = _zipf(beta, N, L)
    return _unseen_mass(p, tree_counts(key, _zipf(beta_ai, N, L), T, plan=plan))


def _one_band(key, *, N, L, plan, beta, T, k, pi, j):
    """``round(pi T)`` draws of ``p`` on ``i > j``, the rest from the top ``k`` (j = 0: mixed)."""
    p = _zipf(beta, N, L)
    i = _items(L, p.dtype)
    k1, k2 = jax.random.split(key)
    T_clean = jnp.round(pi * T)
    clean = tree_counts(k1, jnp.where(i > j, p, 0), T_clean, plan=plan)
    cut = tree_counts(k2, jnp.where(i <= k, p, 0), T - T_clean, plan=plan)
    return _unseen_mass(p, clean + cut)


def _one_capacity(key, *, N, L, plan, ranking, beta, T, d):
    p = _zipf(beta, N, L)
    counts = tree_counts(key, p, T, plan=plan)
    i = _items(L, p.dtype)
    if ranking == "oracle":
        stored = i <= d
    else:  # the d most frequent queries seen, ties to the smaller index
        score = counts + 0.5 * (1 - i / (L + 1))
        stored = jnp.argsort(jnp.argsort(-score)) < d
    return jnp.sum(jnp.where((counts > 0) & stored, 0, p))


def _one_generations(key, *, N, L, plan, n_max, chain, infinite_T, beta, T, T0):
    """Errors of generations ``0..n_max`` (module :mod:`theory.zipf._generations` defines them)."""
    p = _zipf(beta, N, L)

    def test_error(k, law):
        if infinite_T:
            return _unseen_mass(p, law)
        return _unseen_mass(p, tree_counts(k, law, T, plan=plan))

    def generation(law, k):
        k1, k2 = jax.random.split(k)
        counts = tree_counts(k1, law, T0, plan=plan)
        law = counts if chain == "resample" else jnp.where(counts > 0, p, 0)
        return law, test_error(k2, law)

    k0, k1 = jax.random.split(key)
    clean = test_error(k0, p) if not infinite_T else jnp.zeros((), p.dtype)
    _, errors = jax.lax.scan(generation, p, jax.random.split(k1, n_max))
    return jnp.concatenate([clean[None], errors])


def _plan(draws) -> Plan:
    """One sampler plan for every ``(weights, T)`` in ``draws`` (the largest of each field)."""
    plans = [counts_plan(w, T) for w, T in draws]
    return Plan(max(p.dense_rows for p in plans), max(p.draws for p in plans))


def _grid(one_seed, key, *, seeds, batch_size, static, draws, **params) -> Estimate:
    """Monte Carlo at every point of the broadcast grid of ``params`` (independent keys).

    ``draws(**point)`` lists the concrete ``(weights, T)`` a seed samples at a grid point; one
    :class:`Plan` for the whole grid (a static argument: one compilation) is made from them.
    """
    grid = broadcast(**params)
    shape = np.shape(next(iter(grid.values())))
    points = [{k: v[idx] for k, v in grid.items()} for idx in np.ndindex(shape)]
    static = {**static, "plan": _plan([d for pt in points for d in draws(**pt)])}
    means, errs = np.empty(shape), np.empty(shape)
    for flat, idx in enumerate(np.ndindex(shape)):
        est = monte_carlo(one_seed, jax.random.fold_in(key, flat), seeds=seeds, static=static,
                          params=points[flat], batch_size=batch_size)
        means[idx], errs[idx] = est.mean, est.stderr
    return Estimate(means, errs, int(seeds))


def _vocab(N) -> tuple[int, int]:
    N = finite_N_arg(N)
    if np.ndim(N):
        raise ValueError("N must be a single integer for a simulation")
    return int(N), 1 << max(int(N) - 1, 0).bit_length()


def memorization_error(key, *, beta, T, N, seeds, batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.memorization_error`: ``T`` clean samples, memorise, test on p."""
    N, L = _vocab(N)
    return _grid(_one_memorization, key, seeds=seeds, batch_size=batch_size,
                 static={"N": N, "L": L}, draws=lambda beta, T: [(_zipf_np(beta, N, L), T)],
                 beta=beta_arg(beta), T=T_arg(T, integer=True))


def tail_cut_error(key, *, beta, T, k, N, seeds, batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.tail_cut_error`: ``T`` samples of the top-``k`` law."""
    Nv, L = _vocab(N)
    return _grid(_one_tail_cut, key, seeds=seeds, batch_size=batch_size,
                 static={"N": Nv, "L": L},
                 draws=lambda beta, T, k: [(_zipf_np(beta, Nv, L, cut=k), T)],
                 beta=beta_arg(beta), T=T_arg(T, integer=True), k=k_arg(k, np.float64(Nv)))


def narrowed_error(key, *, beta, beta_ai, T, N, seeds, batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.narrowed_error`: ``T`` samples of Zipf(``beta_ai``)."""
    N, L = _vocab(N)
    return _grid(_one_narrowed, key, seeds=seeds, batch_size=batch_size,
                 static={"N": N, "L": L},
                 draws=lambda beta, beta_ai, T: [(_zipf_np(beta_ai, N, L), T)], beta=beta_arg(beta),
                 beta_ai=beta_arg(beta_ai, "beta_ai"), T=T_arg(T, integer=True))


def _band_draws(N: int, L: int):
    def draws(beta, T, k, pi, j):
        clean = np.round(pi * T)
        return [(_zipf_np(beta, N, L, above=j), clean), (_zipf_np(beta, N, L, cut=k), T - clean)]
    return draws


def mixed_error(key, *, beta, T, k, pi, N, seeds, batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.mixed_error`: ``round(pi T)`` clean + the rest top-``k``."""
    Nv, L = _vocab(N)
    k = k_arg(k, np.float64(Nv))
    return _grid(_one_band, key, seeds=seeds, batch_size=batch_size, static={"N": Nv, "L": L},
                 draws=_band_draws(Nv, L), beta=beta_arg(beta), T=T_arg(T, integer=True), k=k,
                 pi=pi_arg(pi), j=np.zeros_like(k))


def tail_band_error(key, *, beta, T, k, pi, j, N, seeds, batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.tail_band_error`: clean data only from ``i > j``."""
    Nv, L = _vocab(N)
    k, j = k_arg(k, np.float64(Nv)), k_arg(j, np.float64(Nv), "j")
    if np.any(np.asarray(j) < np.asarray(k)):
        raise ValueError("j must be an integer in [k, N]")
    return _grid(_one_band, key, seeds=seeds, batch_size=batch_size, static={"N": Nv, "L": L},
                 draws=_band_draws(Nv, L), beta=beta_arg(beta), T=T_arg(T, integer=True), k=k,
                 pi=pi_arg(pi), j=j)


def capacity_error(key, *, beta, T, d, N, ranking="oracle", seeds, batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.capacity_error` (``ranking="oracle"``: store seen ``i <= d``).

    ``ranking="counts"``: a finite memory that stores the ``d`` most frequent seen queries (ties
    to the smaller index) - what a learner without the true ranking can do; no closed form.
    """
    Nv, L = _vocab(N)
    ranking = choice("ranking", ranking, RANKINGS)
    return _grid(_one_capacity, key, seeds=seeds, batch_size=batch_size,
                 static={"N": Nv, "L": L, "ranking": ranking},
                 draws=lambda beta, T, d: [(_zipf_np(beta, Nv, L), T)], beta=beta_arg(beta),
                 T=T_arg(T, integer=True), d=k_arg(d, np.float64(Nv), "d"))


def generations_error(key, *, beta, T, T0, n, chain, N, seeds, batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.generations_error`, simulated generation by generation.

    One scan runs generations ``1..max(n)`` and records every generation's error, so an array
    of ``n`` costs one chain per ``(beta, T, T0)``; all ``n`` share those seeds.
    """
    Nv, L = _vocab(N)
    chain = choice("chain", chain, CHAINS)
    grid = broadcast(beta=beta_arg(beta), T=T_arg(T, allow_inf=True),
                     T0=param("T0", T0, lo=1, integer=True).astype(np.float64),
                     n=param("n", n, lo=0, integer=True).astype(np.float64))
    if np.any(np.isfinite(grid["T"]) & (grid["T"] != np.round(grid["T"]))):
        raise ValueError("T must be an integer >= 0 or inf for a simulation")
    n_max = max(int(grid["n"].max()), 1)
    shape = grid["n"].shape
    plan = _plan([(_zipf_np(b, Nv, L), t) for b, T_, T0_ in zip(*(grid[x].reshape(-1) for x in (
        "beta", "T", "T0"))) for t in (T0_, T_ if np.isfinite(T_) else 0.0)])
    means, errs = np.empty(shape), np.empty(shape)
    done: dict[tuple, Estimate] = {}
    for idx in np.ndindex(shape):
        point = (float(grid["beta"][idx]), float(grid["T"][idx]), float(grid["T0"][idx]))
        if point not in done:
            infinite = math.isinf(point[1])
            done[point] = monte_carlo(
                _one_generations, jax.random.fold_in(key, len(done)), seeds=seeds,
                static={"N": Nv, "L": L, "plan": plan, "n_max": n_max, "chain": chain,
                        "infinite_T": infinite},
                params={"beta": point[0], "T": 0.0 if infinite else point[1], "T0": point[2]},
                batch_size=batch_size)
        est, g = done[point], int(grid["n"][idx])
        means[idx], errs[idx] = est.mean[g], est.stderr[g]
    return Estimate(means, errs, int(seeds))
