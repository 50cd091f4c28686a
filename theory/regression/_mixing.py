"""Real and synthetic data mixed in one training set: Strong Model Collapse.

See the policies page of the theory reference (docs/theory/policies.md).

Dohmatob, Feng, Subramonian, Kempe, "Strong Model Collapse", ICLR 2025, sections 3-4: n training
points, a share p2 of them labelled by the synthetic generator w2 = w1 + delta, the rest by the
truth w1; label noise sigma. c^2 = ||delta||^2_Sigma. The pooled labels look like the target
wbar = w1 + p2 delta with extra label noise p1 p2 c^2 (the mixture's variance about wbar), so the
learner converges to wbar and the test error (against w1) floors at p2^2 c^2 > 0 however large n
is, unless p2 -> 0 ("strong" collapse).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from theory._symbolic import numeric
from theory.domain import Grid, broadcast, param
from theory.regression._deterministic import effective_regularization

__all__ = ["derive_isotropic_mixed_error", "derive_random_projection_error",
           "isotropic_mixed_training_error", "mixed_training_error", "random_projection_error",
           "validate_isotropic_mixed", "validate_mixed", "validate_random_projection"]

_d, _n, _m = sp.symbols("d n m", positive=True)
_p2, _c2, _sigma, _w1_norm, _R = sp.symbols("p2 c2 sigma w1_norm R", nonnegative=True)


def validate_mixed(*, spectrum, w1, delta, n, p2, lam, sigma) -> Grid:
    """Validate the mixed training set (:func:`mixed_training_error`): ``spectrum`` > 0, ``w1``
    and ``delta`` 1-D of one length d (options); ``n`` >= 1 (>= d + 2 when lam = 0),
    ``p2`` in [0, 1], ``lam``, ``sigma`` >= 0 broadcast together."""
    spectrum = param("spectrum", spectrum, lo=0, lo_open=True)
    w1, delta = param("w1", w1), param("delta", delta)
    if spectrum.ndim != 1 or w1.shape != spectrum.shape or delta.shape != spectrum.shape:
        raise ValueError("spectrum, w1 and delta must be 1-D arrays of the same length d, got "
                         f"shapes {spectrum.shape}, {w1.shape}, {delta.shape}")
    b = broadcast(n=param("n", n, lo=1, integer=True), p2=param("p2", p2, lo=0, hi=1),
                  lam=param("lam", lam, lo=0), sigma=param("sigma", sigma, lo=0))
    if np.any((b["lam"] == 0) & (b["n"] < spectrum.size + 2)):
        raise ValueError(f"n must be an integer >= d + 2 when lam = 0 (d = {spectrum.size})")
    return Grid(b, dict(spectrum=spectrum, w1=w1, delta=delta))


def mixed_training_error(*, spectrum, w1, delta, n, p2, lam, sigma) -> np.ndarray:
    """E ||w_hat - w1||^2_Sigma of ridge (X'X/n + lam I)^-1 X'Y/n on the mixed data [asymp]
    (SMC Theorem 1, deterministic equivalent; MC within ~1% at d ~ 100;
    docs/theory/policies.md):

        kappa^2 (1+u) ||wbar||^2_{Sigma (Sigma + kappa)^-2}
        - 2 p2 kappa <wbar, Sigma (Sigma+kappa)^-1 delta> + p2^2 c^2 + (sigma^2 + p1 p2 c^2) u,

    kappa = :func:`theory.regression.effective_regularization` at sample size n, u = df2/(n - df2).
    ``w1`` and ``delta`` are coordinates in Sigma's eigenbasis (``spectrum``).
    """
    grid = validate_mixed(spectrum=spectrum, w1=w1, delta=delta, n=n, p2=p2, lam=lam,
                          sigma=sigma)
    b = grid.arrays
    spectrum, w1, delta = (grid.options[k] for k in ("spectrum", "w1", "delta"))
    kappa = effective_regularization(spectrum=spectrum, T=b["n"], lam=b["lam"])[..., None]
    l = spectrum
    p2_ = b["p2"][..., None]
    df2 = np.sum(l**2 / (l + kappa) ** 2, axis=-1)
    u = df2 / (b["n"] - df2)
    wbar = w1 + p2_ * delta
    c2 = np.sum(l * delta**2)
    bias = kappa[..., 0] ** 2 * (1 + u) * np.sum(l * wbar**2 / (l + kappa) ** 2, axis=-1)
    cross = -2 * b["p2"] * kappa[..., 0] * np.sum(l * wbar * delta / (l + kappa), axis=-1)
    noise = (b["sigma"] ** 2 + (1 - b["p2"]) * b["p2"] * c2) * u
    return np.asarray(bias + cross + b["p2"] ** 2 * c2 + noise, dtype=np.float64)


@functools.cache
def derive_isotropic_mixed_error() -> sp.Expr:
    """Sigma = I, OLS (lam = 0) [asymp with the finite-n OLS factor; SMC Cor. 1;
    docs/theory/policies.md]:
    the deterministic equivalent at kappa = 0 has u = phi/(1-phi), which the exact OLS noise term
    d/(n-d-1) replaces (:func:`theory.regression.derive_noise_term` with m = n):
    sigma^2 d/(n-d-1) + p2^2 c^2 + p2 (1-p2) c^2 d/(n-d-1). Exact for the sigma^2 part; the
    mixture part treats the label shift as independent noise (checked by simulation)."""
    from theory.regression._closed_forms import derive_noise_term

    noise = derive_noise_term().subs({sp.Symbol("m", positive=True, integer=True): _n,
                                      sp.Symbol("d", positive=True, integer=True): _d})
    unit = noise.subs(sp.Symbol("s", nonnegative=True), 1)
    return (_sigma**2 + _p2 * (1 - _p2) * _c2) * unit + _p2**2 * _c2


def validate_isotropic_mixed(*, d, n, p2, c2, sigma) -> Grid:
    """Validate :func:`isotropic_mixed_training_error`: ``d`` >= 1, ``n`` >= d + 2, ``p2`` in
    [0, 1], ``c2``, ``sigma`` >= 0, broadcast together."""
    b = broadcast(d=param("d", d, lo=1, integer=True), n=param("n", n, lo=1, integer=True),
                  p2=param("p2", p2, lo=0, hi=1), c2=param("c2", c2, lo=0),
                  sigma=param("sigma", sigma, lo=0))
    if np.any(b["n"] < b["d"] + 2):
        raise ValueError(f"n must be an integer >= d + 2 (finite OLS risk), got n = {n}, d = {d}")
    return Grid(b)


@functools.cache
def _isotropic_mixed_numeric():
    """:func:`derive_isotropic_mixed_error`, lambdified once."""
    return numeric(derive_isotropic_mixed_error(), [_d, _n, _p2, _c2, _sigma])


def isotropic_mixed_training_error(*, d, n, p2, c2, sigma) -> np.ndarray:
    """OLS on n points, a share p2 labelled by w1 + delta, ||delta||^2 = c2, Sigma = I (SMC
    Cor. 1; docs/theory/policies.md).

    See :func:`derive_isotropic_mixed_error`. As n -> infinity it floors at p2^2 c2 (strong model
    collapse); p2 = 0 gives sigma^2 d/(n-d-1) [exact]."""
    b = validate_isotropic_mixed(d=d, n=n, p2=p2, c2=c2, sigma=sigma).arrays
    return np.asarray(_isotropic_mixed_numeric()(**b), dtype=np.float64)


@functools.cache
def derive_random_projection_error() -> sp.Expr:
    """Random projections f(x) = v'S'x, S (d x m) iid N(0, 1/d), OLS in the m features on the mixed
    data, Sigma = I, delta orthogonal to w1 [asymp; SMC section 4, docs/theory/policies.md].

    With P the projection on S's columns (E P = gamma I, gamma = m/d): the best fit in the features
    to the pooled target is P wbar, so the bias is
    ||P wbar - w1||^2 = ||(I-P) w1||^2 + p2^2 ||P delta||^2 (orthogonal pieces)
    -> (1-gamma) ||w1||^2 + p2^2 gamma c^2. The residual x'(w - P wbar) has
    variance (1-gamma) ||wbar||^2 + p1 p2 c^2 and is uncorrelated with the features, so OLS in m
    features adds [sigma^2 + (1-gamma) ||wbar||^2 + p1 p2 c^2] m/(n-m-1) (the finite-n form of
    psi/(1-psi), psi = m/n; exact for the Gaussian residual, approximate for the mixture part).
    """
    gamma = _m / _d
    wbar2 = _w1_norm**2 + _p2**2 * _c2  # delta orthogonal to w1
    noise = _sigma**2 + (1 - gamma) * wbar2 + _p2 * (1 - _p2) * _c2
    return (1 - gamma) * _w1_norm**2 + _p2**2 * gamma * _c2 + noise * _m / (_n - _m - 1)


def validate_random_projection(*, d, n, m, p2, c2, sigma, w1_norm) -> Grid:
    """Validate :func:`random_projection_error`: ``m`` in [1, min(d, n - 2)], ``p2`` in [0, 1],
    ``c2``, ``sigma``, ``w1_norm`` >= 0, broadcast together."""
    b = broadcast(d=param("d", d, lo=1, integer=True), n=param("n", n, lo=1, integer=True),
                  m=param("m", m, lo=1, integer=True), p2=param("p2", p2, lo=0, hi=1),
                  c2=param("c2", c2, lo=0), sigma=param("sigma", sigma, lo=0),
                  w1_norm=param("w1_norm", w1_norm, lo=0))
    if np.any((b["m"] > b["d"]) | (b["m"] > b["n"] - 2)):
        raise ValueError(f"m must be an integer in [1, min(d, n - 2)] (a finite ridgeless risk "
                         f"below the peak at m = n), got m = {m}, d = {d}, n = {n}")
    return Grid(b)


@functools.cache
def _random_projection_numeric():
    """:func:`derive_random_projection_error`, lambdified once."""
    return numeric(derive_random_projection_error(), [_d, _n, _m, _p2, _c2, _sigma, _w1_norm])


def random_projection_error(*, d, n, m, p2, c2, sigma, w1_norm) -> np.ndarray:
    """Test error of the random-projection model of :func:`derive_random_projection_error`
    [asymp] (Dohmatob, Feng, Subramonian, Kempe, "Strong Model Collapse", ICLR 2025, arXiv
    2410.04840, section 4; docs/theory/policies.md).

    Larger models (m up to d) learn the shift p2 delta better, and the error peaks at m = n."""
    b = validate_random_projection(d=d, n=n, m=m, p2=p2, c2=c2, sigma=sigma,
                                   w1_norm=w1_norm).arrays
    return np.asarray(_random_projection_numeric()(**b), dtype=np.float64)
