"""Trained generators in the loop: each generation's language model decodes the next one's data.

Generation 0 is a :class:`Transformer` language model trained on ``T0`` clean samples
``(i, a_i)`` (queries Zipf(``beta``) on ``N`` items, counts drawn by :mod:`sim.zipf`'s sampler,
answers a fixed uniform token per query). Generation ``m >= 1`` is trained on samples decoded
from generation ``m-1``'s model, the raw loop as a language model runs it: ``T0`` sequences, each
a query drawn from the model's law after BOS and an answer drawn from its law after the query,
both decoded with the same :class:`Decoding` (temperature, top-k, top-p). The first token of a
sequence is a query: the law after BOS is restricted to the ``N`` query tokens before decoding
(what a constrained decoder does; the model's mass on other tokens is negligible once trained).
Optionally a verifier rejects every decoded sample whose answer is wrong (the kept samples are
the training set). What generation ``m`` trains on (:class:`theory.policy.Policy`):

* ``replace``: the ``T0`` decoded samples;
* ``accumulate``: all data so far, the clean ``T0`` and every generation's decoded samples;
* ``mix(real=pi)``: ``round(pi T0)`` fresh clean samples and ``T0 - round(pi T0)`` decoded ones.

Each generation's error is computed exactly over all queries, ``sum_i p_i 1[argmax_a f(i)_a !=
a_i]`` (the model's answer law after the query, its argmax over the answer tokens).

The matching theory (:mod:`theory.zipf`): a language model that reproduces its training law
exactly, decoded at temperature 1 with no cut, is the memoriser of the resample chain, so with
``replace`` generation ``m``'s error is ``generations_error(beta, T=T0, T0=T0, n=m,
chain="resample", N)`` times ``(1 - 1/answers)`` (an unseen query is answered right with
probability ``1/answers``); the chain that keeps only what was seen and restores its true
frequencies is ``chain="cut"``. A top-``k`` decoder of a model trained on clean data draws the
top-``k`` law of its training counts: with ``T0`` large enough that those are the ``k`` most
probable queries and their counts close to ``T0 p_i``, generation 1's error tends to
``tail_cut_error(beta, T=T0, k, N)`` (approximate at finite ``T0``; Dohmatob et al.,
"A Tale of Tails: Model Collapse as a Change of Scaling Laws", ICML 2024, section 3,
arXiv:2402.07043). A trained network departs from these where its law is not its
training law: the softmax puts some mass on unseen queries (decoded at temperature 1 they come
back with random answers), and its answer law after a seen query is not a point mass (decoded
samples carry wrong answers, which the verifier removes). Temperature below 1 sharpens the law
towards the frequent queries and loses the tail faster than the resample chain.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sim._engine import Run, RunOptions, Twin, bucket, pow2, sweep
from sim._montecarlo import Estimate
from sim.neural._decode import Decoding, decode_logits
from sim.neural._models import Transformer, transformer_heads
from sim.neural._train import train
from sim.neural._twins import _ANSWERS, _INIT, resolve_learner
from sim.zipf._models import _coarse, _counts, _items
from theory.domain import Grid, param
from theory.policy import Policy, as_policy
from theory.zipf._engine import normaliser
from theory.zipf.domain import beta_arg, finite_N_arg

__all__ = ["decoded_generations_error"]

POLICIES = ("replace", "accumulate", "mix")


def _one_decoded(key, *, learner: Transformer, decoding: Decoding, policy: str, verifier: bool,
                 L: int, S: int, plan, n_max: int, beta, N, Z, T0, clean):
    """Errors of generations ``0..n_max`` of one seed (module docstring); ``clean`` is the number
    of fresh clean samples per generation (``mix``), ``S >= T0`` the static room for samples."""
    dtype = jnp.zeros(()).dtype
    V = learner.answers
    i = _items(L, dtype)
    p = jnp.where(i <= N, i ** (-beta), 0) / Z
    w = jnp.where(i <= N, i ** (-beta), 0)
    answers = jax.random.randint(jax.random.fold_in(key, _ANSWERS), (L,), 0, V)
    truth = jax.nn.one_hot(answers, V, dtype=dtype)

    def clean_pairs(k, T):
        return _counts(k, w, T, plan=plan, raw_T=0)[:, None] * truth

    def fit(k, pairs):
        params = train(k, learner, pairs / jnp.maximum(pairs.sum(), 1))
        query, answer = transformer_heads(params, learner, L)
        wrong = jnp.argmax(answer, axis=-1) != answers
        return (query, answer), jnp.sum(jnp.where(wrong, p, 0))

    k_data, k_loop = jax.random.split(jax.random.fold_in(key, 1))
    pairs0 = clean_pairs(k_data, T0)
    heads0, error0 = fit(jax.random.fold_in(key, _INIT), pairs0)

    def generation(carry, k):
        (query, answer), pool = carry
        kq, ka, kc, ki = jax.random.split(k, 4)
        synthetic = T0 - clean if policy == "mix" else T0
        q_logits = decode_logits(jnp.where(i <= N, query, -jnp.inf), decoding)
        q = jax.random.categorical(kq, q_logits, shape=(S,))
        a = jax.random.categorical(ka, decode_logits(answer[q], decoding))
        keep = jnp.arange(S) < synthetic
        if verifier:
            keep = keep & (a == answers[q])
        decoded = jnp.zeros((L, V), dtype).at[q, a].add(keep.astype(dtype))
        if policy == "accumulate":
            pool = pool + decoded
            pairs = pool
        elif policy == "mix":
            pairs = decoded + clean_pairs(kc, clean)
        else:
            pairs = decoded
        heads, error = fit(ki, pairs)
        return (heads, pool), error

    _, errors = jax.lax.scan(generation, (heads0, pairs0), jax.random.split(k_loop, n_max))
    return jnp.concatenate([error0[None], errors]).astype(dtype)


def _validate(*, beta, T0, n, N, pi) -> Grid:
    return Grid(dict(beta=beta_arg(beta), T0=param("T0", T0, lo=1, hi=2**16, integer=True)
                     .astype(np.float64), n=param("n", n, lo=0, integer=True).astype(np.float64),
                     N=finite_N_arg(N), pi=param("pi", pi, lo=0, hi=1)))


def decoded_generations_error(key: jax.Array, /, *, beta, T0, n, N, policy: Policy | str =
                              "replace", decoding: Decoding | dict | None = None,
                              verifier: bool = False, learner: str | Transformer = "transformer",
                              seeds: int, options: RunOptions | None = None) -> Estimate:
    """Error of generation ``n`` of the loop in which each generation's trained language model
    decodes the next one's training data (:mod:`sim.neural._loop`).

    References: Dohmatob et al., "A Tale of Tails: Model Collapse as a Change of Scaling Laws",
    ICML 2024, arXiv:2402.07043 (section 3: top-k, top-p and the chain of generations); Shumailov
    et al., "AI models collapse when trained on recursively generated data", Nature 2024,
    arXiv:2305.17493 (the replace loop); Gerstgrasser et al., "Is Model Collapse Inevitable?",
    arXiv:2404.01413 (accumulate). No closed form for a trained network: the module docstring
    gives the theory of the matching idealised chains (``theory.zipf.generations_error``,
    ``theory.zipf.tail_cut_error``) and where the networks depart from it.

    Args:
        key: the random key (seed ``s`` uses ``fold_in(key, s)``).
        beta: Zipf exponent, a real number > 1.
        T0: samples per generation, an integer in [1, 65536].
        n: the generation, an integer >= 0 (0: trained on clean data).
        N: number of queries, an integer >= 1.
        policy: ``"replace"``, ``"accumulate"`` or ``Policy.mix(real=pi)`` (or its printed form
            ``"mix(real=0.2)"``).
        decoding: the :class:`Decoding` of queries and answers, or a dict of its fields
            (default: temperature 1, no cut).
        verifier: reject decoded samples whose answer is wrong.
        learner: ``"transformer"`` or a :class:`Transformer` (a language model: the MLP has no
            law of the queries to decode).
        seeds: number of seeds, an integer >= 2.
        options: a :class:`sim.RunOptions`.

    Returns:
        An :class:`sim.Estimate` of the broadcast shape of ``beta, T0, n, N``.
    """
    policy = as_policy(policy, POLICIES)
    decoding = Decoding() if decoding is None else decoding
    if isinstance(decoding, dict):
        decoding = Decoding(**decoding)
    if not isinstance(decoding, Decoding):
        raise ValueError(f"decoding must be a sim.neural.Decoding, got {decoding!r}")
    if not isinstance(verifier, bool):
        raise ValueError(f"verifier must be True or False, got {verifier!r}")
    learner = resolve_learner(learner)
    if not isinstance(learner, Transformer):
        raise ValueError(f"learner must be 'transformer' or a sim.neural.Transformer (a "
                         f"language model) for decoded generations; got {learner!r}")

    def point(values: dict[str, Any], grid: Grid, sampler: str) -> Run:
        N, T0 = values["N"], values["T0"]
        L = pow2(N)
        static = dict(learner=learner, decoding=decoding, policy=policy.name,
                      verifier=verifier, L=L, S=bucket(T0), plan=_coarse([], L),
                      n_max=bucket(max(grid.max("n"), 1)))
        clean = float(round(policy.real * T0)) if policy.name == "mix" else 0.0
        traced = dict(beta=values["beta"], N=N, Z=normaliser(values["beta"], N), T0=T0,
                      clean=clean)
        return Run(static, traced, read=(int(values["n"]),))

    if pow2(float(np.max(finite_N_arg(N)))) > 2**14:
        raise ValueError("N must be at most 16384 for decoded generations (the language "
                         "model's vocabulary)")
    decl = Twin(theory=None, validate=_validate, one_seed=_one_decoded, point=point)
    return sweep(decl, key, seeds=seeds, options=options, beta=beta, T0=T0, n=n, N=N,
                 pi=policy.real)

