"""Benchmarks: each simulator against a plain NumPy implementation of the same experiment.

Every module here not starting with ``_`` registers benchmarks with
:func:`bench._registry.benchmark`; ``python -m bench [--quick] [--json]`` runs them.
"""

import importlib
import pkgutil

from bench._registry import BENCHMARKS, Result, benchmark, best_time

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["BENCHMARKS", "Result", "benchmark", "best_time"]
