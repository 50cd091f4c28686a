"""Benchmark registry and timing: ours against a straightforward NumPy reference, same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

__all__ = ["BENCHMARKS", "Result", "benchmark", "best_time", "plain"]

BENCHMARKS: dict[str, Callable[[bool], dict]] = {}


def benchmark(name: str):
    """Register ``fn(quick: bool) -> dict`` (see :func:`compare` for the dict it returns)."""

    def register(fn):
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} registered twice")
        BENCHMARKS[name] = fn
        return fn

    return register


def best_time(fn: Callable[[], object], *, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls (the first call, which compiles, is not counted)."""
    out = fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def plain(value: Any) -> Any:
    """``value`` with NumPy scalars and NumPy or JAX arrays made Python numbers, bools and lists,
    recursively through dicts, lists and tuples, so that :func:`json.dumps` accepts it."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray | jax.Array):
        return np.asarray(value).tolist()
    return value


@dataclass
class Result:
    """One benchmark's timings, measured in the same run.

    ``reference_s``: the published-style NumPy loop (over seeds and generations, raw data);
    ``vectorised_s``: the same algorithm as ours (sufficient statistics included) vectorised in
    NumPy, which separates what the mathematics buys from what JAX buys; ``floor_s``: the physical
    floor (:func:`bench._floor.floor_seconds`: the run's random numbers times the measured cost
    per draw, plus its matmul FLOPs over the measured rate).
    """

    name: str
    ours_s: float
    reference_s: float
    agree: bool
    details: dict
    vectorised_s: float | None = None
    floor_s: float | None = None

    @property
    def speedup(self) -> float:
        return self.reference_s / self.ours_s

    def as_dict(self) -> dict:
        """The result as a dict of plain Python values (JSON-serialisable, see :func:`plain`)."""
        ratios = {}
        if self.vectorised_s is not None:
            ratios["vectorised_s"] = self.vectorised_s
            ratios["vectorised_over_ours"] = self.vectorised_s / self.ours_s
        if self.floor_s is not None:
            ratios["floor_s"] = self.floor_s
            ratios["ours_over_floor"] = self.ours_s / self.floor_s
        return plain({"name": self.name, "ours_s": self.ours_s, "reference_s": self.reference_s,
                      "speedup": self.speedup, "agree": self.agree, **ratios, **self.details})
