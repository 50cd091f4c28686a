"""``python -m paper_figures [NAME ...] [--scale smoke|quick|paper] [--list]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax

GALLERY = Path(__file__).resolve().parent / "gallery"


def render(names, *, scale: str, out: Path, cache, quiet: bool = False) -> list[Path]:
    """Build the named figures, write PNG and PDF to ``out``; return the PNG paths."""
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from paper_figures import FIGURES
    from paper_figures._cache import Runner

    out.mkdir(parents=True, exist_ok=True)
    bar = tqdm(names, desc="figures", unit="fig", disable=quiet, file=sys.stderr)
    runner = Runner(cache, log=(lambda m: None) if quiet else bar.write)
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


def main(argv=None) -> int:
    from paper_figures import FIGURES, SCALES
    from paper_figures._cache import DEFAULT_CACHE

    parser = argparse.ArgumentParser(prog="python -m paper_figures", description=__doc__)
    parser.add_argument("names", nargs="*", help="figures to build (default: all)")
    parser.add_argument("--scale", choices=SCALES, default="quick")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    parser.add_argument("--out", type=Path, default=GALLERY)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--float32", action="store_true", help="simulate in float32 (default 64)")
    args = parser.parse_args(argv)
    if args.list:
        for spec in FIGURES.values():
            print(f"{spec.name:28s} {spec.title}")
        return 0
    unknown = [n for n in args.names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; --list shows the names")
    jax.config.update("jax_enable_x64", not args.float32)
    render(args.names or list(FIGURES), scale=args.scale, out=args.out,
           cache=None if args.no_cache else args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
