"""Simulators of the regression chains; twins of :mod:`theory.regression` (same names and
keyword arguments, plus a key, ``seeds`` and ``options``; each returns a :class:`sim.Estimate`),
declared on the sweep engine (:mod:`sim._engine`). Every public theory function has a twin here
except those in :data:`theory.regression.THEORY_ONLY`."""

from sim.regression._chain import (
    SAMPLERS,
    isotropic_ridge_test_error,
    ols_test_error,
    overparam_generator_error,
    ridge_test_error,
)
from sim.regression._mixing import (
    isotropic_mixed_training_error,
    mixed_training_error,
    random_projection_error,
)
from sim.regression._policies import fixed_design_error

__all__ = ["SAMPLERS", "fixed_design_error", "isotropic_mixed_training_error",
           "isotropic_ridge_test_error", "mixed_training_error", "ols_test_error",
           "overparam_generator_error", "random_projection_error", "ridge_test_error"]
