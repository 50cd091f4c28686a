"""Simulators of the regression chains; twins of :mod:`theory.regression` (same names and
keyword arguments, plus a key and ``seeds``; each returns a :class:`sim.Estimate`)."""

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
