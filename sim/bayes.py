"""Simulators of iterated learning with Bayesian agents; twins of :mod:`theory.bayes`, declared on
the sweep engine (:mod:`sim._engine`).

The raw loop: each generation draws n data from the last hypothesis, forms the posterior under
the prior and picks the next hypothesis from it (a posterior sample: ``jax.random.beta`` /
``jax.random.dirichlet``; or its mode or mean). The sufficient sampler draws the data's counts
exactly (:func:`sim.sampling.binomial`, :func:`sim.sampling.tree_counts`);
``RunOptions(sampler="raw")`` draws the n data one by one and counts them (a number of slots
bucketed with :func:`sim._engine.bucket`, those beyond n masked). One chain per seed records
every generation, so a sweep over t costs one chain; generation i uses ``fold_in(key, i)``. The
learner is a traced index (each step computes the posterior sample, mode and mean and keeps one),
so the three learners share one compiled program.

Variance: each seed runs two independent chains (keys ``split(key)``) and reports
(h - h')^2/2, unbiased for Var h_t with no reference to the theory's mean; the mean twin reports
(h + h')/2 from the same two chains (one program for both).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

import theory.bayes as TB
from sim._engine import SAMPLERS, Run, Twin, bucket, twin
from sim.sampling import binomial, tree_counts
from theory.domain import Grid

__all__ = ["SIM_ONLY", "heterozygosity_after", "mean_after", "variance_after"]

#: Public simulators without a theory twin in :mod:`theory.bayes`: none.
SIM_ONLY: dict[str, str] = {}


def _pick(key, learner, prior, counts, n, K: int):
    """The learner's hypothesis from the posterior Dirichlet(prior + counts) (a 1-D weight
    vector): ``learner`` is the traced index of ``theory.bayes.LEARNERS`` (sample, map, mean), so
    the three learners share one compiled program. K = 2 samples the Beta posterior directly."""
    post = prior + counts
    if K == 2:
        x = jax.random.beta(key, post[0], post[1])
        sample = jnp.stack([x, 1.0 - x])
    else:
        sample = jax.random.dirichlet(key, post)
    mode = (post - 1.0) / (prior.sum() + n - K)
    mean = post / (prior.sum() + n)
    return jnp.where(learner == 0, sample, jnp.where(learner == 1, mode, mean))


def _counts(key, theta, n, raw_n: int, K: int):
    """Counts of n draws from theta: exact sufficient sampler, or raw_n draws of which n count."""
    if raw_n:
        draws = jax.random.categorical(key, jnp.log(theta), shape=(raw_n,))
        used = (jnp.arange(raw_n) < n).astype(theta.dtype)
        return jnp.zeros(K, theta.dtype).at[draws].add(used)
    if K == 2:
        k = binomial(key, n, theta[0])
        return jnp.stack([k, n - k])
    return tree_counts(key, theta, n)


def _chain(key, *, t_max: int, raw_n: int, learner, prior, theta0, n):
    """theta_0..theta_t_max of one chain, shape (t_max + 1, K)."""
    K = prior.shape[0]

    def step(theta, i):
        k_data, k_pick = jax.random.split(jax.random.fold_in(key, i))
        counts = _counts(k_data, theta, n, raw_n, K)
        theta = _pick(k_pick, learner, prior, counts, n, K)
        return theta, theta

    _, path = jax.lax.scan(step, theta0, jnp.arange(1, t_max + 1))
    return jnp.concatenate([theta0[None], path])


def _one_beta(key, *, t_max: int, raw_n: int, learner, n, a, b, h0):
    """Two independent Beta-Bernoulli chains; per generation ((h + h')/2, (h - h')^2/2)."""
    prior = jnp.stack([a, b])
    theta0 = jnp.stack([h0, 1.0 - h0])
    h = jax.vmap(lambda k: _chain(k, t_max=t_max, raw_n=raw_n, learner=learner, prior=prior,
                                  theta0=theta0, n=n)[:, 0])(jax.random.split(key))
    return jnp.stack([(h[0] + h[1]) / 2, (h[0] - h[1]) ** 2 / 2], axis=1)


def _beta_point(column: int):
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        static = dict(t_max=bucket(max(grid.max("t"), 1)),
                      raw_n=bucket(grid.max("n")) if sampler == "raw" else 0)
        traced = {k: values[k] for k in ("n", "a", "b", "h0")}
        traced["learner"] = float(TB.LEARNERS.index(grid.options["learner"]))
        return Run(static, traced, read=(int(values["t"]), column))

    return point


_BETA_DOC = """Each seed runs two independent chains of the raw loop (n Bernoulli data from the
last hypothesis, Beta posterior, then a posterior sample, its mode or its mean)."""

mean_after = twin(Twin(theory=TB.mean_after, validate=TB.validate_beta, one_seed=_one_beta,
                       point=_beta_point(0), samplers=SAMPLERS, doc=_BETA_DOC))
variance_after = twin(Twin(theory=TB.variance_after, validate=TB.validate_beta,
                           one_seed=_one_beta, point=_beta_point(1), samplers=SAMPLERS,
                           doc=_BETA_DOC + " It reports (h - h')^2/2, unbiased for the variance."))


def _one_dirichlet(key, *, t_max: int, raw_n: int, learner, n, alpha, theta0):
    """1 - ||theta_t||^2 for t = 0..t_max of one Dirichlet-categorical chain."""
    path = _chain(key, t_max=t_max, raw_n=raw_n, learner=learner, prior=alpha, theta0=theta0,
                  n=n)
    return 1.0 - jnp.sum(path**2, axis=1)


def _dirichlet_point(values: dict, grid: Grid, sampler: str) -> Run:
    static = dict(t_max=bucket(max(grid.max("t"), 1)),
                  raw_n=bucket(grid.max("n")) if sampler == "raw" else 0)
    traced = dict(n=values["n"], alpha=grid.options["alpha"], theta0=grid.options["theta0"],
                  learner=float(TB.LEARNERS.index(grid.options["learner"])))
    return Run(static, traced, read=(int(values["t"]),))


heterozygosity_after = twin(Twin(
    theory=TB.heterozygosity_after, validate=TB.validate_dirichlet, one_seed=_one_dirichlet,
    point=_dirichlet_point, samplers=SAMPLERS,
    doc="""Each seed runs the raw loop on the K categories (n categorical data from the last
    hypothesis, Dirichlet posterior, then a posterior sample, its mode or its mean) and reports
    1 - ||theta_t||^2."""))
