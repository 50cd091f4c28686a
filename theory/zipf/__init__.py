"""Zipfian tails and the memorising model (ToT: Dohmatob et al., "A Tale of Tails", ICML 2024;
HUT: Hutter, "Learning Curve Theory"). THEORY.md section 4.

Each public function has a simulator twin of the same name in :mod:`sim.zipf`.
"""

from theory.zipf._generations import (
    generation_factor,
    generations_error,
    generations_error_asymptotic,
    generations_error_paper,
)
from theory.zipf._memorize import (
    C_beta,
    capacity_error,
    generator_cutoff,
    memorization_error,
    memorization_error_asymptotic,
    mixed_error,
    narrowed_error,
    narrowed_error_asymptotic,
    tail_band_error,
    tail_cut_crossover,
    tail_cut_error,
    tail_mass,
    tail_mass_asymptotic,
    temperature_exponent,
    top_p_cutoff,
    zeta_beta,
    zipf_probs,
)

__all__ = [
    "C_beta",
    "capacity_error",
    "generation_factor",
    "generations_error",
    "generations_error_asymptotic",
    "generations_error_paper",
    "generator_cutoff",
    "memorization_error",
    "memorization_error_asymptotic",
    "mixed_error",
    "narrowed_error",
    "narrowed_error_asymptotic",
    "tail_band_error",
    "tail_cut_crossover",
    "tail_cut_error",
    "tail_mass",
    "tail_mass_asymptotic",
    "temperature_exponent",
    "top_p_cutoff",
    "zeta_beta",
    "zipf_probs",
]
from theory.zipf._bigram import bigram_error, bigram_floor, bigram_rate
