"""Regression trained on recursively generated labels (Dohmatob, Feng, Kempe, NeurIPS 2024).

THEORY.md sections 1 and 2. Every test-error function here has a simulator twin of the same name
and keyword arguments in :mod:`sim.regression`.
"""

from theory.regression._closed_forms import (
    derive_inverse_chi2_mean,
    derive_isotropic_kappa,
    derive_isotropic_parts,
    derive_noise_term,
    derive_ols_proportional_limit,
    derive_ols_test_error,
    derive_overparam_generator_error,
    ols_test_error,
    ols_test_error_proportional,
    overparam_generator_error,
)
from theory.regression._deterministic import (
    RidgeRisk,
    effective_regularization,
    isotropic_ridge_test_error,
    optimal_lam,
    ridge_risk_parts,
    ridge_test_error,
)
from theory.regression._mixing import (
    derive_isotropic_mixed_error,
    derive_random_projection_error,
    isotropic_mixed_training_error,
    mixed_training_error,
    random_projection_error,
)
from theory.regression._policies import (
    derive_fixed_design_error,
    derive_fresh_accumulate_term,
    derive_subsample_weights,
    fixed_design_error,
)
from theory.regression._power_law import (
    PowerLawExponents,
    derive_optimal_kappa,
    derive_power_law_constants,
    derive_power_law_exponents,
    optimal_lam_asymptotic,
    power_law_constants_gamma_form,
    power_law_exponents,
    power_law_problem,
)
