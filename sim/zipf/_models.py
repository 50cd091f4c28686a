"""Simulators of the memorising model on Zipf data: twins of :mod:`theory.zipf`, declared on the
sweep engine (:mod:`sim._engine`).

A training procedure is one or two *sources*: ``T_s`` draws from the Zipf(``b_s``) law restricted
to a window ``lo_s <= i <= hi_s`` of the vocabulary. Each seed samples the exact multinomial count
vector of every source (:func:`sim.sampling.tree_counts`; its static plan, made from the concrete
weights and ``T_s`` of the grid point and rounded so nearby ``T`` share a program, sets only the
speed: the work grows far below linearly in T; up to ``DENSE_MAX`` items every row is split by
binomials, one program for every T), and the test error is the exact real mass of the
queries the learner does not know, ``sum_i p_i 1[count_i = 0 or i not stored]`` (``p`` =
Zipf(``beta``); a memory of capacity ``d`` stores only ``i <= d``). ``T`` and ``T0`` are integers
(sample counts). Mixtures draw ``round(pi T)`` clean and ``T - round(pi T)`` AI samples.

Infinite vocabulary (``N = None``, the theory's default), simulated exactly up to a stated
probability: the head ``i < L`` (``L`` a power of two chosen from ``beta`` and ``T``, so that a
source's expected number of draws beyond the head is at most ``L``) is counted by
:func:`sim.sampling.tree_counts`, with one more cell for the tail ``i >= L``, whose count is
therefore exactly ``Binomial(T_s, tail mass of the window)``. Each tail draw is an item drawn
exactly from the Zipf law on the window's tail by rejection (:func:`_tail_items`). A seed has room
for ``cap`` tail draws per source (static, bucketed), where ``cap`` is at least
``lam + a/3 + sqrt(a^2/9 + 2 a lam)``, ``lam`` the expected count and ``a = log(1e16)``: by
Bernstein's inequality a count exceeds it with probability below ``1e-16`` per source and seed
(draws beyond ``cap`` would be dropped). The unseen mass is the tail mass of ``p`` minus the mass
of the distinct tail items drawn (and stored), plus the unseen head mass. Precision: tail items
are carried in the float dtype, so in float32 two draws of distinct items above ``2^24`` that
round to the same float count as one item, an item beyond the float range (only for ``beta`` near
1) counts as mass 0, and the uniforms' 23-bit resolution leaves the law inexact only for items
whose mass beyond is below about ``2^-23`` of the tail's; float64 (x64) resolves far more.

The resample and cut chains (:func:`generations_error`) and the bigram model need a finite
vocabulary: for ``N = None`` they raise a ValueError.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

import theory.zipf as TZ
from sim._engine import SAMPLERS, Run, Twin, bucket, pow2, twin
from sim.sampling import Plan, counts_plan, tree_counts
from theory.domain import Grid
from theory.zipf._engine import normaliser, zeta

__all__ = [
    "capacity_error", "generations_error", "memorization_error", "mixed_error",
    "narrowed_error", "tail_band_error", "tail_cut_error",
]

#: ``log(1e16)``: each source's tail draws exceed their static room with probability < 1e-16.
_LOG_OVERFLOW = math.log(1e16)
#: Head sizes of an infinite-vocabulary simulation: powers of two from 2^10 to 2^22 (the
#: smallest whose expected tail draws fit in it), and the least room for tail draws: coarse sizes,
#: so that one program serves a wide range of T.
_L_MIN, _L_MAX, _CAP_MIN = 10, 22, 1024


def _items(L: int, dtype) -> jax.Array:
    return jnp.arange(1, L + 1, dtype=dtype)


def _zipf(beta, N, L: int) -> jax.Array:
    """Zipf(beta) probabilities on ``N`` items (traced), zero-padded to ``L``, caller's dtype."""
    i = _items(L, jnp.zeros(()).dtype)
    w = jnp.where(i <= N, i ** (-beta), 0)
    return w / w.sum()


