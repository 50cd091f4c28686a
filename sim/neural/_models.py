"""Trained learners of the Zipf memorisation task, in plain JAX (no neural-network library: each
model is an initialiser and an apply function over a dict of arrays, a few lines each, which
``vmap`` over seeds as they are; a library would add a module system and nothing the models
need).

Task: queries ``0..L-1`` (the vocabulary, padded to a static size ``L``), each with one answer, a
token in ``0..answers-1``. Two learners:

* :class:`MLP`: a memorising network, an embedding of the query followed by one hidden ReLU layer
  and a linear read-out over the answers;
* :class:`Transformer`: a decoder-only transformer language model over the sequence
  ``(BOS, query, answer)`` (pre-norm, causal self-attention, learned positions, untied read-out).
  Tokens ``0..L-1`` are the queries, ``L..L+answers-1`` the answers, ``L+answers`` is BOS. Its
  output at BOS is a law over the queries (the model of which queries occur: what a generator
  decodes), at the query the law of the answer.

Both are trained in float32 (whatever the caller's x64 setting) with matmuls at the precision of
:data:`sim._montecarlo.MATMUL_PRECISION` ("highest": full float32, not TF32 on GPUs).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from theory.domain import param

__all__ = ["MLP", "Transformer"]

F32 = jnp.float32


def _check(cfg) -> None:
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if f.name == "lr":
            param("lr", value, lo=0, lo_open=True)
        else:
            lo = 2 if f.name == "answers" else 1
            object.__setattr__(cfg, f.name, int(param(f.name, value, lo=lo, integer=True)))
    if isinstance(cfg, Transformer) and cfg.d_model % cfg.heads:
        raise ValueError(f"d_model must be a multiple of heads, got d_model={cfg.d_model} and "
                         f"heads={cfg.heads}")


@dataclass(frozen=True)
class MLP:
    """A memorising network: query embedding (``embed``), one hidden ReLU layer (``width``), a
    linear read-out over ``answers`` tokens; trained by full-batch Adam (``steps`` at learning
    rate ``lr``) on the count-weighted cross-entropy (:mod:`sim.neural._train`).

    The defaults fit their training data at the sizes of the tests and figures: measured
    training error 0 (every training sample answered right, :func:`sim.neural.fit_error`) at
    ``beta = 1.5``, ``N`` from 32 to 1024 and ``T`` from 1 to 1e5; 5 steps do not fit (a
    training error above 1 %, tests/test_neural.py)."""

    embed: int = 16
    width: int = 32
    answers: int = 64
    steps: int = 150
    lr: float = 0.05

    name = "mlp"

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class Transformer:
    """A decoder-only transformer language model over ``(BOS, query, answer)``: ``layers``
    pre-norm blocks of causal self-attention (``heads`` heads of width ``d_model / heads``) and
    a ReLU MLP (``4 d_model``), learned token and position embeddings, a final layer norm and a
    linear read-out over the whole vocabulary (queries, answers, BOS); trained by full-batch
    Adam on the count-weighted next-token cross-entropy of the query and the answer.

    The defaults fit their training data: measured training error 0 at ``beta = 1.5``, ``N``
    from 32 to 1024 and ``T`` from 2 to 1e5 (:func:`sim.neural.fit_error`); 20 steps do not."""

    d_model: int = 32
    heads: int = 2
    layers: int = 1
    answers: int = 64
    steps: int = 150
    lr: float = 0.02

    name = "transformer"

    def __post_init__(self) -> None:
        _check(self)


LEARNERS = {"mlp": MLP, "transformer": Transformer}



def _dense(key, fan_in: int, fan_out: int) -> dict:
    w = jax.random.normal(key, (fan_in, fan_out), F32) / math.sqrt(fan_in)
    return {"w": w, "b": jnp.zeros(fan_out, F32)}


def _apply_dense(layer: dict, x: jax.Array) -> jax.Array:
    return x @ layer["w"] + layer["b"]


# --------------------------------------------------------------------------- MLP
def init_mlp(key, cfg: MLP, L: int) -> dict:
    ke, k1, k2 = jax.random.split(key, 3)
    return {"embed": jax.random.normal(ke, (L, cfg.embed), F32),
            "hidden": _dense(k1, cfg.embed, cfg.width),
            "out": _dense(k2, cfg.width, cfg.answers)}


def mlp_answer_logits(params: dict, cfg: MLP) -> jax.Array:
    """Answer logits of every query, shape ``(L, answers)``."""
    h = jax.nn.relu(_apply_dense(params["hidden"], params["embed"]))
    return _apply_dense(params["out"], h)


# --------------------------------------------------------------------------- transformer
def _layer_norm(p: dict, x: jax.Array) -> jax.Array:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + 1e-5) * p["g"] + p["b"]


def _ln(d: int) -> dict:
    return {"g": jnp.ones(d, F32), "b": jnp.zeros(d, F32)}


def init_transformer(key, cfg: Transformer, L: int) -> dict:
    d, vocab = cfg.d_model, L + cfg.answers + 1
    keys = jax.random.split(key, 3 + 4 * cfg.layers)
    blocks = []
    for b in range(cfg.layers):
        kq, ko, k1, k2 = keys[3 + 4 * b: 7 + 4 * b]
        blocks.append({"ln1": _ln(d), "qkv": _dense(kq, d, 3 * d), "proj": _dense(ko, d, d),
                       "ln2": _ln(d), "fc": _dense(k1, d, 4 * d), "fc2": _dense(k2, 4 * d, d)})
    return {"tok": 0.5 * jax.random.normal(keys[0], (vocab, d), F32),
            "pos": 0.5 * jax.random.normal(keys[1], (2, d), F32),
            "blocks": blocks, "ln_f": _ln(d), "out": _dense(keys[2], d, vocab)}


def _heads_split(x: jax.Array, H: int) -> jax.Array:
    return x.reshape(*x.shape[:-1], H, x.shape[-1] // H)


def transformer_hidden(params: dict, cfg: Transformer, L: int) -> tuple[jax.Array, jax.Array]:
    """Final (normalised) hidden states at BOS (shape ``(d_model,)``) and at each query of the
    sequences ``(BOS, i)``, ``i < L`` (shape ``(L, d_model)``); read out, they give the logits
    of the next token (the query, the answer). The answer is never an input (nothing follows
    it), and causal attention makes the BOS position the same in every sequence, so it is run
    once: position 0 attends to itself, position 1 to BOS and itself."""
    d, H = cfg.d_model, cfg.heads
    x0 = params["tok"][L + cfg.answers] + params["pos"][0]
    x1 = params["tok"][:L] + params["pos"][1]
    for blk in params["blocks"]:
        _, k0, v0 = (_heads_split(a, H) for a in
                      jnp.split(_apply_dense(blk["qkv"], _layer_norm(blk["ln1"], x0)), 3))
        q1, k1, v1 = (_heads_split(a, H) for a in
                      jnp.split(_apply_dense(blk["qkv"], _layer_norm(blk["ln1"], x1)), 3,
                                axis=-1))
        scale = 1 / math.sqrt(d // H)
        s0, s1 = (q1 * k0).sum(-1) * scale, (q1 * k1).sum(-1) * scale  # (L, H) each
        a0 = jax.nn.sigmoid(s0 - s1)[..., None]  # softmax over the two positions
        x0 = x0 + _apply_dense(blk["proj"], v0.reshape(d))
        x1 = x1 + _apply_dense(blk["proj"], (a0 * v0 + (1 - a0) * v1).reshape(L, d))
        x0, x1 = (x + _apply_dense(blk["fc2"], jax.nn.relu(
            _apply_dense(blk["fc"], _layer_norm(blk["ln2"], x)))) for x in (x0, x1))
    return _layer_norm(params["ln_f"], x0), _layer_norm(params["ln_f"], x1)


def transformer_logits(params: dict, cfg: Transformer, L: int) -> tuple[jax.Array, jax.Array]:
    """Full-vocabulary next-token logits after BOS (shape ``(V,)``) and after ``(BOS, i)`` for
    every query ``i`` (shape ``(L, V)``). Causal attention makes the output at BOS the same in
    every sequence: it is read out once."""
    h0, h1 = transformer_hidden(params, cfg, L)
    return _apply_dense(params["out"], h0), _apply_dense(params["out"], h1)


def transformer_heads(params: dict, cfg: Transformer, L: int) -> tuple[jax.Array, jax.Array]:
    """The language model's two laws, as logits: over the queries after BOS (shape ``(L,)``),
    and over the answers after each query (shape ``(L, answers)``)."""
    first, second = transformer_logits(params, cfg, L)
    return first[:L], second[:, L:L + cfg.answers]


def init(key, cfg, L: int) -> dict:
    return init_mlp(key, cfg, L) if isinstance(cfg, MLP) else init_transformer(key, cfg, L)


def heads(params: dict, cfg, L: int) -> tuple[jax.Array | None, jax.Array]:
    """``(query logits or None, answer logits)`` of a learner (the MLP has no query law)."""
    if isinstance(cfg, MLP):
        return None, mlp_answer_logits(params, cfg)
    return transformer_heads(params, cfg, L)
