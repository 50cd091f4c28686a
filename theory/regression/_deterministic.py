"""Ridge downstream of collapsed generators: the deterministic equivalent.

See the regression-chains and power-law pages of the theory reference (docs/theory/regression.md,
docs/theory/power_laws.md).

Dohmatob, Feng, Kempe (2024), Section 5 (ridge, general spectrum). The effective regularisation
kappa is a fixed point without closed form: it is solved in JAX float64 by bisection in log kappa,
followed by one Newton step from the stopped-gradient root, so that ``jax.grad`` through kappa is
the implicit-function derivative. The risk parts come from the same sympy expression as the
isotropic closed forms (:func:`deterministic_equivalent_parts`).

Regime: proportional asymptotics (d, T large, d/T fixed); Monte Carlo agrees to about 1% at d = 100.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from theory.domain import param
from theory.regression._closed_forms import _numeric, deterministic_equivalent_parts
from theory.regression.domain import (
    chain_generations,
    ridge_args,
    spectrum_args,
    validate_isotropic_ridge,
    validate_ridge,
)

_BISECTION_STEPS = 64  # log-interval of <= 140 nats halved to float64 resolution


class RidgeRisk(NamedTuple):
    """The parts of the ridge test error and the effective regularisation kappa (arXiv
    2402.07712, Section 4; docs/theory/regression.md)."""

    bias: np.ndarray
    variance: np.ndarray
    collapse: np.ndarray
    total: np.ndarray
    kappa: np.ndarray


def _kappa(spectrum, T, lam):
    """Root of h(k) = 1 - df1(k)/T - lam/k (increasing in k); 0 when lam = 0 and T > d."""

    def h(k):
        return 1.0 - jnp.sum(spectrum / (spectrum + k)) / T - lam / k

    hi = lam + jnp.sum(spectrum) / T  # kappa = lam + kappa df1/T <= lam + tr(Sigma)/T
    lo = jnp.maximum(lam, hi * 1e-60)

    def bisect(_, bounds):
        lo, hi = bounds
        mid = jnp.sqrt(lo * hi)
        below = h(mid) < 0
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, _BISECTION_STEPS, bisect, (lo, hi))
    k0 = jax.lax.stop_gradient(jnp.sqrt(lo * hi))
    slope = jnp.sum(spectrum / (spectrum + k0) ** 2) / T + lam / k0**2
    k = k0 - h(k0) / slope  # exact value unchanged; carries d kappa / d(params) by the IFT
    ridgeless_ols = (lam == 0) & (spectrum.shape[0] < T)
    return jnp.where(ridgeless_ols, 0.0, k)


def _parts(spectrum, w0, T, lam, sigma, coef):
    kappa = _kappa(spectrum, T, lam)
    shifted = spectrum + kappa
    bias, variance, collapse = deterministic_equivalent_parts(
        df2=jnp.sum(spectrum**2 / shifted**2),
        bias_sum=jnp.sum(spectrum * w0**2 / shifted**2),
        inv2_sum=jnp.sum(1.0 / shifted**2),
        kappa=kappa, T=T, sigma=sigma, coef=coef)
    return bias, variance, collapse, kappa


@jax.jit
def _parts_grid(spectrum, w0, T, lam, sigma, coef):
    return jax.vmap(_parts, in_axes=(None, None, 0, 0, 0, 0))(spectrum, w0, T, lam, sigma, coef)


def _collapse_coefficient(gens, d) -> np.ndarray:
    """sum_k sigma0_k^2/(T0_k - d - 1): the generators' noise covariance is coef * Sigma^-1."""
    term = _numeric()["noise_term"]
    return gens.total(lambda t0, s0: term(d=d, m=t0, s=s0) / d)


