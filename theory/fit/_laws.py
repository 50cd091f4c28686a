"""The collapse laws that :func:`theory.fit.fit_curve` fits, written in ``jax.numpy`` (float64).

Each law is a :class:`Law`: the expected test error ``E(T; params)`` as a function of the data
size ``T``, its free parameters with their domains and unconstrained transforms, the covariates
that must be given (``fixed``), its plateau ``lim_{T->inf} E`` where it has one, and its clean law
(the same model without synthetic data), from which "where scaling stops" is measured.

Zipf laws (Dohmatob, Feng, Yang, Charton, Kempe, "A Tale of Tails: Model Collapse as a Change of
Scaling Laws", ICML 2024, arXiv 2402.07043), infinite vocabulary, ``p_i = i^-beta / zeta(beta)``:
the memoriser's error is ``sum_i p_i prod_s (1 - q_i^(s))^(T_s)``. The head ``i <= M`` is summed
exactly (``M >= k + 3``, one of ``1024 * 8^j``); the tail ``i > M`` is
``sum_{i>M} p_i - sum_{i>M} p_i (1 - (1 - p_i)^m)``, the first by the Euler-Maclaurin Hurwitz zeta
(relative error < 1e-13), the second (only for laws with clean samples, ``m`` of them) by the
midpoint integral ``int_{M+1/2}^inf`` evaluated with 256-node composite Gauss-Legendre quadrature
(agrees with :mod:`theory.zipf` to ~1e-7 relative; checked in ``tests/test_fit.py``).

The cut-off ``k`` is an integer in the theory; here it is continuous: the exact law at the four
integers ``floor(k) - 1 .. floor(k) + 2`` is interpolated by a Catmull-Rom cubic (exact at every
integer ``k``, continuously differentiable in ``k``), so ``k`` is fitted by ordinary least squares
with the others. (A piecewise-linear weight on item ``floor(k) + 1`` is continuous too, but its
kinks at the integers stall the trust-region steps.)

Regression laws: the DFK chain (Dohmatob, Feng, Kempe, "Model Collapse Demystified: The Case of
Regression", NeurIPS 2024, arXiv 2402.07712, Theorem 4.1) and the Strong Model Collapse mixture
(Dohmatob, Feng, Subramonian, Kempe, "Strong Model Collapse", ICLR 2025, arXiv 2410.04840,
Corollary 1, isotropic OLS).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from theory.domain import param

__all__ = ["LAWS", "Domain", "Law"]

#: Largest cut-off ``k`` a Zipf law may take (its explicit head then has 2^21 items).
K_MAX = 2.0**20
#: Smallest explicit head of the Zipf sums.
M_MIN = 1024
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_PANELS = 32


@dataclass(frozen=True)
class Domain:
    """A parameter's domain and its map from unconstrained ``u`` (the optimiser's space).

    ``lo < x < hi`` (``lo_open``/``hi_open`` for the validation of fixed values only).
    Transforms: ``x = lo + exp(u)`` (``hi = inf``), ``x = lo + (hi - lo) sigmoid(u)`` (both finite),
    and the same on ``log x`` when ``log`` is true.
    """

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = True
    hi_open: bool = True
    integer: bool = False
    log: bool = False

    def check(self, name: str, value) -> np.ndarray:
        """Validate a user-given value: ``ValueError`` naming ``name`` and the domain."""
        return param(name, value, lo=None if math.isinf(self.lo) else self.lo,
                     hi=None if math.isinf(self.hi) else self.hi, lo_open=self.lo_open,
                     hi_open=self.hi_open, integer=self.integer).astype(np.float64)

    def _bounds(self):
        return (math.log(self.lo), math.log(self.hi)) if self.log else (self.lo, self.hi)

    def from_u(self, u):
        lo, hi = self._bounds()
        if math.isinf(lo) and math.isinf(hi):
            x = u
        elif math.isinf(hi):
            x = lo + jnp.exp(u)
        elif math.isinf(lo):
            x = hi - jnp.exp(-u)
        else:
            x = lo + (hi - lo) * jax.nn.sigmoid(u)
        return jnp.exp(x) if self.log else x

    def to_u(self, x: float) -> float:
        lo, hi = self._bounds()
        x = math.log(x) if self.log else float(x)
        if math.isinf(lo) and math.isinf(hi):
            return x
        if math.isinf(hi):
            return math.log(max(x - lo, 1e-300))
        if math.isinf(lo):
            return -math.log(max(hi - x, 1e-300))
        f = min(max((x - lo) / (hi - lo), 1e-12), 1 - 1e-12)
        return math.log(f / (1 - f))

    @property
    def edges(self) -> tuple[float, float]:
        """The domain's ends, reported as an unbounded interval's end."""
        return self.lo, self.hi


POS = Domain(0.0)
UNIT = Domain(0.0, 1.0)
BETA = Domain(1.0)
KDOM = Domain(1.0, K_MAX, lo_open=False, hi_open=False, log=True)


@dataclass(frozen=True)
class Law:
    """A learning-curve law ``E(T; params)``.

    ``free``: parameters the fit may determine (any may be pinned by ``fixed``); ``covariates``:
    parameters that must be given (scalars or one value per point); ``model(p, T)``: jax.numpy
    (``jax=True``) or numpy function of a dict of parameters and ``T``; ``plateau(p)``: the
    ``T -> inf`` limit (None: the law has none); ``clean(p, T)``: the law without synthetic data;
    ``start(T, y, p)``: starting values of the free parameters (a list of dicts; ``p`` holds the
    fixed values); ``nests``: ``{smaller law: (pinned values, on the boundary?)}``.
    """

    name: str
    free: tuple[str, ...]
    domains: dict[str, Domain]
    model: Callable
    covariates: tuple[str, ...] = ()
    plateau: Callable | None = None
    clean: Callable | None = None
    start: Callable | None = None
    jax: bool = True
    nests: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    head: Callable | None = None  # p -> static head size of the Zipf sums
    check: Callable | None = None  # (T, p) -> None, raises ValueError
    formula: str = ""


# ------------------------------------------------------------------------------- Zipf numerics
def _hurwitz(beta, a):
    """``sum_{i>=a} i^-beta`` by Euler-Maclaurin (``a >= 32``: relative error < 1e-13)."""
    s = beta
    return (a ** (1 - s) / (s - 1) + a ** (-s) / 2 + s * a ** (-s - 1) / 12
            - s * (s + 1) * (s + 2) * a ** (-s - 3) / 720
            + s * (s + 1) * (s + 2) * (s + 3) * (s + 4) * a ** (-s - 5) / 30240)


def _zeta(beta):
    i = jnp.arange(1, 33, dtype=jnp.float64)
    return jnp.sum(i ** (-beta)) + _hurwitz(beta, 33.0)


def _lost_tail(beta, Z, M, m):
    """``sum_{i>M} p_i (1 - (1 - p_i)^m)``, ``m`` of shape (n,): midpoint integral from ``M+1/2``
    in ``u = log s``, ``x = a s^(-1/(beta-1))``, composite 8-point Gauss-Legendre."""
    a = M + 0.5
    g = beta / (beta - 1)
    p0 = a ** (-beta) / Z
    m = jnp.asarray(m, jnp.float64)
    U = (jnp.log1p(m * p0) + 30.0) / g  # below -U, 1 - h < e^-30
    width = U / _PANELS
    centres = -U[:, None] + width[:, None] * (jnp.arange(_PANELS) + 0.5)[None, :]
    nodes = centres[..., None] + 0.5 * width[:, None, None] * _GL_X
    weights = 0.5 * width[:, None, None] * _GL_W
    inner = -jnp.expm1(m[:, None, None] * jnp.log1p(-p0 * jnp.exp(g * nodes)))
    integral = jnp.sum(weights * inner * jnp.exp(nodes), axis=(1, 2))
    return a ** (1 - beta) / ((beta - 1) * Z) * integral


def _head(beta, M):
    i = jnp.arange(1, M + 1, dtype=jnp.float64)
    Z = _zeta(beta)
    p = jnp.exp(-beta * jnp.log(i)) / Z
    return i, p, Z, _hurwitz(beta, M + 1.0) / Z


def _catmull_rom(values, k):
    """C1 cubic interpolation in ``k`` of ``values(cuts)`` given at the integers ``n-1..n+2``
    (``n = floor k``; at ``n = 1`` the value at 0 is extrapolated linearly): exact at integers."""
    n = jax.lax.stop_gradient(jnp.floor(k))
    t = k - n
    cuts = n + jnp.arange(-1.0, 3.0)
    e = values(jnp.maximum(cuts, 1.0))  # (4, ...)
    e0 = jnp.where(n <= 1.0, 2 * e[1] - e[2], e[0])
    e1, e2, e3 = e[1], e[2], e[3]
    return 0.5 * (2 * e1 + (e2 - e0) * t + (2 * e0 - 5 * e1 + 4 * e2 - e3) * t**2
                  + (3 * e1 - e0 - 3 * e2 + e3) * t**3)


def _cut_law(i, p, cuts):
    """``q`` of the top-``cut`` laws, one row per cut (integers)."""
    w = (i[None, :] <= cuts[:, None]).astype(jnp.float64)
    return jnp.minimum(w * p / jnp.sum(w * p, axis=-1, keepdims=True), 1.0 - 1e-16)


def zipf_mixed_raw(beta, k, pi, T, M):
    """``sum_i p_i (1-p_i)^(pi T) (1-q_i)^((1-pi) T)``, ``q`` the top-``k`` law (continuous k)."""
    i, p, Z, S1 = _head(beta, M)
    T = jnp.asarray(T, jnp.float64)[:, None]
    clean = pi * T
    tail = S1 - _lost_tail(beta, Z, M, clean[:, 0])

    def values(cuts):
        q = _cut_law(i, p, cuts)[:, None, :]
        logs = clean * jnp.log1p(-p) + (T - clean) * jnp.log1p(-q)
        return jnp.sum(p * jnp.exp(logs), axis=-1) + tail

    return _catmull_rom(values, k)


def zipf_tail_cut_raw(beta, k, T, M):
    """``sum_{i<=k} p_i (1 - p_i/P_k)^T + (1 - P_k)`` (continuous ``k``)."""
    i, p, _, S1 = _head(beta, M)
    T = jnp.asarray(T, jnp.float64)[:, None]

    def values(cuts):
        q = _cut_law(i, p, cuts)[:, None, :]
        return jnp.sum(p * jnp.exp(T * jnp.log1p(-q)), axis=-1) + S1

    return _catmull_rom(values, k)


def zipf_clean_raw(beta, T, M=M_MIN):
    """``sum_i p_i (1 - p_i)^T``: the clean memoriser."""
    _, p, Z, S1 = _head(beta, M)
    T = jnp.asarray(T, jnp.float64)
    head = jnp.sum(p * jnp.exp(T[:, None] * jnp.log1p(-p)), axis=-1)
    return head + S1 - _lost_tail(beta, Z, M, T)


def zipf_tail_mass(beta, k):
    """``1 - P_k`` for continuous ``k`` (the same interpolation), exact at integers."""
    M = head_size(k)
    i, p, _, S1 = _head(beta, M)
    return _catmull_rom(lambda cuts: jnp.sum(jnp.where(i[None, :] > cuts[:, None], p, 0.0), -1)
                        + S1, k)


def head_size(k) -> int:
    """Explicit head ``M``: ``1024 * 8^j >= floor(k) + 3`` (few sizes: each compiles once)."""
    need = math.floor(min(float(k), K_MAX)) + 3
    M = M_MIN
    while M < need:
        M *= 8
    return M


def _beta_from_slope(T, y):
    """``beta = 1/(1-c)`` from the log-log slope of the first half of the curve."""
    h = max(2, len(T) // 2)
    c = -np.polyfit(np.log(T[:h]), np.log(y[:h]), 1)[0]
    c = min(max(c, 0.05), 0.9)
    return 1.0 / (1.0 - c)


def _k_from_plateau(beta, plateau):
    """Invert the asymptotic tail mass ``k^(1-beta) / ((beta-1) zeta(beta))``."""
    from scipy.special import zeta
    k = (plateau * (beta - 1) * zeta(beta)) ** (1 / (1 - beta))
    return float(min(max(k, 1.5), 2000.0))


def _zipf_starts(T, y, p, *, with_pi=False):
    betas = [float(p["beta"])] if "beta" in p else [_beta_from_slope(T, y), 1.5, 2.5]
    out = []
    for b in betas:
        start = {"beta": b, "scale": 1.0}
        plateau = float(np.min(y)) * 0.9
        start["k"] = float(p["k"]) if "k" in p else _k_from_plateau(b, plateau)
        if with_pi:
            for pi in (1e-3, 3e-2):
                out.append({**start, "pi": pi})
        else:
            out.append(start)
    return out


# --------------------------------------------------------------------------------- the laws
def _power_law(p, T):
    return p["A"] * T ** (-p["c"])


def _power_law_floor(p, T):
    return p["A"] * T ** (-p["c"]) + p["floor"]


def _loglog(T, y):
    c, logA = np.polyfit(np.log(T), np.log(y), 1)
    return math.exp(logA), max(-c, 1e-3)


def _power_starts(T, y, p):
    A, c = _loglog(T, y)
    return [{"A": A, "c": c}]


def _power_floor_starts(T, y, p):
    out = []
    for f in (0.3, 0.7, 0.95):
        floor = f * float(np.min(y))
        A, c = _loglog(T, np.maximum(y - floor, 1e-3 * y))
        out.append({"A": A, "c": c, "floor": floor})
    return out


def _zipf_tail_cut(p, T, M):
    return p["scale"] * zipf_tail_cut_raw(p["beta"], p["k"], T, M)


def _zipf_mixed(p, T, M):
    return p["scale"] * zipf_mixed_raw(p["beta"], p["k"], p["pi"], T, M)


def _zipf_generations(p, T):
    from theory.zipf import generations_error
    return p["scale"] * generations_error(beta=p["beta"], T=T, T0=p["T0"], n=p["n"],
                                          chain=p["chain"])


def _zipf_generations_clean(p, T):
    from theory.zipf import memorization_error
    return p["scale"] * memorization_error(beta=p["beta"], T=T)


def _zipf_generations_plateau(p):
    return p["scale"] * _zipf_generations(dict(p, scale=1.0), np.asarray(np.inf))


def _zipf_generations_starts(T, y, p):
    b = float(p["beta"]) if "beta" in p else _beta_from_slope(T, y)
    betas = [b, 1.5, 2.5] if "beta" not in p else [b]
    return [{"beta": bb, "scale": 1.0} for bb in betas]


def _regression(p, T):
    d = p["d"]
    return p["sigma"] ** 2 * d / (T - d - 1) + p["n"] * p["sigma0"] ** 2 * d / (p["T0"] - d - 1)


def _regression_clean(p, T):
    return p["sigma"] ** 2 * p["d"] / (T - p["d"] - 1)


def _regression_plateau(p):
    return p["n"] * p["sigma0"] ** 2 * p["d"] / (p["T0"] - p["d"] - 1)


def _regression_starts(T, y, p):
    d = np.broadcast_to(p["d"], T.shape)
    x1 = d / (T - d - 1)
    x2 = np.broadcast_to(p["n"] * d / (p["T0"] - d - 1), T.shape)
    X = np.stack([x1, x2], axis=1)
    from scipy.optimize import nnls
    coef, _ = nnls(X / y[:, None], np.ones_like(y))
    s2, s02 = (max(c, 1e-6 * float(np.max(y))) for c in coef)
    return [{"sigma": math.sqrt(s2), "sigma0": math.sqrt(s02)}]


def _regression_check(T, p):
    if np.any(T <= np.asarray(p["d"]) + 1):
        raise ValueError("T must be > d + 1 at every point for law 'regression_generations' "
                         "(the OLS risk is infinite otherwise)")
    if np.any(np.asarray(p["T0"]) <= np.asarray(p["d"]) + 1):
        raise ValueError("T0 must be > d + 1 for law 'regression_generations'")


def _strong(p, T):
    d, p2, c2 = p["d"], p["p2"], p["c2"]
    return (p["sigma"] ** 2 + p2 * (1 - p2) * c2) * d / (T - d - 1) + p2**2 * c2


def _strong_plateau(p):
    return p["p2"] ** 2 * p["c2"]


def _strong_starts(T, y, p):
    d = np.broadcast_to(p["d"], T.shape)
    X = np.stack([d / (T - d - 1), np.ones_like(T)], axis=1)
    from scipy.optimize import nnls
    (a, b), _ = nnls(X / y[:, None], np.ones_like(y))
    b = max(b, 1e-3 * float(np.min(y)))
    sig2 = float(np.mean(np.asarray(p["sigma"]) ** 2))
    out = []
    for e in {max(a - sig2, 0.05 * b), b}:
        p2 = min(max(b / (b + e), 1e-3), 0.999)
        out.append({"p2": p2, "c2": b / p2**2})
    return out


def _strong_check(T, p):
    if np.any(T < np.asarray(p["d"]) + 2):
        raise ValueError("T must be >= d + 2 at every point for law 'strong_collapse' "
                         "(the OLS risk is infinite otherwise)")


def _zipf_generations_check(T, p):
    chain = p.get("chain", "cut")
    if chain not in ("cut", "resample"):
        raise ValueError(f"chain must be one of 'cut', 'resample'; got {chain!r}")


LAWS: dict[str, Law] = {law.name: law for law in [
    Law("power_law", ("A", "c"), {"A": POS, "c": POS}, _power_law, start=_power_starts,
        formula="A T^-c"),
    Law("power_law_floor", ("A", "c", "floor"), {"A": POS, "c": POS, "floor": POS},
        _power_law_floor, plateau=lambda p: p["floor"], clean=_power_law,
        start=_power_floor_starts, nests={"power_law": ({"floor": 0.0}, True)},
        formula="A T^-c + floor"),
    Law("zipf_tail_cut", ("beta", "k", "scale"), {"beta": BETA, "k": KDOM, "scale": POS},
        _zipf_tail_cut, plateau=lambda p: p["scale"] * zipf_tail_mass(p["beta"], p["k"]),
        clean=lambda p, T: p["scale"] * zipf_clean_raw(p["beta"], T),
        start=_zipf_starts, head=lambda p: head_size(p["k"]),
        formula="scale * [sum_{i<=k} p_i (1 - p_i/P_k)^T + (1 - P_k)]  (ToT sec. 3)"),
    Law("zipf_mixed", ("beta", "k", "pi", "scale"),
        {"beta": BETA, "k": KDOM, "pi": UNIT, "scale": POS}, _zipf_mixed,
        clean=lambda p, T: p["scale"] * zipf_clean_raw(p["beta"], T),
        start=lambda T, y, p: _zipf_starts(T, y, p, with_pi=True),
        head=lambda p: head_size(p["k"]), nests={"zipf_tail_cut": ({"pi": 0.0}, True)},
        formula="scale * sum_i p_i (1-p_i)^(pi T) (1-q_i)^((1-pi) T)  (ToT sec. 3.3)"),
    Law("zipf_generations", ("beta", "scale"), {
        "beta": BETA, "scale": POS, "T0": Domain(1.0, lo_open=False, integer=True),
        "n": Domain(0.0, lo_open=False, integer=True)}, _zipf_generations,
        covariates=("T0", "n"), plateau=_zipf_generations_plateau, clean=_zipf_generations_clean,
        start=_zipf_generations_starts, jax=False, options={"chain": "cut"},
        check=_zipf_generations_check,
        formula="scale * generations_error(beta, T, T0, n, chain)  (ToT sec. 3.1)"),
    Law("regression_generations", ("sigma", "sigma0"), {
        "sigma": POS, "sigma0": POS, "d": Domain(1.0, lo_open=False, integer=True),
        "T0": POS, "n": Domain(0.0, lo_open=False, integer=True)}, _regression,
        covariates=("d", "n", "T0"), plateau=_regression_plateau, clean=_regression_clean,
        start=_regression_starts, check=_regression_check,
        formula="sigma^2 d/(T-d-1) + n sigma0^2 d/(T0-d-1)  (DFK Thm 4.1)"),
    Law("strong_collapse", ("p2", "c2"), {
        "p2": UNIT, "c2": POS, "d": Domain(1.0, lo_open=False, integer=True),
        "sigma": Domain(0.0, lo_open=False)}, _strong, covariates=("d", "sigma"),
        plateau=_strong_plateau, clean=_regression_clean, start=_strong_starts,
        check=_strong_check,
        formula="(sigma^2 + p2 (1-p2) c2) d/(T-d-1) + p2^2 c2  (SMC Cor. 1)"),
]}
