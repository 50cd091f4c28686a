"""Counts of ``T`` draws from a categorical law: exact multinomial sampling (work far below
linear in T) and the raw reference; and uniform subsets drawn without replacement.

``tree_counts`` samples the multinomial count vector of ``T`` draws over ``L`` items exactly. The
items are laid out as ``C`` rows of ``C`` (``C`` a power of two, ``C^2 >= L``, zero-padded) and
the rows are ranked by weight. Three stages:

1. Row totals: a binary tree of conditional binomials splits ``T`` over the ``C`` rows (a node
   holding ``n`` draws sends ``Binomial(n, m_left / m_node)`` of them to its left child, ``m`` the
   weight masses): ``log2 C`` levels.
2. Dense rows: the ``D = plan.dense_rows`` heaviest rows are split down to their items by the same
   tree, ``log2 C`` more levels. Both stages are ONE ``lax.scan`` over chunks of a fixed number
   of nodes (every level in ``ceil(nodes / width)`` chunks), so one binomial is compiled.
3. The other rows: a row holding ``c_r`` draws gets ``c_r`` independent categorical draws from its
   own weights (inverse CDF: a binary search in the row's cumulative weights), ``plan.draws`` of
   them per round of a ``lax.while_loop`` that runs until every draw is made (a row with many
   draws is still exact, only slower), scatter-added into the counts.

Why it is exact: conditional on a node's count, splitting it down to the items by conditional
binomials and drawing that many i.i.d. items from the node's normalised weights give the same
multinomial law, and disjoint subtrees are conditionally independent given their counts. Which rows
are dense depends on the weights only, never on the draws. So the result is multinomial whatever
the plan; the plan only sets the speed. All-zero weights give zero counts.

Cost: about ``C + D C`` binomial lanes (padded to the chunk width), independent of ``T``, plus one
categorical draw (``log2 C`` gathers) for each of the ``T m_rest`` draws expected outside the dense
rows (``m_rest`` their mass), plus ``O(L)`` to write the counts. :func:`counts_plan` picks ``D``
(0 or a power of two) and the round size minimising this from concrete weights and ``T`` (the
simulators do it at the Python level, a static argument): for Zipf(2) on ``N = 10^6`` items it
picks ``D = 2`` at ``T = 10^7`` and ``D = 32`` at ``T = 10^9``, so the work grows far below linearly
in ``T``. The default plan (``D = C``, no categorical draws) splits every item by binomials:
about ``L`` binomial lanes, flat in ``T``, right for traced ``T`` or weights of unknown shape.

Precision: counts are carried in the caller's float dtype: in float32 they are exact up to
``2^24`` (about 1.7e7); beyond that a count is rounded to 24 significant bits (a positive count
never becomes 0). Categorical draws compare a uniform of the dtype with a row's cumulative weights
in the dtype, so in float32 an item's probability is resolved to about ``2^-24`` of its row's mass
(the binomials' 24-bit uniforms have the same resolution). Use float64 (x64) for exact counts at
larger ``T``.

The binomial draws use :func:`binomial`, an exact sampler written here (inversion by sequential
search for means <= 10, Hormann's BTRS transformed rejection above) whose per-lane uniforms come
from one threefry draw per lane mixed with a counter (murmur3 finaliser). The BTRS lanes are
gathered a quarter of the lanes at a time, so a rejection loop, which runs until its slowest lane
accepts, spends its work on the large lanes only. It is several times faster than
``jax.random.binomial`` on CPU and compiles in a fraction of the time; the tests check it against
the exact binomial law.

``raw_counts`` draws the ``T`` items one by one (``jax.random.categorical``) and counts them: the
reference the tests compare against, for small static ``T``.

``uniform_subset`` draws ``k`` distinct indices of ``range(n)`` uniformly (every k-subset equally
likely) by Floyd's algorithm, in ``O(k)`` steps whatever ``n`` (a sort or top-k over the ``n``
candidates costs ``O(n log n)``): the raw pools of the accumulate-subsample loops draw each fit's
training set with it.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Plan", "binomial", "counts_plan", "raw_counts", "tree_counts", "uniform_subset"]

_GOLDEN = np.uint32(0x9E3779B9)
#: log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2] for k = 0..9 (Stirling remainders).
_STIRLING = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                      0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                      0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                      0.00833056343336287])
#: Means above this use BTRS, below it inversion; inversion never searches past _INV_MAX.
_INV_MEAN, _INV_MAX = 10.0, 120.0


def _uniform(seed: jax.Array, counter, dtype) -> jax.Array:
    """Uniform on (0, 1) (24 bits) from a per-lane uint32 seed and a counter (murmur3 fmix32)."""
    h = seed + jnp.asarray(counter, jnp.uint32) * _GOLDEN
    h = (h ^ (h >> 16)) * np.uint32(0x85EBCA6B)
    h = (h ^ (h >> 13)) * np.uint32(0xC2B2AE35)
    h = h ^ (h >> 16)
    return ((h >> 8).astype(dtype) + 0.5) * (2.0**-24)


def _stirling_tail(k):
    kp1 = k + 1
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1**2) / kp1**2) / kp1
    table = jnp.asarray(_STIRLING, k.dtype)[jnp.clip(k, 0, 9).astype(jnp.int32)]
    return jnp.where(k <= 9, table, approx)


def _btrs(seed, n, q, done):
    """Hormann's (1993) BTRS: ``Binomial(n, q)`` on lanes with ``n q > 10`` (``done``: left 0)."""
    dtype = n.dtype
    sd = jnp.sqrt(n * q * (1 - q))
    b = 1.15 + 2.53 * sd
    a = -0.0873 + 0.0248 * b + 0.01 * q
    c = n * q + 0.5
    v_r = 0.92 - 4.2 / b
    rb = q / (1 - q)
    alpha = (2.83 + 5.1 / b) * sd
    m = jnp.floor((n + 1) * q)
    ub_m = ((m + 0.5) * jnp.log((m + 1) / (rb * (n - m + 1)))
            + _stirling_tail(m) + _stirling_tail(n - m))

    def trial(carry):
        i, k_out, done = carry
        u = _uniform(seed, 2 * i + 1, dtype) - 0.5
        v = _uniform(seed, 2 * i + 2, dtype)
        us = 0.5 - jnp.abs(u)
        k = jnp.floor((2 * a / us + b) * u + c)
        kk = jnp.clip(k, 0, n)
        lv = jnp.log(v * alpha / (a / (us * us) + b))
        ub = (ub_m + (n + 1) * jnp.log((n - m + 1) / (n - kk + 1))
              + (kk + 0.5) * jnp.log(rb * (n - kk + 1) / (kk + 1))
              - _stirling_tail(kk) - _stirling_tail(n - kk))
        accept = ~done & (((us >= 0.07) & (v <= v_r)) | ((k >= 0) & (k <= n) & (lv <= ub)))
        return i + 1, jnp.where(accept, k, k_out), done | accept

    return jax.lax.while_loop(lambda carry: ~jnp.all(carry[2]), trial,
                              (jnp.uint32(0), jnp.zeros_like(n), done))[1]


