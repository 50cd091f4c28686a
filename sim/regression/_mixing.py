"""Simulators of mixed real/synthetic training sets (twins of the functions of
:mod:`theory.regression._mixing`; SMC, THEORY 2.2).

The n2 = round(p2 n) synthetic points and the n1 = n - n2 real ones enter ridge / OLS only through
their Gram matrices and X'Y, so each group is drawn through its Bartlett factor
(:func:`sim._design.reduced_regression_data`): cost independent of n. The random-projection
model keeps the raw n x d design (its features mix the whole design with S).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve

from sim._design import reduced_regression_data
from sim._montecarlo import Estimate, monte_carlo
from theory.regression._mixing import isotropic_mixed_args, mixed_args, random_projection_args

__all__ = ["isotropic_mixed_training_error", "mixed_training_error", "random_projection_error"]


def _one_mixed(key, *, raw_n1: int, raw_n2: int, spectrum, w1, delta, n1, n2, lam, sigma):
    """||w_hat - w1||^2_Sigma of ridge (lam > 0) or OLS (lam = 0) on the mixed sample."""
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


def _grid(fn, key, b, point, seeds, batch_size, static=None) -> Estimate:
    shape = np.broadcast(*b.values()).shape
    mean, err = np.empty(shape), np.empty(shape)
    for idx in np.ndindex(shape):
        run = monte_carlo(fn, key, seeds=seeds, batch_size=batch_size, static=static or {},
                          params=point({k: v[idx] for k, v in b.items()}))
        mean[idx], err[idx] = run.mean, run.stderr
    return Estimate(mean, err, seeds)


def _split(n, p2) -> tuple[int, int]:
    n2 = int(np.rint(p2 * n))
    return int(n) - n2, n2


def mixed_training_error(key, *, spectrum, w1, delta, n, p2, lam, sigma, seeds: int,
                         batch_size: int | None = None) -> Estimate:
    """Monte Carlo twin of :func:`theory.regression.mixed_training_error` (n2 = round(p2 n))."""
    spectrum, w1, delta, b = mixed_args(spectrum=spectrum, w1=w1, delta=delta, n=n, p2=p2,
                                        lam=lam, sigma=sigma)

    def point(v):
        n1, n2 = _split(v["n"], v["p2"])
        return dict(spectrum=spectrum, w1=w1, delta=delta, n1=n1, n2=n2, lam=v["lam"],
                    sigma=v["sigma"])

    return _grid(_one_mixed, key, b, point, seeds, batch_size, dict(raw_n1=0, raw_n2=0))


def isotropic_mixed_training_error(key, *, d, n, p2, c2, sigma, seeds: int,
                                   batch_size: int | None = None, raw: bool = False) -> Estimate:
    """Monte Carlo twin of :func:`theory.regression.isotropic_mixed_training_error` (OLS; the
    error does not depend on w1, so w1 = 0 and delta = sqrt(c2) e_1)."""
    b = isotropic_mixed_args(d=d, n=n, p2=p2, c2=c2, sigma=sigma)
    if np.unique(b["d"]).size != 1:
        raise ValueError("d must be a single value per call (it fixes the array shapes)")
    dd = int(b["d"].flat[0])
    shape = np.broadcast(*b.values()).shape
    mean, err = np.empty(shape), np.empty(shape)
    for idx in np.ndindex(shape):
        n1, n2 = _split(b["n"][idx], b["p2"][idx])
        delta = np.zeros(dd)
        delta[0] = np.sqrt(b["c2"][idx])
        run = monte_carlo(_one_mixed, key, seeds=seeds, batch_size=batch_size,
                          static=dict(raw_n1=n1 if raw else 0, raw_n2=n2 if raw else 0),
                          params=dict(spectrum=np.ones(dd), w1=np.zeros(dd), delta=delta, n1=n1,
                                      n2=n2, lam=0.0, sigma=b["sigma"][idx]))
        mean[idx], err[idx] = run.mean, run.stderr
    return Estimate(mean, err, seeds)


def _one_projection(key, *, d: int, n: int, m: int, n2, c2, sigma, w1_norm):
    """||S v - w1||^2 for OLS v of the mixed labels on the features S'x (raw design)."""
    k_s, k_x, k_e, k_w = jax.random.split(key, 4)
    s = jax.random.normal(k_s, (d, m)) / jnp.sqrt(d)
    x = jax.random.normal(k_x, (n, d))
    g = jax.random.normal(k_w, (2, d))  # random orthonormal directions for w1 and delta
    u1 = g[0] / jnp.linalg.norm(g[0])
    u2 = g[1] - (g[1] @ u1) * u1
    w1, delta = w1_norm * u1, jnp.sqrt(c2) * u2 / jnp.linalg.norm(u2)
    synthetic = (jnp.arange(n) < n2).astype(x.dtype)
    y = x @ w1 + synthetic * (x @ delta) + sigma * jax.random.normal(k_e, (n,))
    z = x @ s
    v = cho_solve(cho_factor(z.T @ z), z.T @ y)
    return jnp.sum((s @ v - w1) ** 2)


def random_projection_error(key, *, d, n, m, p2, c2, sigma, w1_norm, seeds: int,
                            batch_size: int | None = None) -> Estimate:
    """Monte Carlo twin of :func:`theory.regression.random_projection_error` (raw design,
    cost O(n d m) per seed)."""
    b = random_projection_args(d=d, n=n, m=m, p2=p2, c2=c2, sigma=sigma, w1_norm=w1_norm)
    shape = np.broadcast(*b.values()).shape
    mean, err = np.empty(shape), np.empty(shape)
    for idx in np.ndindex(shape):
        dd, nn, mm = int(b["d"][idx]), int(b["n"][idx]), int(b["m"][idx])
        run = monte_carlo(_one_projection, key, seeds=seeds, batch_size=batch_size,
                          static=dict(d=dd, n=nn, m=mm),
                          params=dict(n2=_split(nn, b["p2"][idx])[1], c2=b["c2"][idx],
                                      sigma=b["sigma"][idx],
                                      w1_norm=b["w1_norm"][idx]))
        mean[idx], err[idx] = run.mean, run.stderr
    return Estimate(mean, err, seeds)
