"""Twin parity: every public theory quantity has a simulator twin with the same keyword
parameters (beyond the key, ``seeds`` and ``options``), declared on the sweep engine, and both
broadcast the same arrays to the same shape. Theory-only and simulation-only names are listed by
their modules (``THEORY_ONLY``, ``SIM_ONLY``) with a reason; ``derive_*`` (symbolic derivations)
and ``validate_*`` (the shared validators) are theory-only by name."""

import importlib
import inspect

import jax
import numpy as np
import pytest

import sim
from sim import Estimate, RunOptions

MODELS = ("gaussian", "discrete", "verification", "zipf", "regression", "kde", "contamination",
          "bayes")
PREFIXES = ("derive_", "validate_")

# One valid call per quantity whose arrays broadcast to a 2-D grid: theory and simulation must
# return that shape (plus the same trailing axes).
GRIDS = {
    "gaussian.variance_after": dict(n=[[1], [3]], M=[5, 9, 12]),
    "gaussian.std_after": dict(n=[[1], [3]], M=[5, 9, 12]),
    "gaussian.mean_drift": dict(n=[[1], [3]], M=[5, 9, 12], policy="accumulate"),
    "gaussian.w2_risk": dict(n=[[1], [3]], M=[5, 9, 12], estimator="mle"),
    "gaussian.log_variance": dict(n=[[1], [3]], M=[5, 9, 12]),
    "gaussian.logdet_drift": dict(d=[[1], [2]], M=[5, 9, 12], n=2),
    "gaussian.weighted_stationary_variance": dict(w=[[0.5], [0.9]], k=[1.0, 2.0, 3.0], n=4),
    "gaussian.mean_sq_error": dict(d=2, n=[[1], [3]], M=5, sigma=[1.0, 1.5, 2.0],
                                   policy="fixed-real(ratio=1)"),
    "gaussian.covariance_ratio": dict(d=2, n=[[1], [3]], M=5, sampling_bias=[0.5, 0.7, 1.0]),
    "gaussian.covariance_sq_error": dict(d=2, n=[[1], [3]], M=5, sigma=[1.0, 1.5, 2.0]),
    "gaussian.stationary_mean_error": dict(n_real=[[3], [5]], n_synthetic=[0, 2, 6]),
    "gaussian.stationary_fit_error": dict(n_real=[[3], [5]], n_synthetic=[0, 2, 6],
                                          sampling_bias=0.6),
    "gaussian.stationary_variance": dict(n_real=[[3], [5]], n_synthetic=[0, 2, 6],
                                         loop="augmentation", sampling_bias=0.8),
    "kde.variance_after": dict(n=[[1], [3]], M=[5, 9, 12], h=0.3),
    "kde.ancestors_after": dict(n=[[1], [3]], M=[5, 9, 12]),
    "contamination.risk": dict(p=[0.5, 0.3, 0.2], alpha=[0.1, 0.5, 0.0], n_samples=5,
                               t=[[0, 1], [2, 3]]),
    "bayes.mean_after": dict(t=[[1], [3]], n=[2, 5, 8], a=2.0, b=1.5, h0=0.7),
    "bayes.variance_after": dict(t=[[1], [3]], n=[2, 5, 8], a=2.0, b=1.5, h0=0.7, learner="map"),
    "verification.accuracy": dict(p=[[0.2], [0.6]], phi=0.9, psi=0.3, mu=1.5, d=[3, 10, 20],
                                  n=12),
    "verification.accuracy_proportional": dict(p=[[0.2], [0.6]], phi=0.9, psi=0.3, mu=1.5,
                                               d=[3, 10, 20], n=12),
    "verification.effective_noise": dict(p=[[0.1], [0.4]], phi=[0.5, 0.9, 1.0], psi=0.3),
    "verification.kept_fraction": dict(p=[[0.1], [0.4]], phi=[0.5, 0.9, 1.0], psi=0.3),
    "verification.iterated_error": dict(p=[[0.1], [0.3]], phi=1.0, psi=[0.2, 1.0], mu=1.5, d=8,
                                        n=10, generations=2),
    "verification.zipf_error": dict(T=[[50], [200]], beta=1.5, N=40, k=[5, 20], p=0.2, phi=0.9,
                                    psi=0.3),
    "zipf.memorization_error": dict(beta=[[1.5], [2.0]], T=[10, 100, 1000]),
    "zipf.tail_cut_error": dict(beta=[[1.5], [2.0]], T=[10, 100, 1000], k=20),
    "zipf.mixed_error": dict(beta=1.5, T=[[10], [1000]], k=20, pi=[0.0, 0.1, 0.5]),
    "zipf.tail_band_error": dict(beta=1.5, T=[[10], [1000]], k=20, pi=[0.1, 0.5], j=40),
    "zipf.narrowed_error": dict(beta=[[1.5], [2.0]], beta_ai=2.5, T=[10, 100, 1000]),
    "zipf.generations_error": dict(beta=1.5, T=[[25.0], [100.0]], T0=12, n=[1, 2], chain="cut",
                                   N=20),
    "zipf.capacity_error": dict(beta=[[1.5], [2.0]], T=[10, 100, 1000], d=20, N=200),
    "zipf.bigram_error": dict(beta=[[2.0], [3.0]], T=[10, 100], N=30, V=30),
    "bayes.heterozygosity_after": dict(t=[[1], [3]], n=[2, 5, 8], alpha=[1.0, 2.0, 0.5],
                                       theta0=[0.6, 0.3, 0.1]),
    "discrete.loss_probability": dict(q=[[0.1], [0.4]], M=[2, 5, 9]),
    "discrete.fixation_probability": dict(q=[[0.3], [0.6]], M=[2, 5, 9], n=3),
    "discrete.expected_lost_mass": dict(p=[0.5, 0.3, 0.2], M=[[2], [6]], n=[1, 2, 4]),
    # one grid (one compiled chain) for the four chain quantities
    "discrete.expected_support": dict(p=[0.5, 0.3, 0.2], M=[[2], [6]], n=[1, 2, 4]),
    "discrete.heterozygosity": dict(p=[0.5, 0.3, 0.2], M=[[2], [6]], n=[1, 2, 4]),
    "discrete.squared_distance": dict(p=[0.5, 0.3, 0.2], M=[[2], [6]], n=[1, 2, 4]),
    "discrete.poisson_survival": dict(n=[[1], [4]], rate0=[0.5, 1.0, 2.0], k=3),
    "discrete.curated_law": dict(p=[0.6, 0.4], reward=[0.0, -1.0], K=[[1], [3]], n=[0, 1, 2],
                                 M=5),
    "discrete.curated_reward": dict(p=[0.6, 0.4], reward=[0.0, -1.0], K=[[1], [3]], n=[0, 1, 2],
                                    M=5),
    "regression.fixed_design_error": dict(d=3, T=[[8], [12]], n=[1, 2, 3], sigma=1.0,
                                          policy="accumulate-subsample"),
    "regression.ols_test_error": dict(d=3, T=[[8], [12]], T0=6, n=[1, 2, 3], sigma=1.0,
                                      sigma0=0.5),
    "regression.isotropic_ridge_test_error": dict(d=3, T=[[8], [12]], T0=6, n=[1, 2, 3], lam=0.1,
                                                  sigma=1.0, sigma0=0.5, w0_norm=1.0),
    "regression.ridge_test_error": dict(spectrum=[1.0, 0.5, 0.25], w0=[1.0, 0.5, 0.2],
                                        T=[[8], [12]], T0=6, n=[1, 2, 3], lam=0.1, sigma=1.0,
                                        sigma0=0.5),
    "regression.overparam_generator_error": dict(d=6, T0=[[3], [4]], n=[1, 2, 3], sigma0=0.5,
                                                 w0_norm=1.0),
    "regression.mixed_training_error": dict(spectrum=[1.0, 0.5, 0.25], w1=[1.0, 0.0, 0.0],
                                            delta=[0.0, 0.5, 0.0], n=[[10], [20]],
                                            p2=[0.1, 0.2, 0.3], lam=0.1, sigma=1.0),
    "regression.isotropic_mixed_training_error": dict(d=3, n=[[10], [20]], p2=[0.1, 0.2, 0.3],
                                                      c2=1.0, sigma=1.0),
    "regression.random_projection_error": dict(d=8, n=[[10], [12]], m=[2, 3, 4], p2=0.2, c2=1.0,
                                               sigma=0.5, w1_norm=1.0),
}