def _search(table, base, target, size: int):
    """Per lane, how many of ``table[base : base + size]`` (ascending; ``size`` a power of two)
    are ``< target``: a binary search of ``log2(size)`` gathers."""
    lo = jnp.zeros(jnp.shape(target), jnp.int32)
    step = size // 2
    while step:
        lo = jnp.where(table[base + lo + step - 1] < target, lo + step, lo)
        step //= 2
    return lo


def binomial(key: jax.Array, n: jax.Array, p: jax.Array) -> jax.Array:
    """Exact ``Binomial(n, p)`` draws (float, ``n``'s shape), integral ``n >= 0``, ``0 <= p <= 1``.
    """
    dtype = jnp.result_type(n, p)
    shape = jnp.shape(n)
    n = jnp.asarray(n, dtype).reshape(-1)
    p = jnp.broadcast_to(jnp.asarray(p, dtype), shape).reshape(-1)
    flip = p > 0.5
    q = jnp.where(flip, 1 - p, p)
    seed = jax.random.bits(key, n.shape, jnp.uint32)
    small = n * q <= _INV_MEAN

    # inversion: smallest k with u <= F(k), pmf by the ratio recursion
    u0 = _uniform(seed, 0, dtype)
    r = q / jnp.where(q < 1, 1 - q, 1)
    pmf0 = jnp.exp(n * jnp.log1p(-jnp.minimum(q, 0.5)))

    def inv_step(carry):
        k, pmf, cdf, _ = carry
        act = more(k, pmf, cdf)
        k_new = k + 1
        pmf = jnp.where(act, pmf * (n - k) / k_new * r, pmf)
        k, cdf = jnp.where(act, k_new, k), jnp.where(act, cdf + pmf, cdf)
        return k, pmf, cdf, more(k, pmf, cdf)

    def more(k, pmf, cdf):
        return small & (u0 > cdf) & (k < n) & (k < _INV_MAX) & (pmf > 0)

    zero = jnp.zeros_like(n)
    k, _, _, _ = jax.lax.while_loop(lambda c: c[3].any(), inv_step,
                                    (zero, pmf0, pmf0, more(zero, pmf0, pmf0)))

    # BTRS on the lanes with mean > 10, gathered K at a time: large means are few, as a rule,
    # and the rejection loop runs until its slowest lane accepts
    size = n.shape[0]
    K = -(-size // 4)
    big = jnp.nonzero(~small, size=4 * K, fill_value=size)[0]
    n_big = size - small.sum()

    def btrs_round(carry):
        r, k = carry
        lane = jax.lax.dynamic_slice(big, (r * K,), (K,))
        valid = lane < size
        lane = jnp.minimum(lane, size - 1)
        k_big = _btrs(seed[lane], jnp.where(valid, n[lane], 1e4),
                      jnp.where(valid, q[lane], 0.5), ~valid)
        return r + 1, k.at[jnp.where(valid, lane, size)].set(k_big, mode="drop")

    _, k = jax.lax.while_loop(lambda c: c[0] * K < n_big, btrs_round, (0, k))
    return jnp.where(flip, n - k, k).reshape(shape)


class Plan(NamedTuple):
    """Static shape of :func:`tree_counts`'s work: a speed hint that never changes the law.

    ``dense_rows``: how many rows (the heaviest by weight) are split down to their items by
    binomials; ``draws``: lanes of one round of categorical draws for the other rows.
    """

    dense_rows: int
    draws: int


def _rows(L: int) -> int:
    """Row length ``C`` (a power of two, ``C^2 >= L``)."""
    return 1 << -(-max(L - 1, 1).bit_length() // 2)


#: Cost of one categorical draw in units of one binomial lane (measured on CPU, x1.3 +- 0.5).
_DRAW_COST = 1.3
#: Bounds on the lanes of one round of categorical draws (memory: lanes x seeds per batch).
_MIN_DRAWS, _MAX_DRAWS = 64, 1 << 15


def counts_plan(weights, T) -> Plan:
    """The :class:`Plan` that minimises the expected work of :func:`tree_counts` (concrete input).

    ``weights``: the (unnormalised) weights, a concrete 1-D array; ``T``: a number or an array of
    them (the largest is planned for). Work model: one unit per binomial lane of the dense tree
    plus ``_DRAW_COST`` per expected categorical draw (``T`` times the mass of the other rows);
    ``dense_rows`` is 0 or a power of two, ``draws`` a power of two covering the expected draws
    plus four standard deviations (within [64, 2^15]; more draws take more rounds).
    """
    w = np.asarray(weights, np.float64)
    T = np.asarray(T, np.float64)
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w) & (w >= 0)):
        raise ValueError("weights must be a non-empty 1-D array of finite numbers >= 0")
    if T.size == 0 or not np.all(np.isfinite(T) & (T >= 0)):
        raise ValueError("T must be a finite number >= 0 (or an array of them)")
    C = _rows(w.size)
    rows = np.sort(np.pad(w, (0, C * C - w.size)).reshape(C, C).sum(1))[::-1] / max(w.sum(), 1e-300)
    beyond = np.append(np.cumsum(rows[::-1])[::-1], 0.0) * T.max()   # expected draws, rows >= D
    options = [0] + [1 << j for j in range(C.bit_length())]

    def work(D):
        W, _, steps = _layout(C, D)
        return W * len(steps) + _DRAW_COST * beyond[D]

    D = min(options, key=work)
    need = beyond[D] + 4 * np.sqrt(beyond[D])
    return Plan(D, int(np.clip(1 << int(np.ceil(np.log2(max(need, 1)))), _MIN_DRAWS, _MAX_DRAWS)))


