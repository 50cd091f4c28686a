"""Least-squares fits of the collapse laws to measured learning curves, with intervals.

The objective. With standard errors ``s_j`` given: weighted least squares,
``chi2 = sum_j ((y_j - E(T_j)) / s_j)^2``, the ``s_j`` trusted as known (the Laplace covariance is
not rescaled; ``reduced_chi2`` tells whether they were right). Without them (``stderr=None``): an
unweighted fit of ``log y_j - log E(T_j)`` (learning curves span decades, so constant *relative*
noise is the neutral assumption), whose residual variance ``sigma2 = RSS / (n - p)`` is estimated
and scales the covariance; ``reduced_chi2`` is then NaN and ``sigma2`` is reported instead.

Optimisation: ``scipy.optimize.least_squares`` (trust-region reflective) in unconstrained
coordinates ``u`` (:class:`theory.fit._laws.Domain`: log, shifted log or logit maps), from the
law's starting values (several starts for the Zipf and floor laws; the best is kept). Jacobians
are exact from JAX (``jax.jacfwd``, float64) for every law but ``zipf_generations``, whose theory
(:func:`theory.zipf.generations_error`, host loops) is differentiated by central differences
(step ``1e-5`` in ``u``).

Intervals. The Laplace covariance ``(J'J)^-1`` (times ``sigma2`` when estimated) in ``u`` gives
Wald intervals mapped back through the transform (so positive parameters get asymmetric,
positive intervals). A parameter whose Laplace standard deviation in ``u`` exceeds 1 (its interval
spans more than a factor ``e^2`` either way, where the quadratic approximation is poor) gets a
profile-likelihood interval instead (``Delta chi2 = chi2_1(level)``, the other parameters
re-optimised); if the profile never reaches that threshold on one side, that end is the
domain's edge (``inf``) and a warning names the parameter. Derived quantities (plateau, the size
where scaling stops, the clean share or real data needed) use the delta method on their log with
central-difference gradients in ``u``.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize, stats

from theory.fit._laws import LAWS, Law

__all__ = ["Comparison", "Fit", "Quantity", "compare", "fit_curve", "fit_curves"]

#: Laplace standard deviation in ``u`` above which the profile likelihood is used.
PROFILE_SD = 1.0
_FD_STEP = 1e-5


class Quantity(NamedTuple):
    """A fitted quantity with its interval (``lower``/``upper`` may be ``0``/``inf``)."""

    value: float
    lower: float
    upper: float

    def __str__(self) -> str:
        return f"{self.value:.6g} [{self.lower:.6g}, {self.upper:.6g}]"


# ------------------------------------------------------------------------------- input checks
def _law(law) -> Law:
    if not isinstance(law, str) or law not in LAWS:
        raise ValueError(f"law must be one of {', '.join(map(repr, LAWS))}; got {law!r}")
    return LAWS[law]


def _array(name: str, value, n: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 1-D array of positive finite numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a 1-D array of positive finite numbers, got shape "
                         f"{arr.shape}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must have the same length as T ({n}), got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {arr[~np.isfinite(arr)][0]}")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive, got {arr[arr <= 0][0]}")
    return arr


@dataclass
class _Curve:
    T: np.ndarray
    y: np.ndarray
    s: np.ndarray | None
    fixed: dict[str, Any]
    free: tuple[str, ...]
    label: str


def _curve(law: Law, T, error, stderr, fixed: Mapping, label: str) -> _Curve:
    T = _array("T", T)
    y = _array("error", error, T.size)
    s = None if stderr is None else _array("stderr", stderr, T.size)
    fixed = dict(fixed)
    known = set(law.free) | set(law.covariates) | set(law.options)
    for name in fixed:
        if name not in known:
            raise ValueError(f"{name} is not a parameter of law {law.name!r} (its parameters: "
                             f"{', '.join(sorted(known))})")
    out = dict(law.options)
    for name, value in fixed.items():
        if name in law.options:
            out[name] = value
            continue
        arr = law.domains[name].check(name, value)
        if name in law.free and arr.ndim:
            raise ValueError(f"{name} must be a single number when fixed")
        if arr.ndim and arr.shape != T.shape:
            raise ValueError(f"{name} must be a number or one value per point of T ({T.size}), "
                             f"got shape {arr.shape}")
        out[name] = arr if arr.ndim else float(arr)
    missing = [c for c in law.covariates if c not in out]
    if missing:
        raise ValueError(f"{missing[0]} must be given (fixed) for law {law.name!r}: "
                         f"{', '.join(law.covariates)} are not fitted")
    if law.check is not None:
        law.check(T, out)
    free = tuple(p for p in law.free if p not in out)
    return _Curve(T, y, s, out, free, label)


# ------------------------------------------------------------------------------- evaluation
@functools.cache
def _jitted(law_name: str, free: tuple[str, ...], fixed_names: tuple[str, ...], head: int | None):
    law = LAWS[law_name]

    def values(u, fixed_vals, T):
        p = {name: law.domains[name].from_u(u[j]) for j, name in enumerate(free)}
        p.update(zip(fixed_names, fixed_vals))
        return law.model(p, T) if head is None else law.model(p, T, head)

    return jax.jit(values), jax.jit(jax.jacfwd(values))


class _Problem:
    """Curves, the global parameter vector (shared first, then per curve) and residuals."""

    def __init__(self, law: Law, curves: list[_Curve], shared: tuple[str, ...]):
        self.law, self.curves = law, curves
        self.weighted = curves[0].s is not None
        if any((c.s is not None) != self.weighted for c in curves):
            raise ValueError("stderr must be given for every curve or for none")
        single = len(curves) == 1
        for name in shared:
            if name not in law.free:
                raise ValueError(f"shared must name free parameters of law {law.name!r}; "
                                 f"got {name!r}")
            if any(name not in c.free for c in curves):
                raise ValueError(f"shared parameter {name} must be free in every curve")
        self.names: list[str] = [n for n in law.free if n in shared]
        self.index: list[list[int]] = []
        for c in curves:
            idx = []
            for name in c.free:
                if name in shared:
                    idx.append(self.names.index(name))
                else:
                    self.names.append(name if single else f"{name}[{c.label}]")
                    idx.append(len(self.names) - 1)
            self.index.append(idx)
        self.base = [n.split("[")[0] for n in self.names]
        self.n = sum(c.T.size for c in curves)
        if self.n < len(self.names):
            raise ValueError(f"T must have at least {len(self.names)} points for law "
                             f"{law.name!r} with free parameters {', '.join(self.names)}; got "
                             f"{self.n}")

    def local(self, theta, ci: int) -> dict:
        """Parameter values (floats or arrays) of curve ``ci`` at ``theta``."""
        c = self.curves[ci]
        p = {name: float(self.law.domains[name].from_u(theta[j]))
             for name, j in zip(c.free, self.index[ci])}
        p.update(c.fixed)
        return p

    def _head(self, theta, ci):
        if self.law.head is None:
            return None
        return self.law.head(self.local(theta, ci))

    def _numeric_fixed(self, ci):
        c = self.curves[ci]
        names = tuple(n for n in c.fixed if n not in self.law.options)
        return names, tuple(jnp.asarray(c.fixed[n], jnp.float64) for n in names)

    def values(self, theta, ci: int, T=None) -> np.ndarray:
        c = self.curves[ci]
        T = c.T if T is None else np.asarray(T, np.float64)
        if not self.law.jax:
            return np.asarray(self.law.model(self.local(theta, ci), T), np.float64)
        names, vals = self._numeric_fixed(ci)
        if T is not c.T:
            vals = tuple(v if v.ndim == 0 else v[-1] for v in vals)
        f, _ = _jitted(self.law.name, c.free, names, self._head(theta, ci))
        with jax.enable_x64(True):
            u = jnp.asarray(np.asarray(theta)[self.index[ci]], jnp.float64)
            return np.asarray(f(u, vals, jnp.asarray(T)))

    def _jac_values(self, theta, ci) -> np.ndarray:
        c = self.curves[ci]
        u = np.asarray(theta, np.float64)[self.index[ci]]
        if not self.law.jax:
            cols = []
            for j in range(u.size):
                th_p, th_m = np.array(theta, float), np.array(theta, float)
                th_p[self.index[ci][j]] += _FD_STEP
                th_m[self.index[ci][j]] -= _FD_STEP
                cols.append((self.values(th_p, ci) - self.values(th_m, ci)) / (2 * _FD_STEP))
            return np.stack(cols, axis=1) if cols else np.zeros((c.T.size, 0))
        names, vals = self._numeric_fixed(ci)
        _, jac = _jitted(self.law.name, c.free, names, self._head(theta, ci))
        with jax.enable_x64(True):
            return np.asarray(jac(jnp.asarray(u), vals, jnp.asarray(c.T)))

    def residuals(self, theta) -> np.ndarray:
        out = []
        for ci, c in enumerate(self.curves):
            f = self.values(theta, ci)
            if self.weighted:
                out.append((c.y - f) / c.s)
            else:
                out.append(np.log(c.y) - np.log(np.maximum(f, 1e-300)))
        r = np.concatenate(out)
        return np.where(np.isfinite(r), r, 1e10)

    def jacobian(self, theta) -> np.ndarray:
        J = np.zeros((self.n, len(self.names)))
        row = 0
        for ci, c in enumerate(self.curves):
            Jf = self._jac_values(theta, ci)
            if self.weighted:
                Jr = -Jf / c.s[:, None]
            else:
                Jr = -Jf / np.maximum(self.values(theta, ci), 1e-300)[:, None]
            for j, g in enumerate(self.index[ci]):
                J[row:row + c.T.size, g] += Jr[:, j]
            row += c.T.size
        return np.where(np.isfinite(J), J, 0.0)

    def solve(self, starts: list[np.ndarray], pinned: dict[int, float] | None = None):
        """Best least-squares solution over ``starts``; ``pinned``: global indices held fixed."""
        pinned = pinned or {}
        free = [j for j in range(len(self.names)) if j not in pinned]

        def full(x):
            th = np.empty(len(self.names))
            th[free] = x
            for j, v in pinned.items():
                th[j] = v
            return th

        best = None
        for x0 in starts:
            x0 = np.clip(np.asarray(x0, float)[free], -40, 40)
            if not free:
                r = self.residuals(full(x0))
                return full(x0), 0.5 * float(r @ r)
            try:
                res = optimize.least_squares(
                    lambda x: self.residuals(full(x)), x0,
                    jac=lambda x: self.jacobian(full(x))[:, free], method="trf",
                    x_scale="jac", max_nfev=200 * len(free), xtol=1e-12, ftol=1e-12, gtol=1e-12)
            except (ValueError, np.linalg.LinAlgError, FloatingPointError):
                continue
            if best is None or res.cost < best[1]:
                best = (full(res.x), float(res.cost))
            dof = self.n - len(free)
            if self.weighted and 2 * best[1] <= dof + 3 * math.sqrt(2 * max(dof, 1)):
                break  # an acceptable fit (chi2 within 3 sd of its mean): no further starts
        if best is None:
            raise RuntimeError(f"the fit of law {self.law.name!r} failed from every start")
        return best


def _starts(problem: _Problem) -> list[np.ndarray]:
    law = problem.law
    per_curve = [law.start(c.T, c.y, c.fixed) for c in problem.curves]
    count = max(len(s) for s in per_curve)
    out = []
    for j in range(count):
        guesses: dict[int, list[float]] = {}
        for ci, c in enumerate(problem.curves):
            start = per_curve[ci][j % len(per_curve[ci])]
            for name, g in zip(c.free, problem.index[ci]):
                guesses.setdefault(g, []).append(law.domains[name].to_u(start[name]))
        out.append(np.array([float(np.median(guesses[g])) for g in range(len(problem.names))]))
    return out


# ------------------------------------------------------------------------------------ the fit
class Fit:
    """A fitted law. Attributes: ``law``, ``params`` (name -> value), ``chi2`` (weighted: the
    chi-square; unweighted: the residual sum of squares of ``log y``), ``n`` points, ``dof``,
    ``weighted``, ``sigma2`` (estimated residual variance of ``log y``; 1 when weighted), ``cov``
    (Laplace covariance in the unconstrained coordinates ``u``)."""

    def __init__(self, problem: _Problem, theta: np.ndarray, cost: float):
        self._p, self.theta = problem, theta
        self.law = problem.law.name
        self.names = list(problem.names)
        self.n, self.weighted = problem.n, problem.weighted
        self.dof = self.n - len(self.names)
        self.chi2 = 2.0 * cost
        self.sigma2 = 1.0 if self.weighted else (self.chi2 / self.dof if self.dof > 0 else math.nan)
        self.params = {name: float(problem.law.domains[b].from_u(theta[j]))
                       for j, (name, b) in enumerate(zip(self.names, problem.base))}
        J = problem.jacobian(theta)
        H = J.T @ J
        w, V = np.linalg.eigh(H) if H.size else (np.zeros(0), np.zeros((0, 0)))
        floor = max(float(w.max()) if w.size else 0.0, 1e-300) * 1e-15
        inv = V @ np.diag(1.0 / np.maximum(w, floor)) @ V.T
        s2 = self.sigma2 if math.isfinite(self.sigma2) else 1.0
        self.cov = inv * s2
        self._profiles: dict[tuple[str, float], tuple[float, float]] = {}
        self.unbounded: dict[str, tuple[bool, bool]] = {}
        for name in self.names:
            if self._poor(name):
                self.interval(name)  # runs the profile and warns if unbounded

    # --- statistics
    @property
    def reduced_chi2(self) -> float:
        """``chi2 / dof`` of a weighted fit (about 1 if the law and the errors are right)."""
        return self.chi2 / self.dof if self.weighted and self.dof > 0 else math.nan

    @property
    def aic(self) -> float:
        """Akaike information: ``chi2 + 2p`` (weighted) or ``n log(RSS/n) + 2p`` (unweighted)."""
        p = len(self.names)
        if self.weighted:
            return self.chi2 + 2 * p
        return self.n * math.log(max(self.chi2, 1e-300) / self.n) + 2 * p

    def _sd_u(self, j: int) -> float:
        return math.sqrt(max(self.cov[j, j], 0.0))

    def _poor(self, name: str) -> bool:
        return not self._sd_u(self.names.index(name)) <= PROFILE_SD

    # --- intervals
    def interval(self, name: str, level: float = 0.95, method: str = "auto"):
        """``(lower, upper)`` at confidence ``level`` for parameter ``name``.

        ``method="laplace"``: Wald interval in ``u`` mapped back; ``"profile"``: profile
        likelihood; ``"auto"``: profile where the Laplace one is poor (module doc), else Laplace.
        An end the data do not bound is the domain's edge (``inf`` or the lower limit).
        """
        if name not in self.params:
            raise ValueError(f"name must be a free parameter of this fit "
                             f"({', '.join(self.names)}); got {name!r}")
        if not 0 < level < 1:
            raise ValueError(f"level must be a real number in (0, 1), got {level}")
        if method not in ("auto", "laplace", "profile"):
            raise ValueError(f"method must be one of 'auto', 'laplace', 'profile'; got {method!r}")
        j = self.names.index(name)
        dom = self._p.law.domains[self._p.base[j]]
        if method == "laplace" or (method == "auto" and not self._poor(name)):
            z = stats.norm.ppf(0.5 + level / 2)
            sd = self._sd_u(j)
            return (float(dom.from_u(self.theta[j] - z * sd)),
                    float(dom.from_u(self.theta[j] + z * sd)))
        return self._profile(j, level)

    def _delta_chi2(self, j: int, u: float) -> float:
        starts = [self.theta.copy()]
        _, cost = self._p.solve(starts, pinned={j: u})
        s2 = self.sigma2 if math.isfinite(self.sigma2) else 1.0
        return (2 * cost - self.chi2) / s2

    def _profile(self, j: int, level: float) -> tuple[float, float]:
        key = (self.names[j], level)
        if key in self._profiles:
            return self._profiles[key]
        q = stats.chi2.ppf(level, 1)
        dom = self._p.law.domains[self._p.base[j]]
        u0 = float(self.theta[j])
        step0 = min(max(self._sd_u(j), 0.05), 2.0) if np.isfinite(self._sd_u(j)) else 1.0
        ends, open_ = [], []
        for sign in (-1.0, 1.0):
            prev, found = 0.0, None
            step = step0 / 2
            while abs(u0 + sign * step) <= 40.0 + abs(u0):
                d = self._delta_chi2(j, u0 + sign * step)
                if d >= q:
                    found = optimize.brentq(lambda t, sg=sign: self._delta_chi2(j, u0 + sg * t) - q,
                                            prev, step, xtol=1e-4)
                    break
                prev, step = step, step * 2
                if abs(u0 + sign * step) > 40.0:
                    break
            if found is None:
                ends.append(dom.edges[0 if sign < 0 else 1])
                open_.append(True)
            else:
                ends.append(float(dom.from_u(u0 + sign * found)))
                open_.append(False)
        self._profiles[key] = (ends[0], ends[1])
        if any(open_):
            self.unbounded[self.names[j]] = (open_[0], open_[1])
            side = "both sides" if all(open_) else ("below" if open_[0] else "above")
            warnings.warn(f"{self.names[j]} is not determined by the data: its profile likelihood "
                          f"stays within the {level:.0%} threshold {side} (interval "
                          f"[{ends[0]:.4g}, {ends[1]:.4g}])", stacklevel=3)
        return ends[0], ends[1]

    # --- predictions and derived quantities
    def _curve_index(self, curve) -> int:
        labels = [c.label for c in self._p.curves]
        if isinstance(curve, int) and 0 <= curve < len(labels):
            return curve
        if curve in labels:
            return labels.index(curve)
        raise ValueError(f"curve must be an index in [0, {len(labels) - 1}] or one of {labels}; "
                         f"got {curve!r}")

    def local_params(self, curve=0) -> dict:
        """All parameters (fitted and fixed) of one curve."""
        return self._p.local(self.theta, self._curve_index(curve))

    def _delta(self, fn, level: float, positive: bool = True, name: str = "quantity"):
        """Delta method on ``log fn(theta)`` (``positive``) with central differences in ``u``."""
        z = stats.norm.ppf(0.5 + level / 2)
        v = float(fn(self.theta))
        g = np.zeros(len(self.names))
        for j in range(len(self.names)):
            tp, tm = self.theta.copy(), self.theta.copy()
            tp[j] += _FD_STEP
            tm[j] -= _FD_STEP
            a, b = float(fn(tp)), float(fn(tm))
            g[j] = ((math.log(a) - math.log(b)) if positive else (a - b)) / (2 * _FD_STEP)
        sd = math.sqrt(max(float(g @ self.cov @ g), 0.0))
        if not math.isfinite(sd) or (positive and z * sd > 20):
            warnings.warn(f"{name} is not determined by the data (its delta-method interval is "
                          "unbounded)", stacklevel=3)
            return Quantity(v, 0.0 if positive else -math.inf, math.inf)
        if positive:
            return Quantity(v, v * math.exp(-z * sd), v * math.exp(z * sd))
        return Quantity(v, v - z * sd, v + z * sd)

    def predict(self, T, curve=0, level: float = 0.95):
        """``(value, lower, upper)`` arrays: the fitted curve at ``T`` and its pointwise band
        (delta method on ``log E``; covariates given per point take their last value)."""
        T = np.atleast_1d(np.asarray(T, np.float64))
        if not np.all(np.isfinite(T)) or np.any(T <= 0):
            raise ValueError("T must be positive and finite")
        ci = self._curve_index(curve)
        z = stats.norm.ppf(0.5 + level / 2)
        f = self._p.values(self.theta, ci, T)
        G = np.zeros((T.size, len(self.names)))
        for j in range(len(self.names)):
            tp, tm = self.theta.copy(), self.theta.copy()
            tp[j] += _FD_STEP
            tm[j] -= _FD_STEP
            G[:, j] = (np.log(self._p.values(tp, ci, T)) - np.log(self._p.values(tm, ci, T))) / (
                2 * _FD_STEP)
        sd = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", G, self.cov, G), 0.0))
        with np.errstate(over="ignore"):
            return f, f * np.exp(-z * sd), f * np.exp(z * sd)

    def _plateau_fn(self, ci):
        law = self._p.law

        def fn(theta):
            with jax.enable_x64(True):
                return float(np.asarray(law.plateau(self._p.local(theta, ci))))
        return fn

    @property
    def plateau(self) -> Quantity | None:
        """``lim_{T->inf} E`` with its 95% interval (first curve), or None for laws without one."""
        return self.plateau_of(0)

    def plateau_of(self, curve=0, level: float = 0.95) -> Quantity | None:
        """The plateau of one curve (None: the law has none, or covariates vary per point)."""
        law = self._p.law
        ci = self._curve_index(curve)
        if law.plateau is None or any(np.ndim(v) for v in self._p.curves[ci].fixed.values()):
            return None
        return self._delta(self._plateau_fn(ci), level, name="the plateau")

    def _clean(self, theta, ci, T):
        law = self._p.law
        with jax.enable_x64(True):
            return np.asarray(law.clean(self._p.local(theta, ci), np.asarray(T, np.float64)))

    def scaling_stops(self, fraction: float = 0.1, curve=0, level: float = 0.95) -> Quantity:
        """The data size ``T*`` where the fitted curve first lies ``fraction`` above the clean law
        (the same law without synthetic data: ``A T^-c``; ``scale * memorisation error``;
        ``sigma^2 d/(T-d-1)``), with its delta-method interval."""
        if not (isinstance(fraction, int | float) and fraction > 0 and math.isfinite(fraction)):
            raise ValueError(f"fraction must be a positive real number, got {fraction!r}")
        law = self._p.law
        if law.clean is None:
            raise ValueError(f"law {law.name!r} has no clean law to depart from")
        ci = self._curve_index(curve)
        c = self._p.curves[ci]
        lo_T = float(np.asarray(c.fixed.get("d", 0.0)).max()) + 2.0
        grid = np.logspace(math.log10(max(lo_T, c.T.min() / 1e3)), math.log10(c.T.max() * 1e8),
                           400)

        def excess(theta, T):
            return np.log(self._p.values(theta, ci, T) / self._clean(theta, ci, T)) - math.log1p(
                fraction)

        def fn(theta):
            e = excess(theta, grid)
            hit = np.nonzero(e >= 0)[0]
            if hit.size == 0:
                return math.inf
            if hit[0] == 0:
                return grid[0]
            a, b = math.log(grid[hit[0] - 1]), math.log(grid[hit[0]])
            return math.exp(optimize.brentq(lambda t: float(excess(theta, [math.exp(t)])[0]),
                                            a, b, xtol=1e-10))

        if not math.isfinite(fn(self.theta)):
            raise ValueError(f"the fitted curve stays within {fraction} of the clean law up to "
                             f"T = {grid[-1]:.3g}")
        return self._delta(fn, level, name="the size where scaling stops")

    def _solve_for(self, theta, ci, T, target, make, lo, hi, name):
        p0 = self._p.local(theta, ci)

        def err(x):
            with jax.enable_x64(True):
                return float(np.asarray(make(p0, x)))

        a, b = err(lo), err(hi)
        if not (min(a, b) <= target <= max(a, b)):
            raise ValueError(f"target must lie between {min(a, b):.4g} and {max(a, b):.4g} "
                             f"(the {name} range) at T = {T:g}; got {target}")
        return optimize.brentq(lambda x: err(x) - target, lo, hi, xtol=1e-300, rtol=1e-11,
                               maxiter=500)

    def clean_share(self, target: float, T: float, curve=0, level: float = 0.95) -> Quantity:
        """Share ``pi`` of real (clean) data in ``T`` samples that brings the error to ``target``
        (Zipf laws: ``pi T`` clean plus ``(1-pi) T`` top-k samples; strong_collapse: ``1 - p2``)."""
        law, ci = self._p.law, self._curve_index(curve)
        make, lo, hi = self._share_model(law, T)
        return self._delta(lambda th: self._solve_for(th, ci, T, target, make, lo, hi,
                                                      "clean-share"), level,
                           name="the clean share")

    def extra_real_data(self, target: float, T: float, curve=0, level: float = 0.95) -> Quantity:
        """Number ``m`` of real samples to add to ``T`` synthetic ones so that the error is
        ``target`` (Zipf laws: ``T`` top-k plus ``m`` clean; strong_collapse: ``n = T + m``
        points with synthetic share ``p2 T/(T+m)``)."""
        law, ci = self._p.law, self._curve_index(curve)
        make_share, _, _ = self._share_model(law, T)

        def make(p, m):
            total = T + m
            share = m / total
            if law.name == "zipf_mixed":
                share = (p["pi"] * T + m) / total
            elif law.name == "strong_collapse":
                share = 1 - p["p2"] * T / total
            return make_share(p, share, total)

        return self._delta(lambda th: self._solve_for(th, ci, T, target, make, 0.0, 1e12 * T,
                                                      "extra-data"), level,
                           name="the extra real data")

    def _share_model(self, law, T):
        from theory.fit import _laws as L
        if law.name in ("zipf_tail_cut", "zipf_mixed"):
            def make(p, pi, total=T):
                M = L.head_size(p["k"])
                return p["scale"] * L.zipf_mixed_raw(p["beta"], p["k"], pi, jnp.atleast_1d(total),
                                                     M)[0]
            return make, 0.0, 1.0
        if law.name == "strong_collapse":
            def make(p, pi, total=T):
                return L._strong(dict(p, p2=1 - pi), total)
            return make, 0.0, 1.0
        raise ValueError(f"law {law.name!r} has no clean share (laws with one: zipf_tail_cut, "
                         "zipf_mixed, strong_collapse)")

    # --- display
    def __str__(self) -> str:
        law = self._p.law
        lines = [f"law {self.law}: E(T) = {law.formula}",
                 f"{self.n} points, {len(self.names)} free parameters, "
                 + (f"weighted (chi2 = {self.chi2:.4g}, reduced chi2 = {self.reduced_chi2:.4g})"
                    if self.weighted else
                    f"unweighted on log E (residual sd = {math.sqrt(self.sigma2):.3g})")
                 + f", AIC = {self.aic:.4g}",
                 f"{'parameter':<16}{'value':>13}{'95% lower':>13}{'95% upper':>13}  interval"]
        for name in self.names:
            lo, hi = self.interval(name)
            how = "profile" if self._poor(name) else "laplace"
            if name in self.unbounded:
                how += " (unbounded)"
            lines.append(f"{name:<16}{self.params[name]:>13.6g}{lo:>13.6g}{hi:>13.6g}  {how}")
        for c in self._p.curves:
            fixed = ", ".join(f"{k}={v:g}" if np.ndim(v) == 0 and not isinstance(v, str)
                              else f"{k}={v}" if isinstance(v, str) else f"{k}=<per point>"
                              for k, v in c.fixed.items())
            if fixed:
                lines.append(f"fixed{'' if len(self._p.curves) == 1 else f' [{c.label}]'}: "
                             f"{fixed}")
        if law.plateau is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                plateau = self.plateau
            if plateau is not None:
                lines.append(f"plateau: {plateau}")
        return "\n".join(lines)

    __repr__ = __str__


# --------------------------------------------------------------------------------- entry points
def fit_curves(curves: Sequence[Mapping], law: str, *, shared: Sequence[str] = ()) -> Fit:
    """Fit ``law`` jointly to several curves; parameters named in ``shared`` are common (the laws
    and their sources: docs/theory/fit.md).

    Args:
        curves: mappings with ``T`` (positive sizes), ``error`` (positive errors), optionally
            ``stderr`` (positive, for all curves or none), ``label`` (names the curve's own
            parameters ``name[label]``; default its index), and fixed parameter values (any other
            key; covariates such as ``n`` may be one value per point).
        law: one of :data:`theory.fit.LAWS`.
        shared: free parameters common to all curves (the rest are fitted per curve).
    Returns:
        a :class:`Fit`.
    """
    law_ = _law(law)
    if isinstance(shared, str):
        shared = (shared,)
    if len(curves) == 0:
        raise ValueError("curves must be a non-empty sequence of mappings")
    built = []
    for i, c in enumerate(curves):
        c = dict(c)
        if "T" not in c or "error" not in c:
            raise ValueError("curves must be mappings with keys 'T' and 'error'")
        T, y, s = c.pop("T"), c.pop("error"), c.pop("stderr", None)
        label = str(c.pop("label", i))
        built.append(_curve(law_, T, y, s, c, label))
    problem = _Problem(law_, built, tuple(shared))
    with jax.enable_x64(True):
        theta, cost = problem.solve(_starts(problem))
        return Fit(problem, theta, cost)


def fit_curve(*, T, error, stderr=None, law: str, **fixed) -> Fit:
    """Fit one learning curve ``error(T)`` with ``law``; keyword ``fixed`` pins parameters (the
    laws and their sources: docs/theory/fit.md).

    Args:
        T: data sizes, positive (1-D).
        error: measured test errors, positive, same length.
        stderr: their standard errors (positive; weighted fit), or None (unweighted fit of
            ``log error`` with the residual variance estimated).
        law: ``"power_law"`` (A, c), ``"power_law_floor"`` (A, c, floor), ``"zipf_tail_cut"``
            (beta > 1, 1 <= k <= 2^20, scale > 0), ``"zipf_mixed"`` (beta, k, 0 < pi < 1, scale),
            ``"zipf_generations"`` (beta, scale; T0 >= 1 and n >= 0 integers fixed; chain),
            ``"regression_generations"`` (sigma, sigma0 > 0; d, n, T0 fixed),
            ``"strong_collapse"`` (0 < p2 < 1, c2 > 0; d, sigma fixed).
        **fixed: known parameter values (validated against their domains).
    Returns:
        a :class:`Fit`.
    """
    return fit_curves([dict(fixed, T=T, error=error, stderr=stderr)], law)


# ---------------------------------------------------------------------------------- comparison
@dataclass
class Comparison:
    """``rows``: (law, p, chi2, dof, AIC, delta AIC, Akaike weight) sorted by AIC; ``tests``:
    likelihood-ratio tests of nested pairs (smaller, larger, statistic, df, p-value, boundary)."""

    rows: list[dict]
    tests: list[dict]

    @property
    def best(self) -> str:
        return self.rows[0]["law"]

    def __str__(self) -> str:
        out = [f"{'law':<24}{'p':>3}{'chi2':>12}{'dof':>5}{'AIC':>12}{'dAIC':>9}{'weight':>8}"]
        for r in self.rows:
            out.append(f"{r['law']:<24}{r['p']:>3}{r['chi2']:>12.4g}{r['dof']:>5}"
                       f"{r['aic']:>12.4g}{r['delta_aic']:>9.3g}{r['weight']:>8.3f}")
        for t in self.tests:
            out.append(f"LRT {t['smaller']} within {t['larger']}: statistic {t['statistic']:.4g}"
                       f", df {t['df']}, p = {t['p_value']:.3g}"
                       + (" (boundary: 1/2 chi2_0 + 1/2 chi2_df)" if t["boundary"] else ""))
        return "\n".join(out)


def compare(fits: Sequence[Fit]) -> Comparison:
    """Compare fits of different laws to the same data: AIC table and likelihood-ratio tests.

    For each nested pair (``power_law`` in ``power_law_floor`` at ``floor = 0``; ``zipf_tail_cut``
    in ``zipf_mixed`` at ``pi = 0``) the statistic is ``chi2_small - chi2_large`` (weighted) or
    ``n log(RSS_small / RSS_large)`` (unweighted). The pinned value lies on the boundary of the
    larger law's domain, so its null law is ``(chi2_0 + chi2_df)/2`` (Self and Liang 1987): the
    p-value is half the ``chi2_df`` tail. A small p-value is evidence for the larger law (e.g. a
    plateau). See docs/theory/fit.md.

    Args:
        fits: at least two :class:`Fit` of different laws to the same (T, error, stderr).

    Returns:
        A :class:`Comparison` (AIC table and likelihood-ratio tests).
    """
    fits = list(fits)
    if len(fits) < 2:
        raise ValueError("fits must hold at least two fits of the same data")
    ref = fits[0]
    key = _data_key(ref)
    for f in fits[1:]:
        if _data_key(f) != key:
            raise ValueError("fits must be fits of the same data (T, error, stderr)")
    aic = np.array([f.aic for f in fits])
    d = aic - aic.min()
    w = np.exp(-d / 2)
    w /= w.sum()
    rows = sorted(({"law": f.law, "p": len(f.names), "chi2": f.chi2, "dof": f.dof, "aic": f.aic,
                    "delta_aic": float(di), "weight": float(wi)}
                   for f, di, wi in zip(fits, d, w)), key=lambda r: r["aic"])
    tests = []
    for big in fits:
        for small in fits:
            nest = LAWS[big.law].nests.get(small.law)
            if nest is None:
                continue
            df = len(big.names) - len(small.names)
            if big.weighted:
                stat = small.chi2 - big.chi2
            else:
                stat = big.n * math.log(max(small.chi2, 1e-300) / max(big.chi2, 1e-300))
            stat = max(stat, 0.0)
            pv = float(stats.chi2.sf(stat, df))
            if nest[1]:
                pv = 0.5 * pv if stat > 0 else 1.0
            tests.append({"smaller": small.law, "larger": big.law, "statistic": stat, "df": df,
                          "p_value": pv, "boundary": nest[1]})
    return Comparison(rows, tests)


def _data_key(f: Fit):
    return tuple((c.T.tobytes(), c.y.tobytes(), None if c.s is None else c.s.tobytes())
                 for c in f._p.curves)
