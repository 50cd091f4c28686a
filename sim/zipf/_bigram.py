"""Simulator of the tailed bigram model (twin of :func:`theory.zipf.bigram_error`; ToT section 4).

One seed: the counts of the ``T`` training pairs ``(i, j)`` over all ``N x V`` cells (joint law
``s_i r_j``) sampled exactly (:func:`sim.sampling.tree_counts`, one call: the row sums
are the context counts ``n_i ~ Bin(T, s_i)`` and each row, given ``n_i``, is multinomial
``(n_i, r)``, as in the model); the error ``sum_i p_i TV(q_hat_i, q)`` is computed exactly
from the counts (unseen context: 1). The token permutation of each context is left out: it does
not change the TV. ``N`` and ``V`` must be finite integers.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from sim._montecarlo import Estimate
from sim.sampling import tree_counts
from sim.zipf._models import _grid, _vocab, _zipf, _zipf_np
from theory.domain import param
from theory.zipf.domain import beta_arg, k_arg


def _one_bigram(key, *, N, LN, V, LV, plan, beta, T, k, beta_ai):
    p, s = _zipf(beta, N, LN), _zipf(beta_ai, N, LN)
    q = _zipf(beta, V, LV)
    j = jnp.arange(1, LV + 1, dtype=q.dtype)
    r = jnp.where(j <= k, _zipf(beta_ai, V, LV), 0)
    counts = tree_counts(key, (s[:, None] * r[None, :]).reshape(-1), T, plan=plan).reshape(LN, LV)
    n = counts.sum(-1)
    tv = 0.5 * jnp.abs(counts / jnp.maximum(n, 1)[:, None] - q).sum(-1)
    return jnp.sum(p * jnp.where(n > 0, tv, 1.0))


def bigram_error(key, *, beta, T, N, V=None, k=None, beta_ai=None, seeds,
                 batch_size=None) -> Estimate:
    """Twin of :func:`theory.zipf.bigram_error` (finite ``N``; ``V = None`` means ``V = N``)."""
    Nv, LN = _vocab(N)
    Vv, LV = (Nv, LN) if V is None else _vocab(param("V", V, lo=1, integer=True))
    beta = beta_arg(beta)
    k = np.float64(Vv) if k is None else k_arg(k, np.float64(Vv))
    b = beta if beta_ai is None else beta_arg(beta_ai, "beta_ai")
    if np.any(np.broadcast_to(b, np.broadcast(b, beta).shape) < beta):
        raise ValueError("beta_ai must be a real number >= beta (narrowing)")
    return _grid(_one_bigram, key, seeds=seeds, batch_size=batch_size,
                 static={"N": Nv, "LN": LN, "V": Vv, "LV": LV},
                 draws=lambda beta, T, k, beta_ai: [(np.outer(
                     _zipf_np(beta_ai, Nv, LN), _zipf_np(beta_ai, Vv, LV, cut=k)).reshape(-1), T)],
                 beta=beta, T=param("T", T, lo=0, integer=True).astype(np.float64), k=k,
                 beta_ai=b)
