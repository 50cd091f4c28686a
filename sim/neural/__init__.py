"""Trained neural learners in the Zipf memorisation loops: the twins of :mod:`theory.zipf`'s
memorisation laws with a network trained by optax in place of the idealised memoriser (same
names and keyword arguments, plus ``key``, ``seeds``, ``options`` and ``learner``), the decoding
samplers of language models (top-k, top-p, temperature), and the loop in which trained generators
decode the next generation's training data."""

from sim.neural._decode import Decoding
from sim.neural._loop import decoded_generations_error
from sim.neural._models import MLP, Transformer
from sim.neural._twins import (
    fit_error,
    generations_error,
    memorization_error,
    mixed_error,
    resolve_learner,
    tail_cut_error,
)

__all__ = [
    "MLP",
    "SIM_ONLY",
    "Decoding",
    "Transformer",
    "decoded_generations_error",
    "fit_error",
    "generations_error",
    "memorization_error",
    "mixed_error",
    "resolve_learner",
    "tail_cut_error",
]

#: Public functions without a twin in :mod:`theory.zipf`, and why.
SIM_ONLY: dict[str, str] = {
    "decoded_generations_error": "trained generators decode the next generation's data: no "
                                 "closed form (the matching idealised chains are "
                                 "theory.zipf.generations_error and tail_cut_error)",
    "fit_error": "the training error of a network: the idealised memoriser's is 0 by definition",
    "resolve_learner": "names a learner configuration; no quantity",
}
