"""Replace, accumulate and accumulate-subsample in the fixed-design regression chain.

The chain (Gerstgrasser et al., "Is Model Collapse Inevitable?", arXiv:2404.01413, section 3,
linear models; Dey and Donoho, arXiv:2410.22812; Kazdan et al., "Collapse or Thrive?",
arXiv:2410.16713, their fixed-design linear regression): one design X (T x d, rows N(0, Sigma)).
Iteration 1 labels X with the truth w*, iteration i > 1 with the previous fit w_{i-1}, plus
N(0, sigma^2) noise; the fit is OLS on the training set the policy picks:

* ``replace``: the newest T labels: w_i = w_{i-1} + A E_i, A = (X'X)^-1 X'.
* ``accumulate``: all iT labels. For a fixed design the stacked normal equations are
  (i X'X) w = X' sum_j Y_j, so the fit is the average of the per-batch fits,
  w_i = (1/i) sum_{j<=i} (w_{j-1} + A E_j), i.e. w_i = w_{i-1} + A E_i / i.
* ``accumulate-subsample`` (Kazdan et al.'s fixed budget): the pool holds every (row, label) pair
  generated so far, iT of them at fit i (T relabellings of the same design rows); fit i is pinv
  (OLS; min-norm when rank-deficient) on T pairs drawn uniformly without replacement from the
  pool, so a design row may be drawn several times with different labels, or not at all.

With e_i = w_i - w*, ||e_i||^2_Sigma = ||(Z'Z)^-1 Z' ...||^2 for the whitened Z = X Sigma^-1/2: the
error does not depend on Sigma, and its unit is v = sigma^2 tr[Sigma (X'X)^-1], whose mean is
sigma^2 d/(T - d - 1) (inverse-Wishart mean, :func:`theory.regression.derive_noise_term`).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from theory._symbolic import numeric
from theory.domain import Grid, choice, param
from theory.policy import Policy, as_policy, derive_subsample_weights
from theory.regression._closed_forms import derive_noise_term

__all__ = ["DESIGNS", "FIXED_DESIGN_POLICIES", "derive_fixed_design_error",
           "derive_fresh_accumulate_term", "derive_subsample_weights", "fixed_design_error",
           "validate_fixed_design"]

FIXED_DESIGN_POLICIES = ("replace", "accumulate", "accumulate-subsample")
DESIGNS = ("fixed", "fresh")

_d, _T = sp.symbols("d T", positive=True, integer=True)
_n = sp.Symbol("n", integer=True, nonnegative=True)
_i = sp.Symbol("i", integer=True, positive=True)
_sigma = sp.Symbol("sigma", nonnegative=True)


@functools.cache
def derive_fixed_design_error(policy: str) -> sp.Expr:
    """[exact] E ||w_n - w*||^2_Sigma = sigma^2 d/(T-d-1) sum_{i<=n} a_i^2 with
    a_i = 1 (replace) or 1/i (accumulate): the increments A E_i a_i are independent and zero-mean,
    so the risk is the sum of their noise terms (derive_noise_term). sum_{i<=n} 1/i^2 is written
    pi^2/6 - psi'(n + 1) (bounded by pi^2/6: GER's and DD's pi^2/6 pathway)."""
    unit = derive_noise_term().subs({sp.Symbol("m", positive=True, integer=True): _T,
                                     sp.Symbol("s", nonnegative=True): _sigma,
                                     sp.Symbol("d", positive=True, integer=True): _d})
    weight = {"replace": sp.Integer(1), "accumulate": 1 / _i**2}[policy]
    total = sp.Sum(weight, (_i, 1, _n)).doit()
    return unit * sp.simplify(total.rewrite(sp.polygamma))


@functools.cache
def derive_fresh_accumulate_term() -> sp.Expr:
    """Fresh designs, accumulate [exact]: the i-th increment's risk, sigma^2 d/(i (iT - d - 1)).

    With G_i = sum_{j<=i} X_j'X_j the stacked normal equations give G_i e_i = G_i e_{i-1} + X_i'E_i
    (the previous equations hold for e_{i-1}), so e_i = e_{i-1} + G_i^-1 X_i'E_i: independent
    zero-mean increments of risk sigma^2 E tr[G_i^-2 X_i'X_i] = sigma^2 E tr[G_i^-1]/i (the i
    batches are exchangeable in G_i), and G_i is Wishart with iT degrees of freedom.
    """
    unit = derive_noise_term().subs({sp.Symbol("m", positive=True, integer=True): _i * _T,
                                     sp.Symbol("s", nonnegative=True): _sigma,
                                     sp.Symbol("d", positive=True, integer=True): _d})
    return sp.simplify(unit / _i)


