"""Simulator of the tailed bigram model (twin of :func:`theory.zipf.bigram_error`; ToT section 4).

One seed: the counts of the ``T`` training pairs ``(i, j)`` over all ``N x V`` cells (joint law
``s_i r_j``) sampled exactly (:func:`sim.sampling.tree_counts`, one call: the row sums are the
context counts ``n_i ~ Bin(T, s_i)`` and each row, given ``n_i``, is multinomial ``(n_i, r)``, as
in the model); the error ``sum_i p_i TV(q_hat_i, q)`` is computed exactly from the counts (unseen
context: 1). The token permutation of each context is left out: it does not change the TV.
``N`` and ``V`` must be finite integers (``N = None`` raises a ValueError).
"""

from __future__ import annotations

import functools
import math

import jax.numpy as jnp
import numpy as np

import theory.zipf as TZ
from sim._engine import Run, Twin, pow2, twin
from sim.sampling import Plan, counts_plan, tree_counts
from sim.zipf._models import DENSE_MAX, _coarse, _integer_T, _zipf, _zipf_np
from theory.domain import Grid

__all__ = ["bigram_error"]


def _one_bigram(key, *, N: int, LN: int, V: int, LV: int, plan: Plan, beta, T, k, beta_ai):
    p, s = _zipf(beta, N, LN), _zipf(beta_ai, N, LN)
    q = _zipf(beta, V, LV)
    j = jnp.arange(1, LV + 1, dtype=q.dtype)
    r = jnp.where(j <= k, _zipf(beta_ai, V, LV), 0)
    counts = tree_counts(key, (s[:, None] * r[None, :]).reshape(-1), T, plan=plan).reshape(LN, LV)
    n = counts.sum(-1)
    tv = 0.5 * jnp.abs(counts / jnp.maximum(n, 1)[:, None] - q).sum(-1)
    return jnp.sum(p * jnp.where(n > 0, tv, 1.0))


@functools.lru_cache(maxsize=1024)
def _plan(N: int, V: int, beta_ai: float, k: float, T: float) -> Plan:
    LN, LV = pow2(N), pow2(V)
    if LN * LV <= DENSE_MAX:
        return _coarse([], LN * LV)
    w = np.outer(_zipf_np(beta_ai, N, LN), _zipf_np(beta_ai, V, LV, cut=k)).reshape(-1)
    return _coarse([counts_plan(w, T)], LN * LV)


def _point(values: dict, grid: Grid, sampler: str) -> Run:
    N, V = grid.options["N"], grid.options["V"]
    if math.isinf(N) or math.isinf(V):
        raise ValueError("N must be a finite integer for a simulation of the bigram model (and V "
                         "too; N=None, an infinite vocabulary, is theory-only here)")
    T = _integer_T(values["T"])
    N, V = int(N), int(V)
    static = dict(N=N, LN=pow2(N), V=V, LV=pow2(V),
                  plan=_plan(N, V, values["beta_ai"], values["k"], T))
    return Run(static, dict(beta=values["beta"], T=T, k=values["k"], beta_ai=values["beta_ai"]))


bigram_error = twin(Twin(
    theory=TZ.bigram_error, validate=TZ.validate_bigram, one_seed=_one_bigram, point=_point,
    doc="""The counts of the ``T`` training pairs over all ``N x V`` cells are sampled exactly
    (one multinomial: the row sums are the context counts, each row given its sum multinomial
    over the next tokens); the error ``sum_i p_i TV(q_hat_i, q)`` is computed exactly from them
    (unseen context: 1). Finite ``N`` and ``V`` only: ``N = None`` raises a ValueError."""))
