"""Simulators of the Zipf memorising model (twins of :mod:`theory.zipf`; ToT, HUT)."""

from sim.sampling import Plan, counts_plan, raw_counts, tree_counts
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
    "Plan",
    "capacity_error",
    "counts_plan",
    "generations_error",
    "memorization_error",
    "mixed_error",
    "narrowed_error",
    "raw_counts",
    "tail_band_error",
    "tail_cut_error",
    "tree_counts",
]
from sim.zipf._bigram import bigram_error