@functools.cache
def _fresh_term():
    return numeric(derive_fresh_accumulate_term(), [_d, _T, _i, _sigma])


def validate_fixed_design(*, d, T, n, sigma, policy: Policy | str = "replace",
                          design: str = "fixed") -> Grid:
    """Validate the chain of :func:`fixed_design_error` (shared with :mod:`sim.regression`):
    ``d`` >= 1, ``T`` >= d + 2, ``n`` >= 0, ``sigma`` >= 0 broadcast together; ``policy`` one of
    ``FIXED_DESIGN_POLICIES``, ``design`` one of ``DESIGNS`` (accumulate-subsample: fixed only)."""
    grid = Grid(dict(d=param("d", d, lo=1, integer=True), T=param("T", T, lo=1, integer=True),
                     n=param("n", n, lo=0, integer=True), sigma=param("sigma", sigma, lo=0)),
                dict(policy=as_policy(policy, FIXED_DESIGN_POLICIES),
                     design=choice("design", design, DESIGNS)))
    if np.any(grid["T"] < grid["d"] + 2):
        raise ValueError(f"T must be an integer >= d + 2 (finite OLS risk), got T = {T}, d = {d}")
    if grid.options["policy"].name == "accumulate-subsample" and grid.options["design"] != "fixed":
        raise ValueError("design must be 'fixed' for policy 'accumulate-subsample'")
    return grid


def fixed_design_error(*, d, T, n, sigma, policy: Policy | str = "replace",
                       design: str = "fixed") -> np.ndarray:
    """E ||w_n - w*||^2_Sigma after n iterations of the chain (Gerstgrasser et al.,
    arXiv:2404.01413, section 3; Dey and Donoho, arXiv:2410.22812; Kazdan et al.,
    arXiv:2410.16713).

    ``design="fixed"`` (one X for every iteration):
    * replace [exact]: n sigma^2 d/(T-d-1) (worked value d=10, T=50, sigma=1, n=10: 2.564103);
    * accumulate [exact]: sigma^2 d/(T-d-1) sum_{i<=n} 1/i^2 (0.397376; bound (pi^2/6) 0.256410 =
      0.421778);
    * accumulate-subsample [asymp, leading order in d/T]: sigma^2 d/(T-d-1) times
      :func:`theory.policy.derive_subsample_weights` (grows past accumulate and levels off near
      3 units, 2.93 at n = 400: the budget caps how much the growing pool averages out; checked
      by simulation).

    ``design="fresh"`` (a new X each iteration, fits on everything kept):
    * replace [exact]: the same n sigma^2 d/(T-d-1) (independent increments again);
    * accumulate [exact, derived here; GER and DD treat the fixed design]:
      sigma^2 sum_{i<=n} d/(i (iT - d - 1)), see :func:`derive_fresh_accumulate_term`; below the
      fixed-design value (each term is at most d/(i^2 (T-d-1))) and bounded by it.
    * accumulate-subsample is defined for the fixed design only.
    """
    grid = validate_fixed_design(d=d, T=T, n=n, sigma=sigma, policy=policy, design=design)
    b, pol, des = grid.arrays, grid.options["policy"], grid.options["design"]
    if pol.name == "accumulate-subsample":
        unit = _unit()(d=b["d"], T=b["T"], sigma=b["sigma"])
        return np.asarray(unit * derive_subsample_weights(int(b["n"].max()))[b["n"]],
                          dtype=np.float64)
    if pol.name == "accumulate" and des == "fresh":
        out = np.empty(b["n"].shape)
        for idx in np.ndindex(out.shape):
            i = np.arange(1.0, b["n"][idx] + 1)
            out[idx] = _fresh_term()(d=b["d"][idx], T=b["T"][idx], i=i, sigma=b["sigma"][idx]).sum()
        return out
    return np.asarray(_numeric(pol.name)(d=b["d"], T=b["T"], n=b["n"], sigma=b["sigma"]),
                      dtype=np.float64)


@functools.cache
def _numeric(policy: str):
    return numeric(derive_fixed_design_error(policy), [_d, _T, _n, _sigma])


@functools.cache
def _unit():
    return numeric(derive_fixed_design_error("replace").subs(_n, 1), [_d, _T, _sigma])
