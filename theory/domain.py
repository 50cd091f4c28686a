"""Parameter validation shared by every theory function and its simulator twin.

Each public function validates its keyword arguments here, so that out-of-domain input raises a
``ValueError`` naming the parameter and its valid range instead of returning NaN or a wrong number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Grid", "broadcast", "choice", "param"]


def _describe(lo, hi, lo_open, hi_open, integer) -> str:
    kind = "an integer" if integer else "a real number"
    if lo is not None and hi is not None:
        left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
        return f"{kind} in {left}{lo}, {hi}{right}"
    if lo is not None:
        return f"{kind} {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f"{kind} {'<' if hi_open else '<='} {hi}"
    return f"a finite {kind[2:] if integer else 'real number'}"


def param(
    name: str,
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    integer: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float64 (or int64) array after checking its domain elementwise.

    Bounds may be arrays that broadcast against ``value`` (e.g. ``T > d + 1``); the message then
    names the bound as given in ``lo``/``hi``'s ``repr`` unless a scalar.

    Args:
        name: the parameter's name, used in the error message.
        value: a number or an array-like.
        lo: lower bound (None: unbounded), a scalar or an array broadcasting against ``value``.
        hi: upper bound (None: unbounded).
        lo_open: exclude ``lo`` itself.
        hi_open: exclude ``hi`` itself.
        integer: require integer values (returned as int64).
        allow_inf: accept +inf (otherwise every value must be finite).

    Returns:
        The checked array.

    Raises:
        ValueError: a value outside the domain, naming ``name`` and the valid range.
    """
    what = _describe(
        lo if np.ndim(lo) == 0 else "the bound",
        hi if np.ndim(hi) == 0 else "the bound",
        lo_open,
        hi_open,
        integer,
    )
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be {what}, got {value!r}") from exc
    if arr.dtype == bool or arr.dtype.kind not in "iuf" or arr.size == 0:
        raise ValueError(f"{name} must be {what}, got {value!r}")
    arr = arr.astype(np.float64)
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if integer:
        bad |= np.isfinite(arr) & (arr != np.round(arr))
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= (arr >= hi) if hi_open else (arr > hi)
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else arr
        raise ValueError(f"{name} must be {what}, got {first!r}")
    return arr.astype(np.int64) if integer and np.all(np.isfinite(arr)) else arr


def choice(name: str, value: Any, options: Iterable[str]) -> str:
    """Check that ``value`` is one of ``options``; the error lists the valid values.

    Args:
        name: the parameter's name, used in the error message.
        value: the given value.
        options: the valid strings.

    Returns:
        ``value``.

    Raises:
        ValueError: ``value`` is not one of ``options``.
    """
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def broadcast(**arrays: np.ndarray) -> dict[str, np.ndarray]:
    """Broadcast named arrays together; a shape mismatch names the offending parameters."""
    try:
        out = np.broadcast_arrays(*arrays.values())
    except ValueError as exc:
        shapes = ", ".join(f"{k}{np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"parameters do not broadcast together: {shapes}") from exc
    return dict(zip(arrays, out))


@dataclass(frozen=True)
class Grid:
    """Validated arguments: ``arrays`` broadcast to one shape (the theory's), ``options`` the
    non-array choices (policy, estimator, ...), as the theory twin's validator returns them."""

    arrays: Mapping[str, np.ndarray]
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arrays", broadcast(**self.arrays) if self.arrays else {})

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def max(self, name: str) -> float:
        """Largest value of one array over the grid (shapes shared by a whole sweep)."""
        return float(np.max(self.arrays[name]))

    @property
    def shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(*(np.shape(v) for v in self.arrays.values())) \
            if self.arrays else ()

    def points(self) -> list[dict[str, Any]]:
        """Every grid point (C order) as a dict of Python scalars."""
        shape = self.shape
        flat = {k: np.broadcast_to(v, shape).reshape(-1) for k, v in self.arrays.items()}
        return [{k: v[i].item() for k, v in flat.items()} for i in range(math.prod(shape))]
