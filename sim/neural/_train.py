"""Training a learner on a multiset of (query, answer) samples.

A training set of ``T`` samples in which the pair ``(i, a)`` occurs ``C[i, a]`` times has the
empirical risk ``(1/T) sum_samples loss = sum_(i, a) (C[i, a] / T) loss(i, a)``: training on the
multiset is exactly training on the weighted cross-entropy over the ``L x answers`` pairs with
weights ``C / T``. Full-batch Adam on that weighted loss is therefore full-batch Adam on the
training set itself, at a cost independent of ``T`` (the counts come from the exact samplers of
:mod:`sim.zipf`). Training runs ``cfg.steps`` steps in a ``lax.scan``, in float32.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from sim.neural._models import F32, MLP, init, mlp_answer_logits, transformer_logits

__all__ = ["loss", "train"]


def loss(params: dict, cfg, weights: jax.Array) -> jax.Array:
    """Count-weighted cross-entropy; ``weights[i, a] = C[i, a] / T`` (shape ``(L, answers)``).

    MLP: ``-sum w[i, a] log q(a | i)``. Transformer: the language model's next-token loss of the
    whole sequence, ``-sum w[i, a] (log q(i | BOS) + log q(a | BOS, i))``.
    """
    L = weights.shape[0]
    if isinstance(cfg, MLP):
        logp = jax.nn.log_softmax(mlp_answer_logits(params, cfg), axis=-1)
        return -jnp.sum(weights * logp)
    first, second = transformer_logits(params, cfg, L)
    query = -jnp.sum(weights.sum(axis=1) * jax.nn.log_softmax(first)[:L])
    answer = -jnp.sum(weights * jax.nn.log_softmax(second, axis=-1)[:, L:L + cfg.answers])
    return query + answer


def train(key, cfg, weights: jax.Array) -> dict:
    """Parameters after ``cfg.steps`` full-batch Adam steps (learning rate ``cfg.lr``) on
    :func:`loss`, from an initialisation drawn with ``key``."""
    weights = weights.astype(F32)
    params = init(key, cfg, weights.shape[0])
    opt = optax.adam(cfg.lr)

    def step(carry, _):
        params, state = carry
        grads = jax.grad(loss)(params, cfg, weights)
        updates, state = opt.update(grads, state, params)
        return (optax.apply_updates(params, updates), state), None

    (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=cfg.steps)
    return params
