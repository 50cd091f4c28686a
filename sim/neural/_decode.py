"""Decoding a language model's next-token law: temperature, top-k and top-p (nucleus) sampling.

From logits ``z`` (law ``q = softmax(z)``):

* temperature ``tau``: the tempered law ``softmax(z / tau)``, i.e. ``q_i^(1/tau)`` renormalised;
* top-k: ``q`` restricted to the ``k`` most probable tokens (ties to the smaller index: exactly
  ``min(k, V)`` tokens), renormalised;
* top-p: ``q`` restricted to the smallest set of most probable tokens whose mass reaches ``p``
  (a token is kept when the mass of the tokens ranked above it is below ``p``), renormalised
  (Holtzman et al., "The Curious Case of Neural Text Degeneration", ICLR 2020, section 3.1,
  arXiv:1904.09751).

Applied in that order (temperature, then top-k, then top-p), as the usual decoders do. The
functions return the decoded law's logits (``-inf`` outside its support), so sampling is one
``jax.random.categorical``.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from theory.domain import param

__all__ = ["Decoding", "decode_logits", "sample", "temperature_logits", "top_k_logits",
           "top_p_logits"]


def _check_top_k(top_k) -> int:
    return int(param("top_k", top_k, lo=1, integer=True))


def _check_top_p(top_p) -> float:
    return float(param("top_p", top_p, lo=0, hi=1, lo_open=True))


def _check_temperature(temperature) -> float:
    return float(param("temperature", temperature, lo=0, lo_open=True))


@dataclass(frozen=True)
class Decoding:
    """A decoding strategy: ``temperature`` (a real number > 0), ``top_k`` (an integer >= 1 or
    ``None``: no cut), ``top_p`` (a real number in (0, 1] or ``None``); module docstring."""

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "temperature", _check_temperature(self.temperature))
        if self.top_k is not None:
            object.__setattr__(self, "top_k", _check_top_k(self.top_k))
        if self.top_p is not None:
            object.__setattr__(self, "top_p", _check_top_p(self.top_p))


def temperature_logits(logits: jax.Array, temperature: float) -> jax.Array:
    """Logits of the tempered law ``softmax(logits / temperature)`` (``temperature > 0``)."""
    return jnp.asarray(logits) / _check_temperature(temperature)


def _rank(logits: jax.Array) -> jax.Array:
    """Rank of each token (0 = most probable; ties to the smaller index)."""
    order = jnp.argsort(-logits, stable=True)
    return jnp.zeros(logits.shape[-1], jnp.int32).at[order].set(
        jnp.arange(logits.shape[-1], dtype=jnp.int32))


def top_k_logits(logits: jax.Array, top_k: int) -> jax.Array:
    """Logits of the law restricted to the ``top_k`` most probable tokens (``top_k >= 1``, an
    integer; ties to the smaller index), ``-inf`` elsewhere; along the last axis."""
    top_k = _check_top_k(top_k)
    logits = jnp.asarray(logits)
    rank = jnp.vectorize(_rank, signature="(v)->(v)")(logits)
    return jnp.where(rank < top_k, logits, -jnp.inf)


def _top_p(logits: jax.Array, top_p: float) -> jax.Array:
    order = jnp.argsort(-logits, stable=True)
    probs = jax.nn.softmax(logits)[order]
    above = jnp.cumsum(probs) - probs  # mass of the tokens ranked above
    keep = jnp.zeros(logits.shape[-1], bool).at[order].set(above < top_p)
    return jnp.where(keep, logits, -jnp.inf)


def top_p_logits(logits: jax.Array, top_p: float) -> jax.Array:
    """Logits of the nucleus law: the smallest set of most probable tokens whose mass reaches
    ``top_p`` (a real number in (0, 1]), ``-inf`` elsewhere; along the last axis."""
    top_p = _check_top_p(top_p)
    return jnp.vectorize(lambda z: _top_p(z, top_p), signature="(v)->(v)")(jnp.asarray(logits))


def decode_logits(logits: jax.Array, decoding: Decoding) -> jax.Array:
    """Logits of the law ``decoding`` draws from (temperature, then top-k, then top-p)."""
    z = temperature_logits(logits, decoding.temperature)
    if decoding.top_k is not None:
        z = top_k_logits(z, decoding.top_k)
    if decoding.top_p is not None:
        z = top_p_logits(z, decoding.top_p)
    return z


def sample(key: jax.Array, logits: jax.Array, decoding: Decoding | None = None, *,
           shape: tuple[int, ...] | None = None) -> jax.Array:
    """Tokens drawn from the decoded law of ``logits`` (last axis: the vocabulary); ``shape``
    as :func:`jax.random.categorical`'s."""
    decoding = Decoding() if decoding is None else decoding
    return jax.random.categorical(key, decode_logits(logits, decoding), shape=shape)