def _public_functions(module) -> dict:
    return {name: getattr(module, name) for name in module.__all__
            if inspect.isfunction(getattr(module, name))}


def _quantities(model: str) -> dict:
    theory = importlib.import_module(f"theory.{model}")
    only = getattr(theory, "THEORY_ONLY", {})
    return {name: fn for name, fn in _public_functions(theory).items()
            if not name.startswith(PREFIXES) and name not in only}


@pytest.mark.parametrize("model", MODELS)
def test_every_theory_quantity_has_its_twin(model):
    theory = importlib.import_module(f"theory.{model}")
    simulation = importlib.import_module(f"sim.{model}")
    assert sorted(theory.__all__) == sorted(set(theory.__all__)), "duplicate names in __all__"
    for module in (theory, simulation):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ names missing {name}"
    for label, listed, module in (("THEORY_ONLY", getattr(theory, "THEORY_ONLY", {}), theory),
                                  ("SIM_ONLY", getattr(simulation, "SIM_ONLY", {}), simulation)):
        for name, reason in listed.items():
            assert name in module.__all__, f"{label} lists {name}, not public in {module}"
            assert isinstance(reason, str) and len(reason) > 10, f"{label}[{name}]: a reason"
    quantities = _quantities(model)
    assert quantities, model
    for name, fn in quantities.items():
        assert name in simulation.__all__, f"sim.{model} lacks the twin of {name}"
        twin = getattr(simulation, name)
        assert twin.twin.theory is fn, f"sim.{model}.{name} is not declared on theory's {name}"
        params = list(inspect.signature(twin).parameters.values())
        assert params[0].name == "key" and params[0].kind is inspect.Parameter.POSITIONAL_ONLY
        assert [p.name for p in params[-2:]] == ["seeds", "options"]
        theirs = list(inspect.signature(fn).parameters.values())
        assert [(p.name, p.default) for p in params[1:-2]] == \
            [(p.name, p.default) for p in theirs], f"{model}.{name}: keyword parameters differ"
    twins = set(quantities)
    extra = {name for name in _public_functions(simulation) if name not in twins}
    assert extra == set(getattr(simulation, "SIM_ONLY", {})), \
        f"sim.{model}: public functions with no theory twin must be listed in SIM_ONLY"


