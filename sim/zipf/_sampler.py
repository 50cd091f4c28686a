"""Counts of ``T`` draws from a categorical law: binomial splitting (cost O(N), flat in T) and raw.

``tree_counts`` samples the multinomial count vector exactly by binomial splitting, as a two-level
tree (rows of ``C = sqrt(L)`` items): conditional binomials split ``T`` over the rows, then every
row over its items, all rows at once. The work is ``O(L)`` and the depth ``O(sqrt(L))`` scan
steps, whatever ``T``; a balanced binary tree would have depth ``log2(L)`` but needs one compiled
binomial per level, which costs tens of seconds of XLA compilation on CPU. Counts are carried
in the caller's float dtype: in float32 they are exact up to ``2^24`` (about 1.7e7); beyond that
a count is rounded to 24 significant bits (a positive count never becomes 0). Use float64 (x64)
for exact counts at larger ``T``.

The binomial draws use :func:`binomial`, an exact sampler written here (inversion by sequential
search for means <= 10, Hormann's BTRS transformed rejection above) whose per-lane uniforms come
from one threefry draw per lane mixed with a counter (murmur3 finaliser). It is several times
faster than ``jax.random.binomial`` on CPU and compiles in a fraction of the time; the tests check
it against the exact binomial law.

``raw_counts`` draws the ``T`` items one by one (``jax.random.categorical``) and counts them: the
reference the tests compare against, for small static ``T``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

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


def binomial(key: jax.Array, n: jax.Array, p: jax.Array) -> jax.Array:
    """Exact ``Binomial(n, p)`` draws (float, ``n``'s shape), integral ``n >= 0``, ``0 <= p <= 1``.
    """
    dtype = jnp.result_type(n, p)
    n = jnp.asarray(n, dtype)
    p = jnp.broadcast_to(jnp.asarray(p, dtype), n.shape)
    flip = p > 0.5
    q = jnp.where(flip, 1 - p, p)
    seed = jax.random.bits(key, n.shape, jnp.uint32)
    small = n * q <= _INV_MEAN

    # inversion: smallest k with u <= F(k), pmf by the ratio recursion
    u0 = _uniform(seed, 0, dtype)
    r = q / jnp.where(q < 1, 1 - q, 1)
    pmf0 = jnp.exp(n * jnp.log1p(-jnp.minimum(q, 0.5)))

    def inv_active(k, pmf, cdf):
        return small & (u0 > cdf) & (k < n) & (k < _INV_MAX) & (pmf > 0)

    def inv_body(carry):
        k, pmf, cdf = carry
        act = inv_active(k, pmf, cdf)
        k_new = k + 1
        pmf = jnp.where(act, pmf * (n - k) / k_new * r, pmf)
        return jnp.where(act, k_new, k), pmf, jnp.where(act, cdf + pmf, cdf)

    k_inv, _, _ = jax.lax.while_loop(lambda c: inv_active(*c).any(), inv_body,
                                     (jnp.zeros_like(n), pmf0, pmf0))

    # BTRS (Hormann 1993), on the lanes with mean > 10
    nb = jnp.where(small, 1e4, n)
    qb = jnp.where(small, 0.5, q)
    sd = jnp.sqrt(nb * qb * (1 - qb))
    b = 1.15 + 2.53 * sd
    a = -0.0873 + 0.0248 * b + 0.01 * qb
    c = nb * qb + 0.5
    v_r = 0.92 - 4.2 / b
    rb = qb / (1 - qb)
    alpha = (2.83 + 5.1 / b) * sd
    m = jnp.floor((nb + 1) * qb)

    def btrs_body(carry):
        i, k_out, done = carry
        u = _uniform(seed, 2 * i + 1, dtype) - 0.5
        v = _uniform(seed, 2 * i + 2, dtype)
        us = 0.5 - jnp.abs(u)
        k = jnp.floor((2 * a / us + b) * u + c)
        accept1 = (us >= 0.07) & (v <= v_r)
        inside = (k >= 0) & (k <= nb)
        kk = jnp.clip(k, 0, nb)
        lv = jnp.log(v * alpha / (a / (us * us) + b))
        ub = ((m + 0.5) * jnp.log((m + 1) / (rb * (nb - m + 1)))
              + (nb + 1) * jnp.log((nb - m + 1) / (nb - kk + 1))
              + (kk + 0.5) * jnp.log(rb * (nb - kk + 1) / (kk + 1))
              + _stirling_tail(m) + _stirling_tail(nb - m)
              - _stirling_tail(kk) - _stirling_tail(nb - kk))
        accept = ~done & (accept1 | (inside & (lv <= ub)))
        return i + 1, jnp.where(accept, k, k_out), done | accept

    _, k_btrs, _ = jax.lax.while_loop(lambda c: ~jnp.all(c[2]), btrs_body,
                                      (jnp.uint32(0), jnp.zeros_like(n), small))
    k = jnp.where(small, k_inv, k_btrs)
    return jnp.where(flip, n - k, k)


def tree_counts(key: jax.Array, weights: jax.Array, T) -> jax.Array:
    """Multinomial counts of ``T`` draws with probabilities ``weights / weights.sum()``.

    ``weights``: non-negative, any length ``L`` (padded internally to ``C^2``, ``C`` a power of
    two). ``T`` may be traced. Two-level splitting: the ``C`` row totals get their counts by
    sequential conditional binomials, then every row splits its count over its ``C`` columns the
    same way, all rows at once. Both stages run in ONE ``lax.scan`` of ``2C`` steps over
    ``C``-wide binomial draws, so the sampler compiles once (one binomial) whatever ``L``; the work
    is ``O(L)`` (twice ``L`` draws) and independent of ``T``.
    """
    L = weights.shape[-1]
    C = 1 << -(-max(L - 1, 1).bit_length() // 2)
    w = jnp.zeros(C * C, weights.dtype).at[:L].set(weights).reshape(C, C)
    rows = jnp.zeros((C, C), weights.dtype).at[0].set(w.sum(1))
    stacked = jnp.concatenate([rows, w], 0)                       # (2C, C): lanes x columns
    suffix = jnp.cumsum(stacked[:, ::-1], axis=1)[:, ::-1]
    probs = jnp.where(suffix > 0, stacked / jnp.where(suffix > 0, suffix, 1), 0)
    probs = jnp.clip(probs, 0, 1).T.reshape(C, 2, C).transpose(1, 0, 2).reshape(2 * C, C)
    # probs[s] : column s (stage 1, s < C) or column s - C (stage 2) for every lane
    start = jnp.zeros(C, weights.dtype).at[0].set(jnp.asarray(T, weights.dtype))

    def step(carry, s):
        remaining, row_counts = carry
        remaining = jnp.where(s == C, row_counts, remaining)
        x = binomial(jax.random.fold_in(key, s), remaining, probs[s])
        row_counts = jnp.where(s < C, row_counts.at[jnp.minimum(s, C - 1)].set(x[0]), row_counts)
        return (remaining - x, row_counts), x

    _, draws = jax.lax.scan(step, (start, jnp.zeros(C, weights.dtype)), jnp.arange(2 * C))
    return draws[C:].T.reshape(-1)[:L]


def raw_counts(key: jax.Array, weights: jax.Array, T: int) -> jax.Array:
    """Counts of ``T`` (static) individual draws from ``weights / weights.sum()``."""
    logits = jnp.where(weights > 0, jnp.log(jnp.where(weights > 0, weights, 1)), -jnp.inf)
    draws = jax.random.categorical(key, logits, shape=(T,))
    return jnp.zeros(weights.shape, weights.dtype).at[draws].add(1)
