"""Gaussian designs through their sufficient statistics (Bartlett decomposition).

For Z (T x d) with iid N(0, 1) entries, Householder QR gives Z = Q R with R upper triangular
(upper trapezoidal when T < d), R_ii ~ chi_{T-i} (i = 0, 1, ...), R_ij ~ N(0, 1) for j > i, all
independent, and Q independent of R. Hence Z'Z = R'R (Wishart_d(T, I)) and, for noise E ~ N(0, s^2
I_T) independent of Z, Q'E ~ N(0, s^2 I) restricted to the first min(T, d) rows. A regression
data set (X = Z Sigma^1/2, Y = X w + E) is therefore equivalent, for every estimator that depends on
(X'X, X'Y) - OLS, ridge, the min-norm interpolator - to the reduced data set with d rows

    A = R Sigma^1/2,   y = A w + g,   g_i ~ N(0, s^2) for i < T, 0 otherwise,

whose cost does not depend on T. Rows i >= T of A and y are zero (rank-deficient designs).

OLS refits (T >= d) need even less. The refit moves the model by pinv(X) E, whose law given
W = Z'Z is N(0, s^2 Sigma^-1/2 W^-1 Sigma^-1/2). For Sigma = I this law is rotation invariant
(O W O' ~ W), so its direction is uniform and independent of its norm, and
||v||^2 = s^2 g'W^-1 g ~ s^2 ||g||^2 (W^-1)_11 with 1/(W^-1)_11 ~ chi2_{T-d+1} (a Schur complement
of a Wishart matrix) independent of g ~ N(0, I_d). Hence, in law,

    pinv(X) E = Sigma^-1/2 s g / sqrt(chi2_{T-d+1})        (a multivariate t increment),

d + 1 random numbers per refit (:func:`ols_increment`); E||v||^2 = s^2 d/(T - d - 1) as it must.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["bartlett_factor", "ols_increment", "raw_factor", "reduced_regression_data"]


def bartlett_factor(key: jax.Array, *, T, d: int, rows: int | None = None) -> jax.Array:
    """Upper-trapezoidal R (rows x d) with R'R ~ Wishart_d(T, I); rows i >= T are zero.

    ``T`` may be a traced (float) value; ``d`` and ``rows`` (default d) are static. Only the
    first min(T, d) rows of R are non-zero, so ``rows >= min(T, d)`` loses nothing: a design
    with T < d then costs O(rows d) to draw instead of O(d^2).
    """
    rows = d if rows is None else rows
    k_chi, k_off = jax.random.split(key)
    i = jnp.arange(rows)
    dof = jnp.asarray(T, dtype=jnp.zeros(()).dtype) - i  # chi_{T-i}
    alive = dof > 0
    gamma = jax.random.gamma(k_chi, jnp.where(alive, dof / 2, 1.0))
    diag = jnp.where(alive, jnp.sqrt(2.0 * gamma), 0.0)
    upper = jnp.triu(jax.random.normal(k_off, (rows, d)), k=1) * alive[:, None]
    return upper + jnp.eye(rows, d) * diag[:, None]


def raw_factor(key: jax.Array, *, T: int, d: int, rows: int | None = None
               ) -> tuple[jax.Array, jax.Array]:
    """Draw the raw Z (T x d) and reduce it by QR: returns (R, Q) with R padded to rows x d.

    The direct sampler that :func:`bartlett_factor` replaces; ``T`` must be a static int and
    ``rows`` (default d) at least min(T, d). The caller applies ``Q.T`` to its raw noise vector
    (first min(T, d) entries used).
    """
    rows = d if rows is None else rows
    z = jax.random.normal(key, (T, d))
    q, r = jnp.linalg.qr(z, mode="reduced")  # T >= d: (T,d),(d,d); T < d: (T,T),(T,d)
    m = min(T, d)
    if rows < m:
        raise ValueError(f"rows must be >= min(T, d) = {m}, got {rows}")
    return jnp.zeros((rows, d)).at[:m].set(r[:m]), q[:, :m]


def reduced_regression_data(key: jax.Array, *, w: jax.Array, sqrt_spectrum: jax.Array, T,
                            noise: jax.Array | float, raw: bool = False, rows: int | None = None
                            ) -> tuple[jax.Array, jax.Array]:
    """Reduced (A, y) for T samples x ~ N(0, diag(spectrum)), labels x.w + N(0, noise^2).

    ``raw=True`` draws the T x d design and the T noise values and reduces them by QR (static T);
    otherwise R and g are sampled directly (Bartlett), at a cost independent of T. A has
    ``rows`` (static, default d, at least min(T, d)) rows; rows i >= T are zero.
    """
    d = w.shape[0]
    rows = d if rows is None else rows
    k_design, k_noise = jax.random.split(key)
    if raw:
        r, q = raw_factor(k_design, T=int(T), d=d, rows=rows)
        e = noise * jax.random.normal(k_noise, (int(T),))
        g = jnp.zeros(rows).at[: q.shape[1]].set(q.T @ e)
    else:
        r = bartlett_factor(k_design, T=T, d=d, rows=rows)
        g = noise * jax.random.normal(k_noise, (rows,)) * (jnp.arange(rows) < T)
    a = r * sqrt_spectrum[None, :]
    return a, a @ w + g


def ols_increment(key: jax.Array, *, T, d: int, noise) -> jax.Array:
    """pinv(Z) E in law for Z (T x d) iid N(0, 1), T >= d, E ~ N(0, noise^2 I_T).

    ``noise * g / sqrt(chi2_{T-d+1})`` (see the module docstring); scale by Sigma^-1/2 for a
    design with covariance Sigma. ``T`` may be traced.
    """
    k_dir, k_chi = jax.random.split(key)
    g = jax.random.normal(k_dir, (d,))
    chi2 = 2.0 * jax.random.gamma(k_chi, (jnp.asarray(T, g.dtype) - d + 1) / 2)
    return noise * g / jnp.sqrt(chi2)
