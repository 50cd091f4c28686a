"""JAX's persistent compilation cache, turned on for every entry point.

The figure CLI, the benchmarks, the test suite and the notebooks compile many small XLA
programs; compiling them again in every process costs more than running them. With the
persistent cache on, a compiled executable is written to disk once and later processes load it
(JAX keys each entry by the program, the compile options including ``XLA_FLAGS``, the backend
and the jax/jaxlib versions, so an entry is never reused for a different build).

The directory is, in order of precedence: the ``path`` argument, the ``COLLAPSE_JAX_CACHE``
environment variable, ``./.cache/jax`` under the current working directory.
``COLLAPSE_JAX_CACHE=off`` (or ``0``) leaves the cache off.

Call :func:`enable_compilation_cache` before the first computation: JAX opens the cache at its
first compilation and does not look at the settings again.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

__all__ = ["ENV", "enable_compilation_cache"]

ENV = "COLLAPSE_JAX_CACHE"
_OFF = frozenset({"off", "0"})
_enabled: Path | None = None


def enable_compilation_cache(path: str | os.PathLike | None = None) -> Path | None:
    """Turn on JAX's persistent compilation cache; return its directory (None when off).

    Every compiled program is cached, however quickly it compiled and however small it is: the
    test suite and the figures consist mostly of programs that compile in well under a second,
    and those are the ones a cache saves most on in total.

    Idempotent: without ``path``, a second call keeps the directory chosen by the first (so a
    notebook run inside the test suite uses the suite's directory). With ``path``, the setting
    is updated; it takes effect only if JAX has not compiled anything yet.
    """
    global _enabled
    env = os.environ.get(ENV, "").strip()
    if env.lower() in _OFF:
        return None
    if path is None:
        if _enabled is not None:
            return _enabled
        path = env or Path.cwd() / ".cache" / "jax"
    directory = Path(path).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    # -1: no minimum entry size, and no backend may raise it (0 would let one do so).
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    _enabled = directory
    return directory
