"""What "collapse" means in each quantity of the toolkit.

The literature uses several incompatible definitions of model collapse (Schaeffer, Kazdan,
Arulandu, Koyejo, "Position: Model Collapse Does Not Mean What You Think", 2025, arXiv
2503.03150, count eight). The toolkit's quantities measure six of them; :data:`KINDS` names them
and :data:`QUANTITIES` tags every public quantity of ``theory`` (and so of its ``sim`` twin) with
the one it measures. None of them is the mode collapse of GAN training (a generator mapping many
latent codes to a few outputs within one training run): every kind here is a property of a chain
of models, each trained on what the previous one produced.

The glossary page of the documentation (docs/glossary.md) prints this table.
"""

from __future__ import annotations

__all__ = ["HELPER_PREFIXES", "KINDS", "QUANTITIES", "kind_of"]

#: The kinds of collapse, with what each one means for the measured quantity.
KINDS: dict[str, str] = {
    "error_growth": "test error (excess risk on the real distribution) grows with the number of "
                    "generations, in some regimes without bound",
    "variance_collapse": "the spread of the fitted model (its variance, covariance or "
                         "log-determinant) shrinks to zero",
    "tail_loss": "the tails are lost: rare items disappear from what the model knows or "
                 "generates",
    "entropy_loss": "the entropy or diversity (heterozygosity, 1 - sum p_i^2) of the model's "
                    "outputs falls",
    "fixation": "one outcome takes over: the chain is absorbed (Wright-Fisher fixation, a "
                "genealogy coalescing to one ancestor)",
    "scaling_plateau": "the scaling law changes: the error against the amount of data reaches a "
                       "floor or decays at a slower rate",
    "none": "not a measure of collapse: a constant, a parameter map, a threshold or a fitting "
            "tool",
}

#: Public functions that are derivations or input checks, not quantities (kind ``"none"``).
HELPER_PREFIXES = ("derive_", "validate_")

#: module -> {public quantity: kind}; every public theory function is listed or is a helper.
QUANTITIES: dict[str, dict[str, str]] = {
    "theory.regression": {
        "ols_test_error": "error_growth",
        "ols_test_error_proportional": "error_growth",
        "overparam_generator_error": "error_growth",
        "ridge_test_error": "error_growth",
        "ridge_risk_parts": "error_growth",
        "RidgeRisk": "error_growth",
        "isotropic_ridge_test_error": "error_growth",
        "fixed_design_error": "error_growth",
        "effective_regularization": "none",
        "optimal_lam": "none",
        "optimal_lam_asymptotic": "none",
        "power_law_exponents": "scaling_plateau",
        "PowerLawExponents": "scaling_plateau",
        "power_law_constants_gamma_form": "none",
        "power_law_problem": "none",
        "mixed_training_error": "scaling_plateau",
        "isotropic_mixed_training_error": "scaling_plateau",
        "random_projection_error": "scaling_plateau",
        "derive_subsample_weights": "none",
    },
    "theory.zipf": {
        "memorization_error": "scaling_plateau",
        "memorization_error_asymptotic": "scaling_plateau",
        "tail_cut_error": "scaling_plateau",
        "tail_cut_crossover": "scaling_plateau",
        "tail_band_error": "scaling_plateau",
        "narrowed_error": "scaling_plateau",
        "narrowed_error_asymptotic": "scaling_plateau",
        "mixed_error": "scaling_plateau",
        "capacity_error": "scaling_plateau",
        "bigram_error": "scaling_plateau",
        "bigram_floor": "scaling_plateau",
        "bigram_rate": "scaling_plateau",
        "tail_mass": "tail_loss",
        "tail_mass_asymptotic": "tail_loss",
        "top_p_cutoff": "tail_loss",
        "generator_cutoff": "tail_loss",
        "temperature_exponent": "tail_loss",
        "generation_factor": "tail_loss",
        "generations_error": "tail_loss",
        "generations_error_asymptotic": "tail_loss",
        "generations_error_paper": "tail_loss",
        "C_beta": "none",
        "zeta_beta": "none",
        "zipf_probs": "none",
    },
    "theory.gaussian": {
        "variance_after": "variance_collapse",
        "std_after": "variance_collapse",
        "log_variance": "variance_collapse",
        "logdet_drift": "variance_collapse",
        "covariance_ratio": "variance_collapse",
        "moment_contraction": "variance_collapse",
        "stationary_variance": "variance_collapse",
        "mean_drift": "error_growth",
        "mean_sq_error": "error_growth",
        "stationary_mean_error": "error_growth",
        "w2_risk": "error_growth",
        "weighted_stationary_variance": "error_growth",
        "covariance_sq_error": "error_growth",
        "stationary_fit_error": "error_growth",
        "fourth_moment_contraction": "variance_collapse",
        "effective_sample_size": "error_growth",
        "optimal_real_weight": "none",
        "real_count": "none",
        "synthetic_count": "none",
    },
    "theory.discrete": {
        "fixation_probability": "fixation",
        "loss_probability": "tail_loss",
        "expected_lost_mass": "tail_loss",
        "expected_support": "tail_loss",
        "heterozygosity": "entropy_loss",
        "squared_distance": "error_growth",
        "poisson_survival": "fixation",
        "poisson_survival_bounds": "fixation",
        "curated_law": "entropy_loss",
        "curated_reward": "none",
    },
    "theory.verification": {
        "accuracy": "error_growth",
        "accuracy_limit": "error_growth",
        "accuracy_proportional": "error_growth",
        "iterated_error": "error_growth",
        "collapse_dimension_ratio": "error_growth",
        "effective_noise": "error_growth",
        "zipf_error": "scaling_plateau",
        "critical_noise": "none",
        "kept_fraction": "none",
        "zipf_probs": "none",
        "zipf_terms": "none",
    },
    "theory.kde": {
        "variance_after": "variance_collapse",
        "stationary_variance": "variance_collapse",
        "ancestors_after": "fixation",
        "silverman_factor": "none",
    },
    "theory.contamination": {
        "risk": "error_growth",
        "stationary_risk": "error_growth",
        "improves": "none",
    },
    "theory.bayes": {
        "heterozygosity_after": "entropy_loss",
        "variance_after": "fixation",
        "mean_after": "fixation",
        "stationary_law": "fixation",
        "count_chain": "none",
    },
    "theory.policy": {"Policy": "none", "as_policy": "none"},
    "theory.fit": {"fit_curve": "none", "fit_curves": "none", "compare": "none", "Fit": "none",
                   "Comparison": "none", "Quantity": "none"},
    "theory.domain": {"Grid": "none", "param": "none", "choice": "none", "broadcast": "none"},
}


def kind_of(module: str, name: str) -> str:
    """The kind of collapse the public quantity ``module.name`` measures (a key of
    :data:`KINDS`; the kinds follow Schaeffer et al., arXiv 2503.03150; docs/glossary.md).

    Args:
        module: a theory module name, e.g. ``"theory.zipf"``.
        name: a public name of that module.

    Returns:
        The key of :data:`KINDS`; ``"none"`` for derivations and validators.

    Raises:
        KeyError: the name is neither tagged nor a helper.
    """
    tags = QUANTITIES.get(module, {})
    if name in tags:
        return tags[name]
    if name.startswith(HELPER_PREFIXES):
        return "none"
    raise KeyError(f"{module}.{name} is not tagged in theory.glossary.QUANTITIES")