def _evaluate(spectrum, w0, T, lam, sigma, coef) -> RidgeRisk:
    grid = np.broadcast_arrays(T, lam, sigma, coef)
    with jax.enable_x64(True):
        flat = [jnp.asarray(g.ravel(), dtype=jnp.float64) for g in grid]
        out = _parts_grid(jnp.asarray(spectrum), jnp.asarray(w0), *flat)
        bias, variance, collapse, kappa = (np.asarray(o, dtype=np.float64).reshape(grid[0].shape)
                                           for o in out)
    return RidgeRisk(bias, variance, collapse, bias + variance + collapse, kappa)


def ridge_risk_parts(*, spectrum, w0, T, T0, n, lam, sigma, sigma0) -> RidgeRisk:
    """Bias, variance and collapse parts of :func:`ridge_test_error`, and kappa [asymp]."""
    grid = validate_ridge(spectrum=spectrum, w0=w0, T=T, T0=T0, n=n, lam=lam, sigma=sigma,
                          sigma0=sigma0)
    spectrum, w0 = grid.options["spectrum"], grid.options["w0"]
    coef = _collapse_coefficient(chain_generations(grid), spectrum.shape[0])
    return _evaluate(spectrum, w0, grid["T"], grid["lam"], grid["sigma"], coef)


def ridge_test_error(*, spectrum, w0, T, T0, n, lam, sigma, sigma0) -> np.ndarray:
    """Test error of ridge (penalty lam) on T samples labelled by the n-th generation [asymp].

    Dohmatob, Feng, Kempe, arXiv 2402.07712 (ridge with a general spectrum;
    docs/theory/regression.md): ``E ~ B + V + coef * rho`` with
    kappa solving ``kappa - lam = kappa df1(kappa)/T``, ``u = df2/(T - df2)``,
    ``B = kappa^2 (1+u) sum l w0^2/(l+kappa)^2``, ``V = sigma^2 u``,
    ``rho = df2 + kappa^2 u sum 1/(l+kappa)^2`` and ``coef = sum_k sigma0_k^2/(T0_k - d - 1)``.
    ``spectrum``: Sigma's eigenvalues; ``w0``: the true weights in that eigenbasis. Generators are
    OLS on T0 >= d + 2 samples (their noise enters exactly, through the inverse-Wishart mean);
    the downstream ridge is the proportional-limit equivalent (about 1% at d = 100).
    """
    total = ridge_risk_parts(spectrum=spectrum, w0=w0, T=T, T0=T0, n=n, lam=lam, sigma=sigma,
                             sigma0=sigma0).total
    return np.asarray(total, dtype=np.float64)


def effective_regularization(*, spectrum, T, lam) -> np.ndarray:
    """kappa: the positive solution of ``kappa - lam = kappa df1(kappa)/T`` (arXiv 2402.07712;
    docs/theory/regression.md).

    ``df1(t) = sum_j l_j/(l_j + t)``. lam -> 0 with T > d gives 0; lam = 0 with T < d gives the
    root of ``df1(kappa) = T``.
    """
    spectrum = param("spectrum", spectrum, lo=0, lo_open=True)
    if spectrum.ndim != 1:
        raise ValueError(f"spectrum must be a 1-D array, got shape {spectrum.shape}")
    T, lam = param("T", T, lo=0, lo_open=True), param("lam", lam, lo=0)
    if np.any((lam == 0) & (T == spectrum.shape[0])):
        raise ValueError("T must differ from d when lam = 0 (kappa -> 0 at T = d is degenerate)")
    return _evaluate(spectrum, np.zeros_like(spectrum), T, lam, 0.0, 0.0).kappa