@functools.lru_cache(maxsize=64)
def _layout(C: int, D: int):
    """Lane width, per-level region offsets and the (read, write) offsets of every scan step.

    Levels ``0..c`` (``C = 2^c``) of the tree over the ``C`` row totals are followed by levels
    ``c+1..2c`` of the ``D`` dense rows; level ``l`` splits ``splits[l]`` nodes (its first ones).
    """
    c = C.bit_length() - 1
    W = max(16, min(1024, (D + 1) * C // 32))
    splits = [1 << level for level in range(c)] + [D << j for j in range(c) if D]
    nodes = [1 << level for level in range(c + 1)] + [D << j for j in range(1, c + 1) if D]
    chunks = [-(-s // W) * W for s in splits] + [0]
    sizes = [max(nodes[0], chunks[0])]
    sizes += [max(n, ch, 2 * prev) for n, ch, prev in zip(nodes[1:], chunks[1:], chunks)]
    offsets = np.cumsum([0, *sizes])
    steps = np.array([(offsets[lv] + o, offsets[lv + 1] + 2 * o)
                      for lv, s in enumerate(splits) for o in range(0, s, W)], np.int32)
    return W, offsets, steps


def tree_counts(key: jax.Array, weights: jax.Array, T, *, plan: Plan | None = None) -> jax.Array:
    """Multinomial counts of ``T`` draws with probabilities ``weights / weights.sum()``.

    ``weights``: non-negative, any length ``L`` (may be traced); ``T``: an integer >= 0 (may be
    traced). ``plan`` (static; see :func:`counts_plan`) sets only the speed, never the law: the
    default, ``Plan(C, 1)``, splits every row by binomials, whose work does not depend on ``T``.
    The module docstring gives the algorithm, why it is exact and its cost.
    """
    L = weights.shape[-1]
    C = _rows(L)
    plan = Plan(C, 1) if plan is None else plan
    if not 0 <= int(plan.dense_rows) <= C:
        raise ValueError(f"plan.dense_rows must be an integer in [0, {C}], got {plan.dense_rows}")
    if int(plan.draws) < 1:
        raise ValueError(f"plan.draws must be an integer >= 1, got {plan.draws}")
    D, M = int(plan.dense_rows), int(plan.draws)
    dtype = weights.dtype
    w = jnp.zeros(C * C, dtype).at[:L].set(weights).reshape(C, C)
    order = jnp.argsort(-w.sum(1))
    ws = w[order]                                   # rows, heaviest first
    W, offsets, steps = _layout(C, D)

    # node masses per level, then P(left child | node) for every split node, in the flat layout
    masses = [ws.sum(1)]
    while masses[0].shape[0] > 1:
        masses.insert(0, masses[0].reshape(-1, 2).sum(1))
    if D:
        dense = [ws[:D].reshape(-1)]
        while dense[0].shape[0] > 2 * D:
            dense.insert(0, dense[0].reshape(-1, 2).sum(1))
        masses += dense
    p_left = jnp.zeros(int(offsets[-1]), dtype)
    for level, m in enumerate(masses[1:]):
        left, tot = m[0::2], m[0::2] + m[1::2]
        p_left = p_left.at[offsets[level]:offsets[level] + left.shape[0]].set(
            jnp.where(tot > 0, left / jnp.where(tot > 0, tot, 1), 0))

    k_tree, k_draws = jax.random.split(key)
    T = jnp.where(masses[0][0] > 0, jnp.asarray(T, dtype), 0)      # all weights 0: no counts
    start = jnp.zeros(int(offsets[-1]), dtype).at[0].set(T)

    def split(counts, step):
        read, write = step[0], step[1]
        n = jax.lax.dynamic_slice(counts, (read,), (W,))
        x = binomial(jax.random.fold_in(k_tree, read), n,
                     jax.lax.dynamic_slice(p_left, (read,), (W,)))
        return jax.lax.dynamic_update_slice(counts, jnp.stack([x, n - x], 1).reshape(-1),
                                            (write,)), None

    nodes, _ = jax.lax.scan(split, start, jnp.asarray(steps))
    c = C.bit_length() - 1
    # dense rows from the leaves, the others 0 (a gather: one pass over the count vector)
    slot = jnp.full(C, D).at[order[:D]].set(jnp.arange(D))
    leaves = nodes[offsets[-2]:offsets[-2] + D * C] if D else jnp.zeros(0, dtype)
    out = jnp.append(leaves, jnp.zeros(C, dtype)).reshape(D + 1, C)[slot].reshape(-1)
    if D == C:
        return out[:L]

    # the other rows: each row's count as that many draws from the row (inverse CDF)
    rows = jnp.where(jnp.arange(C) >= D, nodes[offsets[c]:offsets[c] + C], 0)
    begin = jnp.cumsum(rows) - rows                 # draws begin..begin+rows-1 fall in row r
    total = rows.sum()
    cdf = jnp.cumsum(ws, axis=1).reshape(-1)

    def draw(it, out):
        # row of draw it*M + i: how many rows begin at or before it (a histogram of the begins)
        first = jnp.clip(begin - it * M, 0, M).astype(jnp.int32)
        r = jnp.cumsum(jnp.zeros(M, jnp.int32).at[first].add(1, mode="drop")) - 1
        u = 1 - jax.random.uniform(jax.random.fold_in(k_draws, it), (M,), dtype)   # (0, 1]
        col = _search(cdf, r * C, u * cdf[r * C + C - 1], C)   # first column with cdf >= u total
        valid = it * M + jnp.arange(M) < total
        return out.at[jnp.where(valid, order[r] * C + col, C * C)].add(1, mode="drop")

    # one round outside the loop: under vmap a loop carries (and selects) the whole count vector
    out = draw(0, out)
    _, out = jax.lax.while_loop(lambda carry: carry[0] * M < total,
                                lambda carry: (carry[0] + 1, draw(carry[0], carry[1])), (1, out))
    return out[:L]


def raw_counts(key: jax.Array, weights: jax.Array, T: int) -> jax.Array:
    """Counts of ``T`` (static) individual draws from ``weights / weights.sum()``."""
    logits = jnp.where(weights > 0, jnp.log(jnp.where(weights > 0, weights, 1)), -jnp.inf)
    draws = jax.random.categorical(key, logits, shape=(T,))
    return jnp.zeros(weights.shape, weights.dtype).at[draws].add(1)


def uniform_subset(key: jax.Array, n, k, *, size: int, k_max: int) -> jax.Array:
    """Indices of ``k`` distinct items drawn uniformly without replacement from ``range(n)``.

    Floyd's algorithm (Bentley & Floyd, "Programming pearls: a sample of brilliance", CACM 30(9),
    1987): for m = 0..k-1, with j = n - k + m, draw t uniform on 0..j and take t, or j if t is
    taken already; by induction on m every m-subset of range(j + 1) is equally likely, so the
    result is a uniform k-subset (exact). A boolean table of the taken items makes each step
    O(1): ``k_max`` steps in all, O(size) memory.

    Args:
        key: a JAX random key.
        n: number of candidates (an integer, may be traced), ``k <= n <= size``.
        k: number of draws (an integer, may be traced), ``0 <= k <= k_max``.
        size: static bound on ``n`` (the length of the table of taken items).
        k_max: static bound on ``k`` (the length of the result).

    Returns:
        ``(k_max,)`` integer indices: the first ``k`` are the subset in the order drawn (not
        sorted), the remaining ``k_max - k`` are 0 and carry no meaning (mask them with
        ``jnp.arange(k_max) < k``).

    Raises:
        ValueError: ``size`` or ``k_max`` is not a non-negative integer, or concrete (untraced)
            ``n`` and ``k`` break ``0 <= k <= min(n, k_max)``, ``n <= size``.
    """
    for name, value in (("size", size), ("k_max", k_max)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer (a static bound), got "
                             f"{value!r}")
    if not any(isinstance(v, jax.core.Tracer) for v in (n, k)):
        n_, k_ = int(n), int(k)
        if not (0 <= k_ <= min(n_, k_max) and n_ <= size):
            raise ValueError(f"k and n must satisfy 0 <= k <= min(n, k_max) and n <= size, got "
                             f"k={k_}, n={n_}, k_max={k_max}, size={size}")
    m = jnp.arange(k_max)
    j = n - k + m  # >= m >= 0 for valid n, k
    t = jax.random.randint(key, (k_max,), 0, j + 1)

    def take(taken, step):
        m, j, t = step
        live = m < k
        pick = jnp.where(taken[t], j, t)
        return taken.at[pick].max(live), jnp.where(live, pick, 0)

    _, idx = jax.lax.scan(take, jnp.zeros(size, bool), (m, j, t))
    return idx
