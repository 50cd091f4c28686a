"""Cached, resumable simulation calls for the figure scripts.

``run(sim_function, seed=0, **kwargs)`` returns what
``sim_function(jax.random.key(seed), **kwargs)`` returns, from the cache when an entry with the
same full configuration exists. Entries are written atomically (temporary file, then rename),
carry a checksum, and record their configuration, JAX version, device, x64 flag and wall time; a
damaged entry is detected and recomputed. An interrupted figure run therefore resumes from the
last finished simulation call.

The key includes a version of the code, :func:`code_version`: a SHA-256 over every source file
of the ``sim`` and ``theory`` packages, so an edit to a simulator (or to a theory function it
calls) makes every entry computed before it a miss instead of a stale hit. ``Runner(fresh=True)``
recomputes every call and overwrites its entry.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from sim import Estimate

__all__ = ["CODE_PACKAGES", "DEFAULT_CACHE", "Runner", "code_version"]

CODE_PACKAGES = ("sim", "theory")
#: Under the working directory (never inside an installed package), or ``COLLAPSE_CACHE``.
DEFAULT_CACHE = Path(os.environ.get("COLLAPSE_CACHE", Path.cwd() / ".cache" / "paper_figures"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


@functools.cache
def code_version() -> str:
    """SHA-256 (hex) over the sources of :data:`CODE_PACKAGES`, computed once per process.

    Every ``.py`` file under each package directory is hashed in sorted order of its path
    relative to the package's parent (``sim/regression/chain.py``), path and contents each
    prefixed by their length, so renaming, adding or removing a file changes the version too.
    """
    files: list[tuple[str, Path]] = []
    for package in CODE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"package {package!r} not found")
        for location in spec.submodule_search_locations:
            root = Path(location)
            files += [((Path(package) / f.relative_to(root)).as_posix(), f)
                      for f in root.rglob("*.py")]
    h = hashlib.sha256()
    for rel, file in sorted(files):
        data = file.read_bytes()
        for part in (rel.encode(), data):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
    return h.hexdigest()


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(arrays):
        h.update(k.encode())
        h.update(np.ascontiguousarray(arrays[k]).tobytes())
    return h.hexdigest()


class Runner:
    """Calls simulators through an on-disk cache keyed by the full configuration.

    ``cache_dir=None`` turns the cache off; ``fresh=True`` ignores existing entries, recomputes
    every call and overwrites the entries with the new results.
    """

    def __init__(self, cache_dir: Path | str | None = DEFAULT_CACHE, *,
                 log: Callable | None = None, fresh: bool = False):
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.log = log or (lambda msg: None)
        self.fresh = fresh
        self.calls = 0
        self.hits = 0

    def config(self, fn: Callable, seed: int, kwargs: dict) -> dict:
        """The cache key's content: function, seed, arguments, precision and code version."""
        return {
            "function": f"{fn.__module__}.{fn.__qualname__}",
            "seed": int(seed),
            "kwargs": _jsonable(kwargs),
            "x64": bool(jax.config.jax_enable_x64),
            "code": code_version(),
        }

    def __call__(self, fn: Callable, *, seed: int = 0, **kwargs) -> Any:
        """``fn(jax.random.key(seed), **kwargs)``, from the cache when possible."""
        self.calls += 1
        config = self.config(fn, seed, kwargs)
        text = json.dumps(config, sort_keys=True)
        name = f"{fn.__name__}-{hashlib.sha256(text.encode()).hexdigest()[:20]}.npz"
        path = None if self.cache_dir is None else self.cache_dir / name
        if path is not None and not self.fresh and path.exists():
            cached = self._load(path, text)
            if cached is not None:
                self.hits += 1
                return cached
            self.log(f"damaged cache entry {path.name}: recomputing")
        start = time.perf_counter()
        result = fn(jax.random.key(seed), **kwargs)
        wall = time.perf_counter() - start
        self.log(f"{fn.__name__}({', '.join(f'{k}={v}' for k, v in kwargs.items())}): {wall:.1f}s")
        if path is not None:
            self._save(path, text, result, wall)
        return result

    @staticmethod
    def _arrays(result) -> tuple[str, dict[str, np.ndarray]]:
        if isinstance(result, Estimate):
            fields = {"mean": result.mean, "stderr": result.stderr, "seeds": result.seeds}
            return "Estimate", {k: np.asarray(v) for k, v in fields.items()}
        if isinstance(result, dict):
            return "dict", {k: np.asarray(v) for k, v in result.items()}
        return "array", {"value": np.asarray(result)}

    def _save(self, path: Path, text: str, result, wall: float) -> None:
        kind, arrays = self._arrays(result)
        meta = {
            "config": json.loads(text),
            "kind": kind,
            "digest": _digest(arrays),
            "code": json.loads(text)["code"],
            "jax": jax.__version__,
            "device": str(jax.devices()[0].device_kind),
            "devices": jax.device_count(),
            "wall_s": wall,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @staticmethod
    def _load(path: Path, text: str):
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["__meta__"]))
                arrays = {k: data[k] for k in data.files if k != "__meta__"}
        except Exception:
            return None
        if meta.get("config") != json.loads(text) or meta.get("digest") != _digest(arrays):
            return None
        if meta["kind"] == "Estimate":
            return Estimate(arrays["mean"], arrays["stderr"], int(arrays["seeds"]))
        if meta["kind"] == "dict":
            return arrays
        return arrays["value"]
