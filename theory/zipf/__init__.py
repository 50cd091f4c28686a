"""Zipfian tails and the memorising model (ToT: Dohmatob, Feng, Yang, Charton, Kempe, "A Tale of
Tails: Model Collapse as a Change of Scaling Laws", ICML 2024, arXiv 2402.07043; HUT: Hutter,
"Learning Curve Theory", 2021, arXiv 2102.04074). See the Zipf and bigram pages of the theory
reference (docs/theory/zipf.md, docs/theory/bigram.md).

Each error of a training procedure has a simulator twin of the same name and keyword arguments
in :mod:`sim.zipf`; the closed-form helpers, asymptotic laws and limits without one are listed in
``THEORY_ONLY`` with the reason. The ``validate_*`` functions (:mod:`theory.zipf.domain`) check
the arguments for a theory function and its twin alike.
"""

from theory.zipf._bigram import bigram_error, bigram_floor, bigram_rate
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
from theory.zipf.domain import (
    CHAINS,
    RANKINGS,
    validate_bigram,
    validate_capacity,
    validate_generations,
    validate_memorization,
    validate_mixed,
    validate_narrowed,
    validate_tail_band,
    validate_tail_cut,
)

__all__ = [
    "CHAINS",
    "RANKINGS",
    "THEORY_ONLY",
    "C_beta",
    "bigram_error",
    "bigram_floor",
    "bigram_rate",
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
    "validate_bigram",
    "validate_capacity",
    "validate_generations",
    "validate_memorization",
    "validate_mixed",
    "validate_narrowed",
    "validate_tail_band",
    "validate_tail_cut",
    "zeta_beta",
    "zipf_probs",
]

_CONSTANT = "a deterministic constant of the law, not the expectation of a random experiment"
_ASYMPTOTIC = ("a large-T (or large-T0) asymptotic law; the simulator twin of the exact "
               "function it approximates tests it")
#: Public theory functions without a simulator twin, and why.
THEORY_ONLY = {
    "C_beta": _CONSTANT,
    "zeta_beta": _CONSTANT,
    "zipf_probs": "the probability vector itself (no random experiment)",
    "tail_mass": "the T -> inf plateau of tail_cut_error, a deterministic sum (its twin tests it "
                 "at large T)",
    "tail_mass_asymptotic": _ASYMPTOTIC,
    "tail_cut_crossover": _ASYMPTOTIC,
    "top_p_cutoff": "a deterministic cut-off rank (top-p sampling is simulated as tail_cut_error "
                    "at this k)",
    "generator_cutoff": _ASYMPTOTIC,
    "temperature_exponent": "a deterministic exponent (the narrowed law is simulated by "
                            "narrowed_error)",
    "memorization_error_asymptotic": _ASYMPTOTIC,
    "narrowed_error_asymptotic": _ASYMPTOTIC,
    "generation_factor": _ASYMPTOTIC,
    "generations_error_asymptotic": _ASYMPTOTIC,
    "generations_error_paper": "the paper's approximate law, a claim compared against the exact "
                               "chains (whose twin is generations_error)",
    "bigram_rate": _ASYMPTOTIC,
    "bigram_floor": "the T -> inf limit of bigram_error, a deterministic total variation",
}

from theory._docs import document  # noqa: E402
from theory.zipf.domain import ARG_DOCS as _ARG_DOCS  # noqa: E402
from theory.zipf.domain import ARG_OVERRIDES as _ARG_OVERRIDES  # noqa: E402

document(globals(), __all__, _ARG_DOCS,
         'Dohmatob, Feng, Yang, Charton, Kempe, "A Tale of Tails: Model Collapse as a Change of '
         'Scaling Laws", ICML 2024, arXiv 2402.07043; docs/theory/zipf.md.', _ARG_OVERRIDES)