def isotropic_ridge_test_error(*, d, T, T0, n, lam, sigma, sigma0, w0_norm) -> np.ndarray:
    """Closed form of :func:`ridge_test_error` for Sigma = I [asymp] (arXiv 2402.07712;
    docs/theory/regression.md, isotropic case).

    kappa is the positive root of ``kappa^2 + (1 - phi - lam) kappa - lam = 0`` (phi = d/T);
    ``B = kappa^2 ||w0||^2/((1+kappa)^2 - phi)``, ``V = sigma^2 phi/((1+kappa)^2 - phi)``,
    collapse ``n sigma0^2 d/(T0-d-1) (1 + kappa^2 u)/(1+kappa)^2``.
    """
    grid = validate_isotropic_ridge(d=d, T=T, T0=T0, n=n, lam=lam, sigma=sigma, sigma0=sigma0,
                                    w0_norm=w0_norm)
    if grid.options["T0"] is not None:
        raise ValueError("T0 and sigma0 must be scalars or arrays (uniform generations) for "
                         "theory.regression.isotropic_ridge_test_error (closed form for uniform "
                         "generations only; use ridge_test_error, or "
                         "sim.regression.isotropic_ridge_test_error simulates it)")
    b = grid.arrays
    fns = _numeric()
    phi = b["d"] / b["T"]
    kappa = fns["iso_kappa"](phi=phi, lam=b["lam"])
    args = dict(phi=phi, T=b["T"], T0=b["T0"], n=b["n"], kappa=kappa, sigma=b["sigma"],
                sigma0=b["sigma0"], w0_norm=b["w0_norm"])
    bias, variance, collapse = (f(**args) for f in fns["iso_parts"])
    return np.asarray(bias + variance + np.where(b["n"] > 0, collapse, 0.0), dtype=np.float64)


def optimal_lam(*, spectrum, w0, T, T0, n, sigma, sigma0, lam_min=1e-10, lam_max=1e3
                ) -> np.ndarray:
    """The ridge penalty minimising :func:`ridge_test_error`, found numerically [asymp].

    A log-spaced grid over [lam_min, lam_max] locates the basin; L-BFGS (optax) on log lam with
    gradients through the fixed point (``jax.grad``) polishes it. Returns ``lam_min`` when the
    risk keeps decreasing as lam -> 0 (clean noiseless data: the ridgeless limit is optimal).
    Compare with :func:`theory.regression.optimal_lam_asymptotic` (docs/theory/power_laws.md).
    """
    spectrum, w0 = spectrum_args(spectrum=spectrum, w0=w0)
    d = spectrum.shape[0]
    lam_min = float(param("lam_min", lam_min, lo=0, lo_open=True))
    lam_max = float(param("lam_max", lam_max, lo=lam_min, lo_open=True))
    p, gens = ridge_args(d=d, T=T, lam=lam_max, n=n, T0=T0, sigma=sigma, sigma0=sigma0)
    coef = _collapse_coefficient(gens, d)
    grid = np.broadcast_arrays(p["T"], p["sigma"], coef)
    shape = grid[0].shape
    with jax.enable_x64(True):
        flat = [jnp.asarray(g.ravel(), dtype=jnp.float64) for g in grid]
        best = _minimise_grid(jnp.asarray(spectrum), jnp.asarray(w0), *flat,
                              jnp.log(lam_min), jnp.log(lam_max))
        return np.asarray(best, dtype=np.float64).reshape(shape)


@jax.jit
def _minimise_grid(spectrum, w0, T, sigma, coef, log_lo, log_hi):
    def one(T, sigma, coef):
        def loss(x):
            lam = jnp.exp(jnp.clip(x, log_lo, log_hi))
            return jnp.log(sum(_parts(spectrum, w0, T, lam, sigma, coef)[:3]))

        xs = jnp.linspace(log_lo, log_hi, 64)
        x0 = xs[jnp.argmin(jax.vmap(loss)(xs))]
        solver = optax.lbfgs()
        value_and_grad = optax.value_and_grad_from_state(loss)

        def step(_, carry):
            x, state = carry
            value, grad = value_and_grad(x, state=state)
            updates, state = solver.update(grad, state, x, value=value, grad=grad, value_fn=loss)
            return optax.apply_updates(x, updates), state

        x, _ = jax.lax.fori_loop(0, 30, step, (x0, solver.init(x0)))
        x = jnp.where(loss(x) <= loss(x0), x, x0)
        return jnp.exp(jnp.clip(x, log_lo, log_hi))

    return jax.vmap(one)(T, sigma, coef)