def test_every_quantity_has_a_parity_grid():
    names = {f"{m}.{q}" for m in MODELS for q in _quantities(m)}
    assert names <= set(GRIDS), sorted(names - set(GRIDS))


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_twins_broadcast_like_theory(name):
    model, quantity = name.split(".")
    theory = getattr(importlib.import_module(f"theory.{model}"), quantity)
    twin = getattr(importlib.import_module(f"sim.{model}"), quantity)
    expected = theory(**GRIDS[name])
    assert isinstance(expected, np.ndarray) and expected.dtype == np.float64, type(expected)
    est = twin(jax.random.key(0), **GRIDS[name], seeds=2)
    assert isinstance(est, Estimate)
    assert est.shape == expected.shape, (est.shape, expected.shape)
    assert est[0].shape == expected[0].shape and est[:, -1].shape == expected[:, -1].shape
    assert np.all(np.isfinite(est.mean))


#: Trained-learner twins of theory.zipf (sim.neural): the theory's keyword parameters, then the
#: sim-only ``learner`` option, then ``seeds`` and ``options``; a 2-D grid each.
NEURAL_GRIDS = {
    "memorization_error": dict(T=[[2], [9]], beta=[1.2, 1.5, 2.0], N=16),
    "tail_cut_error": dict(T=[[2], [9]], beta=[1.2, 1.5, 2.0], k=4, N=16),
    "mixed_error": dict(T=[[2], [9]], beta=[1.2, 1.5, 2.0], k=4, pi=0.5, N=16),
    "generations_error": dict(T=[[2], [9]], beta=[1.2, 1.5, 2.0], T0=5, n=[[0], [2]],
                              chain="cut", N=16),
}


@pytest.mark.parametrize("name", sorted(NEURAL_GRIDS))
def test_neural_twins_match_theory_zipf(name):
    import sim.neural as sn
    import theory.zipf as tz
    theory, twin = getattr(tz, name), getattr(sn, name)
    assert name in sn.__all__ and twin.twin.theory is theory
    params = list(inspect.signature(twin).parameters.values())
    assert params[0].name == "key" and params[0].kind is inspect.Parameter.POSITIONAL_ONLY
    assert [(p.name, p.default) for p in params[-3:]] == \
        [("learner", "mlp"), ("seeds", inspect.Parameter.empty), ("options", None)]
    theirs = list(inspect.signature(theory).parameters.values())
    assert [(p.name, p.default) for p in params[1:-3]] == [(p.name, p.default) for p in theirs]
    expected = theory(**NEURAL_GRIDS[name])
    est = twin(jax.random.key(0), **NEURAL_GRIDS[name], seeds=2, learner=sn.MLP(steps=2))
    assert isinstance(est, Estimate) and est.shape == expected.shape
    assert np.all(np.isfinite(est.mean))


def test_options_are_one_object():
    import sim.gaussian as sg
    with pytest.raises(ValueError, match=r"^options must be a sim.RunOptions"):
        sg.variance_after(jax.random.key(0), n=1, M=5, seeds=4, options={"batch_size": 2})
    with pytest.raises(ValueError, match=r"^batch_size must be an integer >= 1 or None"):
        RunOptions(batch_size=0)
    with pytest.raises(ValueError, match=r"^sampler must be one of 'sufficient', 'raw'"):
        RunOptions(sampler="exact")
    with pytest.raises(ValueError, match=r"^seeds must be an integer >= 2"):
        sg.variance_after(jax.random.key(0), n=1, M=5, seeds=1)
    with pytest.raises(TypeError, match=r"^variance_after\(\) got unexpected keyword"):
        sg.variance_after(jax.random.key(0), n=1, M=5, seeds=4, raw=True)


def test_public_sim_namespace():
    for name in sim.__all__:
        assert hasattr(sim, name), name
