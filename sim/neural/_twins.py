"""Twins of the Zipf memorisation laws (:mod:`theory.zipf`) with a trained network as learner.

The training data are drawn exactly as :mod:`sim.zipf` draws them, by its own declarations (the
same grid-point layout and the same count samplers, so the same key gives the same counts as
``sim.zipf``'s twin of the same name): the counts ``c_i`` of the ``T`` training queries (one or two
sources: clean Zipf(``beta``) draws, draws of the top-``k`` law). Each query ``i`` has one answer
``a_i``, uniform on ``answers`` tokens, drawn from the seed's key. Only the learner changes:
instead of a memoriser that errs exactly on the unseen queries, a network (:class:`MLP` or
:class:`Transformer`) is trained on the ``T`` samples ``(i, a_i)`` (by the count-weighted
cross-entropy, which is the same empirical risk: :mod:`sim.neural._train`), and its error is
computed exactly by enumerating the queries: ``sum_i p_i 1[argmax_a f(i)_a != a_i]``.

What to expect, exactly: an unseen query's answer is independent of everything the network is
trained on (its weight in the loss is 0), so the network answers it right with probability exactly
``1 / answers``. A network that fits its training data (every seen query answered right) therefore
has expected error ``(1 - 1/answers)`` times the memoriser's, the theory's law (for the default 64
answers, 1.6 % below it). Where the network departs from that (too few steps, too little capacity,
or a transformer's smoothing across queries), the difference is the network's, not the data's.

:func:`generations_error`: the chains of :func:`sim.zipf.generations_error` (resample, cut; the
same key use, hence the same counts), the final learner, trained on ``T`` draws from generation
``n``'s law (``T = inf``: weighted by that law itself), being the network.

Finite vocabularies only (``N = None`` raises a ValueError): the network enumerates its queries.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

import sim.zipf as sz
from sim._engine import Run, RunOptions, Twin, sweep
from sim._montecarlo import Estimate
from sim.neural._models import LEARNERS, MLP, Transformer, heads
from sim.neural._train import train
from sim.sampling import tree_counts
from sim.zipf._models import _counts, _items, _zipf
from theory.domain import Grid

__all__ = ["fit_error", "generations_error", "memorization_error", "mixed_error",
           "resolve_learner", "tail_cut_error"]

#: Streams of a seed's key beyond the data's (``fold_in``): the answers, the initialisation.
_ANSWERS, _INIT = 0x5A5A, 0xA5A5


def resolve_learner(learner: Any) -> MLP | Transformer:
    """The learner configuration named by ``learner``: ``"mlp"``, ``"transformer"`` (their
    defaults) or an :class:`MLP` / :class:`Transformer` instance (the learners of
    docs/theory/neural.md).

    Args:
        learner: ``"mlp"``, ``"transformer"``, or an :class:`MLP` / :class:`Transformer`.

    Returns:
        The configuration.

    Raises:
        ValueError: any other value.
    """
    if isinstance(learner, MLP | Transformer):
        return learner
    if isinstance(learner, str) and learner in LEARNERS:
        return LEARNERS[learner]()
    raise ValueError(f"learner must be one of {', '.join(map(repr, LEARNERS))} or an "
                     f"sim.neural.MLP / sim.neural.Transformer; got {learner!r}")


def _one_neural(key, *, learner, L: int, plan, raw_T: int, sources: int, beta, N, Z,
                b1, lo1, hi1, T1, b2, lo2, hi2, T2, **_layout):
    """``[test error, training error, memoriser's error]`` of one seed (module docstring).

    Training error: the fraction of the ``T`` training samples the network answers wrong."""
    dtype = jnp.zeros(()).dtype
    i = _items(L, dtype)
    p = jnp.where(i <= N, i ** (-beta), 0) / Z
    keys = jax.random.split(key, 2 * sources)  # the key use of sim.zipf: the same counts
    counts = jnp.zeros(L, dtype)
    for s, (b, lo, hi, T) in enumerate([(b1, lo1, hi1, T1), (b2, lo2, hi2, T2)][:sources]):
        w = jnp.where((i >= lo) & (i <= hi) & (i <= N), i ** (-b), 0)
        counts = counts + _counts(keys[2 * s], w, T, plan=plan, raw_T=raw_T)
    answers = jax.random.randint(jax.random.fold_in(key, _ANSWERS), (L,), 0, learner.answers)
    memoriser = jnp.sum(jnp.where(counts > 0, 0, p))
    return jnp.concatenate([_fit_and_score(key, learner, counts, answers, p),
                            memoriser[None]]).astype(dtype)


def _point(data_point: Callable, learner) -> Callable:
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        if values["N"] == float("inf"):
            raise ValueError("N must be a finite integer for a trained learner (it enumerates "
                             "its queries); N=None, an infinite vocabulary, is not simulated "
                             "here")
        run = data_point(values, grid, sampler)
        static = {k: v for k, v in run.static.items() if k not in ("tail", "cap", "counts_rank")}
        return Run({**static, "learner": learner}, run.traced)

    return point


def _declare(data_twin: Callable, learner) -> Twin:
    decl = data_twin.twin
    if data_twin is sz.generations_error:
        return Twin(theory=decl.theory, validate=decl.validate,
                    one_seed=_one_neural_generations, point=_generations_point(learner))
    return Twin(theory=decl.theory, validate=decl.validate, one_seed=_one_neural,
                point=_point(decl.point, learner), samplers=decl.samplers)


def _sweep(data_twin: Callable, key, learner, seeds, options, kwargs) -> Estimate:
    """Per grid point: ``[..., 0]`` test error, ``1`` training error, ``2`` memoriser's error."""
    decl = data_twin.twin
    learner = resolve_learner(learner)
    names = set(inspect.signature(decl.theory).parameters)
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise TypeError(f"{decl.theory.__name__}() got unexpected keyword argument(s) "
                        f"{', '.join(unknown)}")
    neural = _declare(data_twin, learner)
    return sweep(neural, key, seeds=seeds, options=options, **kwargs)


def _fit_and_score(key, learner, counts, answers, p):
    """Train ``learner`` on the queries' ``counts`` (answers ``answers``): ``[test error,
    training error]``, the test error exact over all queries."""
    dtype = p.dtype
    total = jnp.maximum(counts.sum(), 1)
    weights = (counts / total)[:, None] * jax.nn.one_hot(answers, learner.answers, dtype=dtype)
    params = train(jax.random.fold_in(key, _INIT), learner, weights)
    _, logits = heads(params, learner, counts.shape[0])
    wrong = jnp.argmax(logits, axis=-1) != answers
    return jnp.stack([jnp.sum(jnp.where(wrong, p, 0)),
                      jnp.sum(jnp.where(wrong, counts, 0)) / total])


def _one_neural_generations(key, *, learner, L: int, plan, n_max: int, chain: str,
                            infinite_T: bool, beta, N, T, T0):
    """``[generation, (test error, training error, memoriser's error)]`` for generations
    ``0..n_max`` of one seed: the chain of :func:`sim.zipf.generations_error` (the same key use,
    hence the same counts), whose final learner, trained on ``T`` draws from generation ``n``'s
    law (``T = inf``: on that law itself), is the network."""
    p = _zipf(beta, N, L)
    answers = jax.random.randint(jax.random.fold_in(key, _ANSWERS), (L,), 0, learner.answers)

    def scored(k, law):
        counts = law if infinite_T else tree_counts(k, law, T, plan=plan)
        memoriser = jnp.sum(jnp.where(counts == 0, p, 0))
        return jnp.concatenate([_fit_and_score(k, learner, counts, answers, p),
                                memoriser[None]])

    def generation(law, k):
        k1, k2 = jax.random.split(k)
        counts = tree_counts(k1, law, T0, plan=plan)
        law = counts if chain == "resample" else jnp.where(counts > 0, p, 0)
        return law, scored(k2, law)

    k0, k1 = jax.random.split(key)
    _, errors = jax.lax.scan(generation, p, jax.random.split(k1, n_max))
    return jnp.concatenate([scored(k0, p)[None], errors]).astype(p.dtype)


def _generations_point(learner) -> Callable:
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        run = sz.generations_error.twin.point(values, grid, sampler)
        return Run({**run.static, "learner": learner}, run.traced, read=run.read)

    return point


def _first_sentence(doc: str) -> str:
    text = " ".join(inspect.cleandoc(doc).split())
    return text.split(". ")[0].rstrip(".")


def _neural_twin(data_twin: Callable) -> Callable:
    decl = data_twin.twin
    theory = decl.theory
    signature = inspect.signature(data_twin)
    params = list(signature.parameters.values())
    params.insert(-2, inspect.Parameter("learner", inspect.Parameter.KEYWORD_ONLY,
                                        default="mlp", annotation="str | MLP | Transformer"))
    defaults = {n: p.default for n, p in inspect.signature(theory).parameters.items()
                if p.default is not inspect.Parameter.empty}
    required = sorted(set(inspect.signature(theory).parameters) - set(defaults))

    def simulate(key: jax.Array, /, *, seeds: int, options: RunOptions | None = None,
                 learner: str | MLP | Transformer = "mlp", **kwargs: Any) -> Estimate:
        missing = [n for n in required if n not in kwargs]
        if missing:
            raise TypeError(f"{theory.__name__}() missing keyword argument(s) "
                            f"{', '.join(missing)}")
        return _sweep(data_twin, key, learner, seeds, options, {**defaults, **kwargs})[..., 0]

    simulate.__name__ = simulate.__qualname__ = theory.__name__
    simulate.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    simulate.__module__ = "sim.neural"
    simulate.__doc__ = (
        f"Monte Carlo twin of :func:`theory.zipf.{theory.__name__}` with a trained network as "
        f"learner (same "
        f"arguments, plus ``key``, ``seeds``, ``options`` and ``learner``); returns an "
        f":class:`sim.Estimate`.\n\nThe training data are those of "
        f":func:`sim.zipf.{theory.__name__}` ({_first_sentence(decl.doc)}); "
        f"the learner, ``\"mlp\"`` (:class:`sim.neural.MLP`), ``\"transformer\"`` "
        f"(:class:`sim.neural.Transformer`) or a configured instance of either, is trained on "
        f"them and its error computed exactly over all queries (:mod:`sim.neural._twins`). "
        f"\n\nA network that fits its training data has expected error exactly ``(1 - "
        f"1/answers)`` times the idealised memoriser's, which the theory function gives "
        f"(exactly, or in the regime its docstring states; module docstring); the simulation "
        f"measures whether and where a trained network departs from that.\n\n"
        f"References: Dohmatob et al., \"A Tale of Tails: Model Collapse as a Change of Scaling "
        f"Laws\", ICML 2024, arXiv:2402.07043 (the laws and their references: "
        f":func:`theory.zipf.{theory.__name__}`).\n\n"
        f"Args:\n    key: the random key (seed ``s`` uses ``fold_in(key, s)``).\n"
        + "".join(f"    {a}: as in :func:`theory.zipf.{theory.__name__}` (same domain"
                  + (", a finite integer here" if a == "N" else "") + ").\n"
                  for a in inspect.signature(theory).parameters)
        + "    learner: ``\"mlp\"``, ``\"transformer\"``, or an :class:`sim.neural.MLP` / "
        ":class:`sim.neural.Transformer`.\n    seeds: an integer >= 2.\n"
        "    options: a :class:`sim.RunOptions`.\n\n"
        "Returns:\n    An :class:`sim.Estimate` of the theory's shape.")
    simulate.twin = _declare(data_twin, MLP())
    return simulate


memorization_error = _neural_twin(sz.memorization_error)
tail_cut_error = _neural_twin(sz.tail_cut_error)
mixed_error = _neural_twin(sz.mixed_error)
generations_error = _neural_twin(sz.generations_error)


def fit_error(key: jax.Array, /, *, beta, T, N=None, learner: str | MLP | Transformer = "mlp",
              seeds: int, options: RunOptions | None = None) -> Estimate:
    """Training error of a learner trained on ``T`` clean samples (the data of
    :func:`memorization_error`): the fraction of the training samples it answers wrong (0 when it
    fits its training data). docs/theory/neural.md; the data of Dohmatob et al., "A Tale of
    Tails", arXiv 2402.07043, Section 3.

    Args:
        key: the random key (seed ``s`` uses ``fold_in(key, s)``).
        beta: Zipf exponent, a real > 1.
        T: number of training samples, an integer >= 0.
        N: vocabulary size, a finite integer >= 1.
        learner: ``"mlp"``, ``"transformer"``, or an :class:`sim.neural.MLP` /
            :class:`sim.neural.Transformer`.
        seeds: an integer >= 2.
        options: a :class:`sim.RunOptions`.

    Returns:
        An :class:`sim.Estimate` of the broadcast shape of (beta, T).
    """
    return _sweep(sz.memorization_error, key, learner, seeds, options,
                  dict(beta=beta, T=T, N=N))[..., 1]
