"""What the next generation trains on: the one data-policy concept shared by every chain.

A :class:`Policy` is accepted (as the object or its name) by the regression fixed-design chain
(:func:`theory.regression.fixed_design_error`), the Gaussian refitting chain
(:mod:`theory.gaussian`) and the categorical (Wright-Fisher) chain (:mod:`theory.discrete`),
and by their simulator twins.

* ``replace``: generation i trains only on the data generation i-1 produced (SHU, DFK).
* ``accumulate``: generation i trains on all data produced so far, real data included (GER, DD).
* ``accumulate-subsample``: a fixed budget, the size of one generation's data, drawn uniformly
  without replacement from the growing pool (KAZ, "Collapse or Thrive?", section 2).
* ``mix``: a fixed share ``real`` of each training set is fresh real data, the rest synthetic from
  the previous generation (SMC; KAZ's mixing). ``mix(real=0)`` is ``replace``.
* ``weighted``: fresh real data (n points) and synthetic data (n/k points) are both kept, and the
  estimate is ``w * real + (1 - w) * synthetic`` (HXC, "Recursive Learning Without Collapse").
* ``fixed-real``: one real sample, drawn once, is kept in every training set, together with
  ``ratio`` times as many synthetic points from the previous generation (Bertrand et al., "On the
  Stability of Iterative Retraining of Generative Models on their Own Data", ICLR 2024,
  arXiv:2310.00429, their lambda; Alemohammad et al.'s "synthetic augmentation" loop).

Each model supports the policies for which it is defined; asking a model for another one raises a
``ValueError`` that lists the ones it accepts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from theory.domain import choice, param

__all__ = ["POLICY_NAMES", "Policy", "as_policy", "derive_subsample_weights"]

_PRINTED = re.compile(r"(mix|weighted|fixed-real)\((.*)\)")
POLICY_NAMES: tuple[str, ...] = ("replace", "accumulate", "accumulate-subsample", "mix",
                                 "weighted", "fixed-real")
#: Policies that take parameters (given as ``Policy.<name>(...)`` or their printed form).
_PARAMETRISED = ("mix", "weighted", "fixed-real")


@dataclass(frozen=True)
class Policy:
    """A data policy. Build it with the class methods, or pass its name where a model takes one.

    ``real`` is the share of real data (``mix``) or the weight on the real estimate (``weighted``);
    ``k`` is the real-to-synthetic size ratio of ``weighted`` (n real points, n/k synthetic);
    ``ratio`` is the synthetic-to-real size ratio of ``fixed-real``.
    """

    name: str
    real: float = 0.0
    k: float = 1.0
    ratio: float = 0.0

    def __post_init__(self) -> None:
        choice("policy", self.name, POLICY_NAMES)
        if self.name == "mix":
            object.__setattr__(self, "real", float(param("real", self.real, lo=0, hi=1)))
        elif self.name == "weighted":
            object.__setattr__(self, "real", float(param("real", self.real, lo=0, lo_open=True,
                                                         hi=1)))
            object.__setattr__(self, "k", float(param("k", self.k, lo=0, lo_open=True)))
        if self.name == "fixed-real":
            object.__setattr__(self, "ratio", float(param("ratio", self.ratio, lo=0)))
        elif self.ratio != 0.0:
            raise ValueError(f"policy {self.name!r} takes no 'ratio' parameter")
        if self.name not in ("mix", "weighted") and (self.real, self.k) != (0.0, 1.0):
            raise ValueError(f"policy {self.name!r} takes no 'real' or 'k' parameter")

    @classmethod
    def replace(cls) -> Policy:
        return cls("replace")

    @classmethod
    def accumulate(cls) -> Policy:
        return cls("accumulate")

    @classmethod
    def accumulate_subsample(cls) -> Policy:
        return cls("accumulate-subsample")

    @classmethod
    def mix(cls, real: float) -> Policy:
        """A share ``real`` in [0, 1] of each training set is fresh real data."""
        return cls("mix", real=real)

    @classmethod
    def weighted(cls, w: float, k: float = 1.0) -> Policy:
        """HXC: estimate ``w * real + (1 - w) * synthetic``, n real and n/k synthetic points."""
        return cls("weighted", real=w, k=k)

    @classmethod
    def fixed_real(cls, ratio: float) -> Policy:
        """A real sample drawn once is kept; each generation adds ``ratio`` (>= 0) times as many
        synthetic points (Bertrand et al.'s lambda)."""
        return cls("fixed-real", ratio=ratio)

    def __str__(self) -> str:
        if self.name == "mix":
            return f"mix(real={self.real:g})"
        if self.name == "weighted":
            return f"weighted(w={self.real:g}, k={self.k:g})"
        if self.name == "fixed-real":
            return f"fixed-real(ratio={self.ratio:g})"
        return self.name


def as_policy(policy: Policy | str, allowed: tuple[str, ...] = POLICY_NAMES) -> Policy:
    """Turn a name or a :class:`Policy` into a :class:`Policy` whose name is in ``allowed``.

    Parametrised policies are given as the object or as its printed form (``"mix(real=0.2)"``,
    ``"weighted(w=0.6, k=2)"``, ``"fixed-real(ratio=1)"``), which keeps configurations
    JSON-friendly. The error lists the valid names. The policies are those of the papers
    listed in the module docstring (replace and accumulate: Gerstgrasser et al., arXiv
    2404.01413, Section 3; accumulate-subsample: Kazdan et al., arXiv 2410.16713, Section 2;
    fixed-real: Bertrand et al., arXiv 2310.00429; docs/theory/policies.md).

    Args:
        policy: a :class:`Policy`, a name of ``POLICY_NAMES`` or a parametrised policy's printed
            form.
        allowed: the names the calling model accepts, a subset of ``POLICY_NAMES`` (default:
            all).

    Returns:
        The :class:`Policy`.

    Raises:
        ValueError: the name is unknown, not in ``allowed``, or its parameters are malformed.
    """
    if isinstance(policy, str) and (found := _PRINTED.fullmatch(policy.replace(" ", ""))):
        name, args = found.groups()
        try:
            values = {k: float(v) for k, v in (a.split("=") for a in args.split(",") if a)}
            build = {"mix": Policy.mix, "weighted": Policy.weighted,
                     "fixed-real": Policy.fixed_real}[name]
            policy = build(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"policy {policy!r} is malformed: {exc}") from exc
    if isinstance(policy, str):
        choice("policy", policy, [a for a in allowed if a not in _PARAMETRISED]
               + [f"Policy.{a.replace('-', '_')}(...)" for a in allowed if a in _PARAMETRISED])
        policy = Policy(policy)
    if not isinstance(policy, Policy):
        raise ValueError(f"policy must be a Policy or one of {', '.join(map(repr, allowed))}; "
                         f"got {policy!r}")
    choice("policy", policy.name, allowed)
    return policy


@functools.cache
def derive_subsample_weights(n_max: int) -> np.ndarray:
    """accumulate-subsample's risk factors for n = 0..n_max [asymp: leading order], in units of
    one fit's risk v: the common small-fit limit (1/M -> 0 for the Gaussian mean, d/T -> 0 for
    the fixed-design regression) of the exact finite-M Gaussian recursion
    (:func:`theory.gaussian.mean_drift`) and of the regression's row-cavity theory
    (:func:`theory.regression.fixed_design_error`), which the figures draw it against.

    To leading order (the share of the budget each past batch gets replaced by its mean 1/i) the
    error of generation i obeys e_i = (1/i) sum_{j<i} e_j + eta_i (e_0 = 0), where eta_i is the
    noise of the budget drawn at generation i: Var eta_i = v, and two generations k < i select
    the same data point with probability 1/i, so Cov(eta_i, eta_k) = v/i. Writing
    e_i = sum_l B_il eta_l, the risk is (B C B')_ii with C_lk = 1/max(l, k) (l != k), C_ll = 1.
    Values: 0, 1, 7/4, ... rising past accumulate's sum 1/i^2 and levelling off near 3.
    The neglected fluctuation of the shares is O(v) relative (d/T for regression, 1/M for the
    Gaussian mean).
    """
    B = np.zeros((n_max + 1, n_max + 1))
    for i in range(1, n_max + 1):
        B[i] = B[:i].sum(axis=0) / i
        B[i, i] += 1.0
    idx = np.arange(1, n_max + 1)
    C = np.zeros((n_max + 1, n_max + 1))
    C[1:, 1:] = 1.0 / np.maximum(idx[:, None], idx[None, :])
    np.fill_diagonal(C[1:, 1:], 1.0)
    return np.einsum("il,lk,ik->i", B, C, B)
