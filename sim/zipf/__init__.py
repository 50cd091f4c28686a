"""Simulators of the Zipf memorising model and the tailed bigram model: the twins of
:mod:`theory.zipf` (same names and keyword arguments, plus ``key``, ``seeds`` and ``options``;
ToT, HUT), declared on the sweep engine (:mod:`sim._engine`). The count sampler they use is
:mod:`sim.sampling`."""

from sim.zipf._bigram import bigram_error
from sim.zipf._models import (
    capacity_error,
    generations_error,
    memorization_error,
    mixed_error,
    narrowed_error,
    tail_band_error,
    tail_cut_error,
)

__all__ = [
    "SIM_ONLY",
    "bigram_error",
    "capacity_error",
    "generations_error",
    "memorization_error",
    "mixed_error",
    "narrowed_error",
    "tail_band_error",
    "tail_cut_error",
]

#: Simulators without a theory twin, and why: none (the count-ranked memory is
#: ``capacity_error(ranking="counts")``, whose theory raises a ValueError: no closed form).
SIM_ONLY: dict[str, str] = {}