def _zipf_np(beta, N: float, L: int, cut: float = np.inf, above: float = 0) -> np.ndarray:
    """Concrete Zipf(beta) weights on ``above < i <= min(N, cut)`` (for planning the sampler)."""
    i = np.arange(1, L + 1, dtype=np.float64)
    return np.where((i <= N) & (i <= cut) & (i > above), i ** -float(beta), 0.0)


#: Up to this many items the sampler splits every row by binomials (``Plan(C, 1)``: work ~ L,
#: independent of T), so that one program serves every T; beyond, it is planned.
DENSE_MAX = 2**14


def _coarse(plans: list[Plan], L: int) -> Plan:
    """One plan for the draws of a point (the largest of each field), its fields rounded up to
    powers of four (``dense_rows`` at most ``C``) so that nearby ``T`` share one program (more
    dense rows only take work from the draws); ``Plan(C, 1)`` up to ``DENSE_MAX`` items."""
    C = _rows(L)
    if L <= DENSE_MAX:
        return Plan(C, 1)

    def up(v: int) -> int:
        return 0 if v == 0 else 4 ** math.ceil(math.log(v, 4))
    return Plan(min(up(max(p.dense_rows for p in plans)), C), up(max(p.draws for p in plans)))


def _rows(L: int) -> int:
    return 1 << -(-max(L - 1, 1).bit_length() // 2)


# --------------------------------------------------------------------------- one seed
def _counts(key, w, T, *, plan: Plan, raw_T: int) -> jax.Array:
    """Multinomial counts of ``T`` draws from ``w / w.sum()``: exact sampler, or (``raw_T``) the
    first ``T`` of ``raw_T >= T`` individual draws (inverse CDF: the first item whose cumulative
    weight reaches ``u`` times the total, ``u`` uniform on (0, 1])."""
    if not raw_T:
        return tree_counts(key, w, T, plan=plan)
    cdf = jnp.cumsum(w)
    u = jax.random.uniform(key, (raw_T,), w.dtype, minval=0.0, maxval=1.0)
    draws = jnp.minimum(jnp.searchsorted(cdf, (1 - u) * cdf[-1], side="left"), w.shape[0] - 1)
    slot = jnp.where((jnp.arange(raw_T) < T) & (cdf[-1] > 0), draws, w.shape[0])
    return jnp.zeros(w.shape, w.dtype).at[slot].add(1, mode="drop")


def _tail_items(key, count, *, cap: int, b, first, last) -> jax.Array:
    """``count`` (<= ``cap``) items drawn independently from ``i^-b`` on ``first <= i <= last``
    (``last`` may be inf), in ``cap`` lanes (unused lanes: 0).

    Rejection from the continuous law ``y^-b`` on ``[first, last + 1)`` (inverse CDF) with
    ``i = floor(y)``, accepted with probability ``(y / i)^b / K``, ``K = (1 + 1/first)^b``:
    ``P(i, accept) = int_i^(i+1) y^-b (y/i)^b / K dy ∝ i^-b``, exactly the target; the
    acceptance rate is at least ``1/K``.
    """
    dtype = jnp.zeros(()).dtype
    first, last, b = (jnp.asarray(v, dtype) for v in (first, last, b))
    r = jnp.where(jnp.isinf(last), 0.0, (first / (last + 1)) ** (b - 1))
    K = (1 + 1 / first) ** b
    valid = jnp.arange(cap) < count

    def trial(carry):
        it, items, done = carry
        ku, kv = jax.random.split(jax.random.fold_in(key, it))
        u = jax.random.uniform(ku, (cap,), dtype)
        v = jax.random.uniform(kv, (cap,), dtype)
        y = first * (1 - u * (1 - r)) ** (-1 / (b - 1))
        i = jnp.minimum(jnp.floor(y), last)
        ok = ~jnp.isfinite(i) | (v * K <= jnp.exp(b * jnp.log1p((y - i) / i)))
        accept = ~done & ok
        return it + 1, jnp.where(accept, i, items), done | accept

    _, items, _ = jax.lax.while_loop(lambda c: ~jnp.all(c[2]), trial,
                                     (0, jnp.zeros(cap, dtype), ~valid))
    return jnp.where(valid, items, 0)


def _one_sources(key, *, L: int, tail: bool, cap: int, plan: Plan, raw_T: int, sources: int,
                 counts_rank: bool, beta, N, Z, tail_p, d, b1, lo1, hi1, T1, m1, b2, lo2, hi2,
                 T2, m2):
    """Unseen real mass after ``T_s`` draws from each source ``s`` (module docstring).

    Items ``1..L`` (``tail``: ``1..L-1`` and a tail cell ``L`` standing for every ``i >= L``,
    of weight ``m_s``); ``Z`` the normaliser of ``p``, ``tail_p`` its tail mass ``P(i >= L)``.
    """
    dtype = jnp.zeros(()).dtype
    i = _items(L, dtype)
    head = (i < L) if tail else jnp.ones(L, bool)
    p = jnp.where(head & (i <= N), i ** (-beta), 0) / Z
    keys = jax.random.split(key, 2 * sources)
    counts = jnp.zeros(L, dtype)
    tail_items = []
    for s, (b, lo, hi, T, m) in enumerate([(b1, lo1, hi1, T1, m1), (b2, lo2, hi2, T2, m2)]
                                          [:sources]):
        w = jnp.where(head & (i >= lo) & (i <= hi) & (i <= N), i ** (-b), 0)
        if tail:
            w = w.at[L - 1].set(m)
        c = _counts(keys[2 * s], w, T, plan=plan, raw_T=raw_T)
        if tail:
            tail_items.append(_tail_items(keys[2 * s + 1], c[L - 1], cap=cap, b=b,
                                          first=jnp.maximum(lo, L), last=hi))
            c = c.at[L - 1].set(0)
        counts = counts + c
    if counts_rank:  # the d most frequent queries seen, ties to the smaller index
        score = counts + 0.5 * (1 - i / (L + 1))
        stored = jnp.argsort(jnp.argsort(-score)) < d
    else:
        stored = i <= d
    error = jnp.sum(jnp.where((counts > 0) & stored, 0, p))
    if tail:
        items = jnp.sort(jnp.concatenate(tail_items))
        new = (items > 0) & (items != jnp.concatenate([jnp.zeros(1, dtype), items[:-1]]))
        known = new & (items <= d) & jnp.isfinite(items)
        seen = jnp.sum(jnp.where(known, jnp.where(known, items, 1.0) ** (-beta), 0)) / Z
        error = error + tail_p - seen
    return error


# --------------------------------------------------------------------------- grid points
def _window_mass(b: float, lo: float, hi: float) -> float:
    """``sum_{lo <= i <= hi} i^-b`` (``hi`` may be inf; 0 for an empty window)."""
    if hi < lo:
        return 0.0
    upper = 0.0 if math.isinf(hi) else float(zeta(b, hi + 1.0))
    return max(float(zeta(b, lo)) - upper, 0.0)


@functools.lru_cache(maxsize=4096)
def _layout(beta: float, N: float, d: float, sources: tuple, raw: bool, counts_rank: bool):
    """Static and traced values of a point: ``sources`` = ((b, lo, hi, T), ...)."""
    if raw and max(T for *_, T in sources) > 2**20:
        raise ValueError("T must be at most 2^20 for sampler='raw' (it draws every sample)")
    if math.isinf(N):
        if counts_rank:
            raise ValueError("N must be a finite integer for a simulation of ranking='counts'")
        totals = [_window_mass(b, lo, hi) for b, lo, hi, _ in sources]
        for e in range(_L_MIN, _L_MAX + 1):
            L = 1 << e
            masses = [_window_mass(b, max(lo, L), hi) for b, lo, hi, _ in sources]
            lams = [T * m / z if z > 0 else 0.0
                    for (*_, T), m, z in zip(sources, masses, totals)]
            if sum(lams) <= L:
                break
        else:
            raise ValueError(f"T is too large for an infinite-vocabulary simulation at "
                             f"beta={beta}: its tail draws need a head of more than "
                             f"2^{_L_MAX} items; pass a finite N")
        lam = max(lams)
        a = _LOG_OVERFLOW
        cap = pow2(lam + a / 3 + math.sqrt(a * a / 9 + 2 * a * lam), minimum=_CAP_MIN)
        Z = float(zeta(beta))
        tail_p = float(zeta(beta, float(L))) / Z
        weights = [np.append(_zipf_np(b, np.inf, L - 1, cut=hi, above=lo - 1), m)
                   for (b, lo, hi, _), m in zip(sources, masses)]
    else:
        L, cap, masses = pow2(N), 0, [0.0] * len(sources)
        Z, tail_p = normaliser(beta, N), 0.0
        weights = [_zipf_np(b, N, L, cut=hi, above=lo - 1) for b, lo, hi, _ in sources]
    plan = _coarse([] if L <= DENSE_MAX else
                   [counts_plan(w, T) for w, (*_, T) in zip(weights, sources)], L)
    raw_T = pow2(max(T for *_, T in sources), minimum=1024) if raw else 0
    static = dict(L=L, tail=math.isinf(N), cap=cap, plan=plan, raw_T=raw_T,
                  sources=len(sources), counts_rank=counts_rank)
    traced = dict(beta=beta, N=N, Z=Z, tail_p=tail_p, d=d)
    padded = list(sources) + [(2.0, 1.0, 0.0, 0.0)] * (2 - len(sources))
    for s, ((b, lo, hi, T), m) in enumerate(zip(padded, masses + [0.0] * (2 - len(masses)))):
        traced.update({f"b{s + 1}": b, f"lo{s + 1}": lo, f"hi{s + 1}": hi, f"T{s + 1}": T,
                       f"m{s + 1}": m})
    return tuple(static.items()), tuple(traced.items())


def _integer_T(T: float, name: str = "T") -> float:
    if T != round(T):
        raise ValueError(f"{name} must be an integer >= 0 for a simulation, got {T!r}")
    return float(T)


def _sources_point(sources_of, counts_rank=lambda grid: False, d=lambda v: math.inf):
    """``point`` of a source-family twin: ``sources_of(values) -> ((b, lo, hi, T), ...)``."""

    def point(values: dict, grid: Grid, sampler: str) -> Run:
        values = {**values, "T": _integer_T(values["T"])}
        static, traced = _layout(values["beta"], values["N"], d(values),
                                 tuple(sources_of(values)), sampler == "raw", counts_rank(grid))
        return Run(dict(static), dict(traced))

    return point


def _source_twin(theory_fn, validate, sources_of, doc: str, **kw):
    return twin(Twin(theory=theory_fn, validate=validate, one_seed=_one_sources,
                     point=_sources_point(sources_of, **kw), samplers=SAMPLERS,
                     doc=doc + "\n\n" + _SOURCES_DOC))


_SOURCES_DOC = """Counts are sampled exactly (binomial tree and categorical draws, cost far below
linear in T); ``sampler="raw"`` draws every sample. ``N = None`` (infinite vocabulary) is
simulated exactly: a head counted as above, the tail's draws each drawn by rejection, with a
stated overflow probability below 1e-16 per source and seed (:mod:`sim.zipf._models`)."""


memorization_error = _source_twin(
    TZ.memorization_error, TZ.validate_memorization,
    lambda v: [(v["beta"], 1.0, math.inf, v["T"])],
    "``T`` clean samples of p; the learner memorises them and is tested on p.")

tail_cut_error = _source_twin(
    TZ.tail_cut_error, TZ.validate_tail_cut,
    lambda v: [(v["beta"], 1.0, v["k"], v["T"])],
    "``T`` samples of the top-``k`` law (p restricted to ``i <= k``).")

narrowed_error = _source_twin(
    TZ.narrowed_error, TZ.validate_narrowed,
    lambda v: [(v["beta_ai"], 1.0, math.inf, v["T"])],
    "``T`` samples of Zipf(``beta_ai``) on the same vocabulary.")


def _band(v: dict) -> list:
    clean = float(round(v["pi"] * v["T"]))
    return [(v["beta"], v.get("j", 0.0) + 1.0, math.inf, clean),
            (v["beta"], 1.0, v["k"], v["T"] - clean)]


mixed_error = _source_twin(
    TZ.mixed_error, TZ.validate_mixed, _band,
    "``round(pi T)`` clean samples of p and ``T - round(pi T)`` of the top-``k`` law.")

tail_band_error = _source_twin(
    TZ.tail_band_error, TZ.validate_tail_band, _band,
    "``round(pi T)`` clean samples of p restricted to ``i > j`` and the rest of the top-``k``"
    " law.")

capacity_error = _source_twin(
    TZ.capacity_error, TZ.validate_capacity,
    lambda v: [(v["beta"], 1.0, math.inf, v["T"])],
    """``T`` clean samples; ``ranking="oracle"`` stores the seen queries ``i <= d``;
    ``ranking="counts"`` (no closed form; finite ``N`` only) stores the ``d`` most frequent seen
    queries, ties to the smaller index: what a learner without the true ranking can do.""",
    counts_rank=lambda grid: grid.options["ranking"] == "counts", d=lambda v: v["d"])


# --------------------------------------------------------------------------- generations
def _one_generations(key, *, L, plan, n_max, chain, infinite_T, beta, N, T, T0):
    """Errors of generations ``0..n_max`` (module :mod:`theory.zipf._generations` defines them)."""
    p = _zipf(beta, N, L)

    def unseen(counts):
        return jnp.sum(jnp.where(counts == 0, p, 0))

    def test_error(k, law):
        if infinite_T:
            return unseen(law)
        return unseen(tree_counts(k, law, T, plan=plan))

    def generation(law, k):
        k1, k2 = jax.random.split(k)
        counts = tree_counts(k1, law, T0, plan=plan)
        law = counts if chain == "resample" else jnp.where(counts > 0, p, 0)
        return law, test_error(k2, law)

    k0, k1 = jax.random.split(key)
    clean = test_error(k0, p) if not infinite_T else jnp.zeros((), p.dtype)
    _, errors = jax.lax.scan(generation, p, jax.random.split(k1, n_max))
    return jnp.concatenate([clean[None], errors])


@functools.lru_cache(maxsize=1024)
def _generations_plan(beta: float, N: float, L: int, T: float, T0: float) -> Plan:
    if L <= DENSE_MAX:
        return _coarse([], L)
    w = _zipf_np(beta, N, L)
    return _coarse([counts_plan(w, t) for t in (T0, T if math.isfinite(T) else 0.0)], L)


def _generations_point(values: dict, grid: Grid, sampler: str) -> Run:
    N, T = values["N"], values["T"]
    if math.isinf(N):
        raise ValueError("N must be a finite integer for a simulation of the generation chains "
                         "(N=None, an infinite vocabulary, is theory-only here)")
    infinite = math.isinf(T)
    if not infinite:
        _integer_T(T)
    L = pow2(N)
    static = dict(L=L, plan=_generations_plan(values["beta"], N, L, T, values["T0"]),
                  n_max=bucket(max(grid.max("n"), 1)), chain=grid.options["chain"],
                  infinite_T=infinite)
    traced = dict(beta=values["beta"], N=N, T=0.0 if infinite else T, T0=values["T0"])
    return Run(static, traced, read=(int(values["n"]),))


generations_error = twin(Twin(
    theory=TZ.generations_error, validate=TZ.validate_generations, one_seed=_one_generations,
    point=_generations_point,
    doc="""Simulated generation by generation (``lax.scan``), each generation's counts sampled
    exactly. One chain per seed, as long as the sweep's largest ``n`` (bucketed), records every
    generation's error, so a sweep over ``n`` costs one chain per ``(beta, T, T0, N)``. Any
    ``T0`` (the theory's exact resample chain stops at ``T0_MAX_RESAMPLE``). Finite ``N`` only:
    ``N = None`` raises a ValueError."""))
