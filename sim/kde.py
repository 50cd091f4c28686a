"""Simulators of the kernel density estimation chain; twins of :mod:`theory.kde`, declared on the
sweep engine (:mod:`sim._engine`).

The raw loop, as Kazdan et al. (arXiv 2410.16713) run it under the replace workflow: generation 1
holds M draws from N(0, sigma^2); generation k + 1 holds M draws from generation k's
Gaussian-kernel density, X'_j = X_{I_j} + h_k Z_j (I_j uniform on the M points), with h_k fixed or
re-selected by Silverman's rule on generation k's points. No sufficient statistic exists (the next
generation's law depends on every point), so the one sampler draws the points themselves. Each
point also carries the index of its generation-1 ancestor, for the genealogy.

One chain per seed records every generation (the fitted density's variance, the number of
distinct real ancestors and, for :func:`heldout_loglik`, the mean log-density of fresh real test
points), so a sweep over n costs one chain. The M points are held in a vector of length
``bucket(M)``; the slots beyond M are never a parent and never enter a statistic. The randomness
of generation i is ``fold_in(key, i)``. The bandwidth rule is a traced flag, so both rules share
one compiled program.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

import theory.kde as TK
from sim._engine import Run, RunOptions, Twin, bucket, sweep, twin
from sim._montecarlo import Estimate
from theory.domain import Grid, param

__all__ = ["SIM_ONLY", "ancestors_after", "heldout_loglik", "variance_after"]

#: Public simulators without a theory twin in :mod:`theory.kde`, and why.
SIM_ONLY = {
    "heldout_loglik": "E log of a Gaussian mixture at fresh real points has no closed form; "
                      "estimated by simulation only",
}

_VAR, _ANC, _LOGLIK = 0, 1, 2  # columns of the per-generation statistics


def _moments(x, valid, M):
    mean = jnp.sum(jnp.where(valid, x, 0.0)) / M
    return mean, jnp.sum(jnp.where(valid, (x - mean) ** 2, 0.0)) / M  # biased variance


def _one_chain(key, *, n_max: int, M_pad: int, test_points: int, silverman, M, h, sigma):
    """Generations 0..n_max of the KDE chain; (n_max + 1, 3) statistics per generation: the
    fitted density's variance V + h^2, the number of distinct generation-1 ancestors, and the
    mean log-density of ``test_points`` fresh N(0, sigma^2) points (0 when ``test_points`` is 0).
    Generation 0 is the truth (its log-density is the truth's)."""
    valid = jnp.arange(M_pad) < M
    factor = (4.0 / (3.0 * M)) ** 0.2

    def bandwidth(var):
        return jnp.where(silverman > 0, h * factor * jnp.sqrt(var * M / (M - 1.0)), h)

    def loglik(k, x, bw):
        if not test_points:
            return jnp.zeros(())
        y = sigma * jax.random.normal(k, (test_points,))
        z = -0.5 * ((y[:, None] - x[None, :]) / bw) ** 2
        z = jnp.where(valid[None, :], z, -jnp.inf)
        dens = jax.scipy.special.logsumexp(z, axis=1) - jnp.log(M) \
            - 0.5 * jnp.log(2 * jnp.pi * bw**2)
        return dens.mean()

    def stats(k, x, anc, bw):
        _, var = _moments(x, valid, M)
        distinct = jnp.zeros(M_pad).at[anc].max(valid.astype(x.dtype)).sum()
        return jnp.stack([var + bw**2, distinct, loglik(k, x, bw)])

    k1 = jax.random.fold_in(key, 1)
    x = sigma * jax.random.normal(jax.random.fold_in(k1, 0), (M_pad,))
    anc = jnp.arange(M_pad)
    bw = bandwidth(_moments(x, valid, M)[1])
    first = stats(jax.random.fold_in(k1, 1), x, anc, bw)

    def step(carry, i):
        x, anc, bw = carry
        k_pick, k_noise, k_test = jax.random.split(jax.random.fold_in(key, i), 3)
        parent = jax.random.randint(k_pick, (M_pad,), 0, M.astype(jnp.int32))
        x = x[parent] + bw * jax.random.normal(k_noise, (M_pad,))
        anc = anc[parent]
        bw = bandwidth(_moments(x, valid, M)[1])
        return (x, anc, bw), stats(k_test, x, anc, bw)

    _, path = jax.lax.scan(step, (x, anc, bw), jnp.arange(2, max(n_max, 2) + 1))
    y = sigma * jax.random.normal(jax.random.fold_in(key, 0), (max(test_points, 1),))
    truth = jnp.mean(-0.5 * (y / sigma) ** 2 - 0.5 * jnp.log(2 * jnp.pi * sigma**2)) \
        if test_points else jnp.zeros(())
    zero = jnp.stack([sigma**2 + 0.0 * M, M + 0.0, truth])
    return jnp.concatenate([zero[None], first[None], path])[: n_max + 1]


def _point(column: int, test_points: int = 0):
    def point(values: dict, grid: Grid, sampler: str) -> Run:
        M = int(values["M"])
        silverman = grid.options.get("bandwidth", "fixed") == "silverman"
        static = dict(n_max=bucket(max(grid.max("n"), 1)), M_pad=bucket(grid.max("M")),
                      test_points=test_points)
        traced = dict(M=float(M), h=values.get("h", 1.0), sigma=values.get("sigma", 1.0),
                      silverman=float(silverman))
        return Run(static, traced, read=(int(values["n"]), column))

    return point


_DOC = """Each seed runs the raw loop (M points per generation, each a uniformly chosen parent
plus kernel noise of the bandwidth of the parent's generation; Silverman's rule re-applied to every
generation's points under ``bandwidth="silverman"``) and records every generation."""

variance_after = twin(Twin(theory=TK.variance_after, validate=TK.validate_kde,
                           one_seed=_one_chain, point=_point(_VAR), doc=_DOC))

ancestors_after = twin(Twin(
    theory=TK.ancestors_after, validate=TK.validate_ancestors, one_seed=_one_chain,
    point=_point(_ANC),
    doc="""Each seed runs the KDE chain (fixed bandwidth h = 1, sigma = 1: the genealogy does not
    depend on them) carrying every point's generation-1 ancestor, and counts the distinct
    ancestors of generation n's M points."""))


def heldout_loglik(key: jax.Array, /, *, n, M, h, sigma=1.0, bandwidth: str = "fixed",
                   test_points: int = 256, seeds: int,
                   options: RunOptions | None = None) -> Estimate:
    """E (1/T) sum_i log f_n(Y_i): the mean log-density of T fresh real points Y_i ~ N(0, sigma^2)
    under the density f_n fitted at generation n (simulation only; generation 0 is the truth,
    -log(2 pi e sigma^2)/2).

    Kazdan et al., arXiv 2410.16713, evaluate their KDE generations by this held-out
    log-likelihood. The expectation does not depend on T (``test_points``, an integer >= 1, sets
    only the noise); the test points are drawn afresh at every generation.

    Args: as :func:`theory.kde.variance_after`, plus ``test_points``, ``key``, ``seeds`` and
    ``options`` (a :class:`sim.RunOptions`). Returns: an :class:`sim.Estimate`.
    """
    test_points = int(param("test_points", test_points, lo=1, integer=True))
    decl = Twin(theory=None, validate=TK.validate_kde, one_seed=_one_chain,
                point=_point(_LOGLIK, test_points), doc=_DOC)
    return sweep(decl, key, seeds=seeds, options=options, n=n, M=M, h=h, sigma=sigma,
                 bandwidth=bandwidth)
