"""Regression trained on recursively generated labels (Dohmatob, Feng, Kempe, "Model Collapse
Demystified: The Case of Regression", NeurIPS 2024, arXiv 2402.07712; the data policies and
mixing of Gerstgrasser et al., arXiv 2404.01413, and Dohmatob, Feng, Subramonian, Kempe, arXiv
2410.04840).

See the regression, power-law and policies pages of the theory reference
(docs/theory/regression.md, docs/theory/power_laws.md, docs/theory/policies.md). Every
test-error function here has a simulator twin of the same name
and keyword arguments in :mod:`sim.regression`; the functions without one are listed, with the
reason, in ``THEORY_ONLY``. The ``validate_*`` functions (:mod:`theory.regression.domain`) check
the arguments for the theory functions and their twins alike.
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
    validate_isotropic_mixed,
    validate_mixed,
    validate_random_projection,
)
from theory.regression._policies import (
    derive_fixed_design_error,
    derive_fresh_accumulate_term,
    derive_subsample_weights,
    fixed_design_error,
    validate_fixed_design,
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
from theory.regression.domain import (
    validate_isotropic_ridge,
    validate_ols,
    validate_overparam,
    validate_ridge,
)

__all__ = [
    "THEORY_ONLY", "PowerLawExponents", "RidgeRisk", "derive_fixed_design_error",
    "derive_fresh_accumulate_term", "derive_inverse_chi2_mean", "derive_isotropic_kappa",
    "derive_isotropic_mixed_error", "derive_isotropic_parts", "derive_noise_term",
    "derive_ols_proportional_limit", "derive_ols_test_error", "derive_optimal_kappa",
    "derive_overparam_generator_error", "derive_power_law_constants",
    "derive_power_law_exponents", "derive_random_projection_error", "derive_subsample_weights",
    "effective_regularization", "fixed_design_error", "isotropic_mixed_training_error",
    "isotropic_ridge_test_error", "mixed_training_error", "ols_test_error",
    "ols_test_error_proportional", "optimal_lam", "optimal_lam_asymptotic",
    "overparam_generator_error", "power_law_constants_gamma_form", "power_law_exponents",
    "power_law_problem", "random_projection_error", "ridge_risk_parts", "ridge_test_error",
    "validate_fixed_design", "validate_isotropic_mixed", "validate_isotropic_ridge",
    "validate_mixed", "validate_ols", "validate_overparam", "validate_random_projection",
    "validate_ridge",
]

#: Public functions without a simulator twin in :mod:`sim.regression`, and why.
THEORY_ONLY = {
    "ols_test_error_proportional": "a proportional limit (d, T, T0 -> infinity at fixed ratios); "
                                   "its finite-size twin is ols_test_error",
    "effective_regularization": "the deterministic-equivalent solver for kappa (a fixed point, "
                                "not an expectation over data)",
    "ridge_risk_parts": "the deterministic equivalent's bias, variance and collapse parts; the "
                        "simulated quantity is their sum, ridge_test_error",
    "optimal_lam": "an optimiser of the deterministic equivalent over lam",
    "optimal_lam_asymptotic": "the closed-form asymptotic optimiser of the power-law risk",
    "power_law_problem": "constructs the power-law spectrum and w0 (input to the twins)",
    "power_law_exponents": "closed-form scaling exponents (slopes, not expectations)",
    "power_law_constants_gamma_form": "the symbolic constants c_V, c_B (sympy expressions)",
}

from theory._docs import document  # noqa: E402
from theory.regression.domain import ARG_DOCS as _ARG_DOCS  # noqa: E402
from theory.regression.domain import ARG_OVERRIDES as _ARG_OVERRIDES  # noqa: E402

# The fixed-design policy chain (theory.regression._policies) documents itself.
document(globals(), [n for n in __all__
                     if not getattr(globals()[n], "__module__", "").endswith("_policies")],
         _ARG_DOCS,
         'Dohmatob, Feng, Kempe, "Model Collapse Demystified: The Case of Regression", NeurIPS '
         "2024, arXiv 2402.07712; docs/theory/regression.md.", _ARG_OVERRIDES)
