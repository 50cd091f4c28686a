"""``python -m paper_figures [NAME ...] [--scale smoke|quick|paper] [--fresh] [--list]``.

Simulation results are cached under ``--cache`` (keyed by configuration and code version, see
:mod:`paper_figures._cache`); ``--fresh`` recomputes the named figures' results and overwrites
their entries. Compiled programs are cached separately by JAX's persistent compilation cache
(``COLLAPSE_JAX_CACHE``, see :mod:`sim._compilation_cache`), which ``--fresh`` keeps.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax

import sim  # noqa: F401  (before any computation: sets the XLA:CPU scheduler flag)
from sim._compilation_cache import enable_compilation_cache

__all__ = ["GALLERY", "main", "render"]

GALLERY = Path(__file__).resolve().parent / "gallery"


def render(names, *, scale: str, out: Path, cache, quiet: bool = False,
           fresh: bool = False) -> list[Path]:
    """Build the named figures, write PNG and PDF to ``out``; return the PNG paths.

    ``cache`` is the results cache directory (None: no cache); ``fresh`` recomputes every
    simulation call and overwrites its cache entry.
    """
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from paper_figures import FIGURES
    from paper_figures._cache import Runner

    out.mkdir(parents=True, exist_ok=True)
    bar = tqdm(names, desc="figures", unit="fig", disable=quiet, file=sys.stderr)
    runner = Runner(cache, log=(lambda m: None) if quiet else bar.write, fresh=fresh)
    written = []
    for name in bar:
        bar.set_postfix_str(name)
        start = time.perf_counter()
        fig = FIGURES[name].build(runner, scale)
        for ext in ("png", "pdf"):
            fig.savefig(out / f"{name}.{ext}", dpi=130)
        plt.close(fig)
        written.append(out / f"{name}.png")
        bar.write(f"{name}: {time.perf_counter() - start:.1f}s -> {out / name}.png") if not quiet \
            else None
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    from paper_figures import FIGURES, SCALES
    from paper_figures._cache import DEFAULT_CACHE

    parser = argparse.ArgumentParser(prog="python -m paper_figures", description=__doc__)
    parser.add_argument("names", nargs="*", help="figures to build (default: all)")
    parser.add_argument("--scale", choices=SCALES, default="quick")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    parser.add_argument("--out", type=Path, default=GALLERY)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write results")
    parser.add_argument("--fresh", action="store_true",
                        help="recompute the named figures' results (default: all figures) and "
                             "overwrite their cache entries; compiled programs stay cached")
    parser.add_argument("--float32", action="store_true", help="simulate in float32 (default 64)")
    args = parser.parse_args(argv)
    if args.list:
        for spec in FIGURES.values():
            print(f"{spec.name:28s} {spec.title}")
        return 0
    unknown = [n for n in args.names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; --list shows the names")
    enable_compilation_cache()
    jax.config.update("jax_enable_x64", not args.float32)
    render(args.names or list(FIGURES), scale=args.scale, out=args.out,
           cache=None if args.no_cache else args.cache, fresh=args.fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
