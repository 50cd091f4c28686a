"""Simulators of mixed real/synthetic training sets (twins of the functions of
:mod:`theory.regression._mixing`; Dohmatob et al., "Strong Model Collapse", ICLR 2025),
declared on the sweep engine.

The n2 = round(p2 n) synthetic points and the n1 = n - n2 real ones enter ridge / OLS only through
their Gram matrices and X'Y, so each group is drawn through its Bartlett factor
(:func:`sim._design.reduced_regression_data`): cost independent of n, with n1 and n2 traced. The
dimension d fixes the shapes (a static value: points with different d are separate programs).
The random-projection model keeps the raw n x d design (its features mix the whole design with
S); its sizes d, n and m are bucketed and the padding is masked exactly (zero rows of the design,
zero rows and columns of S, the padded features' normal equations set to the identity).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve

import theory.regression as TR
from sim._design import reduced_regression_data
from sim._engine import SAMPLERS, Run, Twin, bucket, twin
from theory.domain import Grid

__all__ = ["isotropic_mixed_training_error", "mixed_training_error", "random_projection_error"]


def _one_mixed(key, *, d: int, raw_n1: int, raw_n2: int, spectrum, w1, delta, n1, n2, lam,
               sigma):
    """||w_hat - w1||^2_Sigma of ridge (lam > 0) or OLS (lam = 0) on the mixed sample (n1 real
    points labelled by w1, n2 synthetic ones by w1 + delta); ``raw_n1``, ``raw_n2`` > 0 draw the
    raw designs (static sizes)."""
    del d  # keys the program; spectrum's shape carries it
    k1, k2 = jax.random.split(key)
    root = jnp.sqrt(spectrum)
    raw1, raw2 = raw_n1 > 0, raw_n2 > 0
    a1, y1 = reduced_regression_data(k1, w=w1, sqrt_spectrum=root, T=raw_n1 if raw1 else n1,
                                     noise=sigma, raw=raw1)
    a2, y2 = reduced_regression_data(k2, w=w1 + delta, sqrt_spectrum=root,
                                     T=raw_n2 if raw2 else n2, noise=sigma, raw=raw2)
    n = n1 + n2
    gram = (a1.T @ a1 + a2.T @ a2) / n + lam * jnp.eye(w1.shape[0])
    w_hat = cho_solve(cho_factor(gram), (a1.T @ y1 + a2.T @ y2) / n)
    err = w_hat - w1
    return jnp.sum(spectrum * err**2)


def _split(n, p2) -> tuple[int, int]:
    """(n1, n2): n2 = round(p2 n) synthetic points, n1 = n - n2 real ones."""
    n2 = int(np.rint(p2 * n))
    return int(n) - n2, n2


def _mixed_point(values: dict, grid: Grid, sampler: str) -> Run:
    n1, n2 = _split(values["n"], values["p2"])
    spectrum = grid.options["spectrum"]
    return Run(dict(d=spectrum.shape[0], raw_n1=0, raw_n2=0),
               dict(spectrum=spectrum, w1=grid.options["w1"], delta=grid.options["delta"],
                    n1=n1, n2=n2, lam=values["lam"], sigma=values["sigma"]))


mixed_training_error = twin(Twin(
    theory=TR.mixed_training_error, validate=TR.validate_mixed, one_seed=_one_mixed,
    point=_mixed_point,
    doc="""n2 = round(p2 n) synthetic points; each group's design is drawn through its Bartlett
    factor (cost independent of n), Sigma = diag(spectrum)."""))


def _isotropic_point(values: dict, grid: Grid, sampler: str) -> Run:
    n1, n2 = _split(values["n"], values["p2"])
    d = int(values["d"])
    delta = np.zeros(d)
    delta[0] = np.sqrt(values["c2"])
    raw = sampler == "raw"
    return Run(dict(d=d, raw_n1=n1 if raw else 0, raw_n2=n2 if raw else 0),
               dict(spectrum=np.ones(d), w1=np.zeros(d), delta=delta, n1=n1, n2=n2, lam=0.0,
                    sigma=values["sigma"]))


isotropic_mixed_training_error = twin(Twin(
    theory=TR.isotropic_mixed_training_error, validate=TR.validate_isotropic_mixed,
    one_seed=_one_mixed, point=_isotropic_point, samplers=SAMPLERS,
    doc="""OLS, Sigma = I; the error does not depend on w1, so w1 = 0 and delta = sqrt(c2) e_1.
    n2 = round(p2 n); each group's design is drawn through its Bartlett factor, or raw
    (``sampler="raw"``, static sizes)."""))


def _one_projection(key, *, d_max: int, n_max: int, m_max: int, d, n, m, n2, c2, sigma,
                    w1_norm):
    """||S v - w1||^2 for OLS v of the mixed labels on the features S'x (raw n x d design).

    Arrays have the bucketed sizes d_max, n_max, m_max; coordinates >= d, samples >= n and
    features >= m are padding: S is zero outside its d x m block and the design outside its n
    rows, so the padding adds nothing to Z'Z or Z'y, and the padded features' block of Z'Z is set
    to the identity (their coefficients are 0). The law is that of the unpadded model."""
    k_s, k_x, k_e, k_w = jax.random.split(key, 4)
    in_d = (jnp.arange(d_max) < d).astype(jnp.zeros(()).dtype)
    in_n = (jnp.arange(n_max) < n).astype(in_d.dtype)
    in_m = (jnp.arange(m_max) < m).astype(in_d.dtype)
    s = jax.random.normal(k_s, (d_max, m_max)) / jnp.sqrt(d) * in_d[:, None] * in_m[None, :]
    x = jax.random.normal(k_x, (n_max, d_max)) * in_n[:, None]
    g = jax.random.normal(k_w, (2, d_max)) * in_d  # random orthonormal directions for w1, delta
    u1 = g[0] / jnp.linalg.norm(g[0])
    u2 = g[1] - (g[1] @ u1) * u1
    w1, delta = w1_norm * u1, jnp.sqrt(c2) * u2 / jnp.linalg.norm(u2)
    synthetic = (jnp.arange(n_max) < n2).astype(x.dtype)
    y = x @ w1 + synthetic * (x @ delta) + sigma * jax.random.normal(k_e, (n_max,)) * in_n
    z = x @ s
    v = cho_solve(cho_factor(z.T @ z + jnp.diag(1.0 - in_m)), z.T @ y)
    return jnp.sum((s @ v - w1) ** 2)


def _projection_point(values: dict, grid: Grid, sampler: str) -> Run:
    static = dict(d_max=bucket(grid.max("d")), n_max=bucket(grid.max("n")),
                  m_max=bucket(grid.max("m")))
    return Run(static, dict(d=values["d"], n=values["n"], m=values["m"],
                            n2=_split(values["n"], values["p2"])[1], c2=values["c2"],
                            sigma=values["sigma"], w1_norm=values["w1_norm"]))


random_projection_error = twin(Twin(
    theory=TR.random_projection_error, validate=TR.validate_random_projection,
    one_seed=_one_projection, point=_projection_point,
    doc="""Raw n x d design (cost O(n d m) per seed), S with iid N(0, 1/d) entries, w1 and delta
    along random orthonormal directions, n2 = round(p2 n) synthetic labels. The sizes are those
    of the sweep's largest d, n and m, bucketed, with the padding masked exactly, so one program
    serves a sweep over m (or n, d)."""))
