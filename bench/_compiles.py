"""``python -m bench._compiles [NAME ...] [--scale quick]``: XLA compilations per figure.

Builds the named figures (default: all) in one process, in order, with no results cache and the
persistent compilation cache off, and prints how many programs XLA compiled for each (JAX's
``/jax/core/compile/backend_compile_duration`` event) and the seconds spent compiling them.
Programs already compiled for an earlier figure of the same run are not compiled again, as in
``make figures``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["count_compilations", "main"]

_EVENT = "/jax/core/compile/backend_compile_duration"


def count_compilations(names: list[str], *, scale: str) -> list[dict]:
    """For each figure: ``{"figure", "compilations", "compile_s", "wall_s"}``."""
    import jax

    from paper_figures.__main__ import render

    events: list[float] = []

    def listen(event: str, seconds: float, **_) -> None:
        if event == _EVENT:
            events.append(seconds)

    jax.monitoring.register_event_duration_secs_listener(listen)
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for name in names:
            before, start = len(events), time.perf_counter()
            render([name], scale=scale, out=Path(out), cache=None, quiet=True)
            rows.append({"figure": name, "compilations": len(events) - before,
                         "compile_s": round(sum(events[before:]), 2),
                         "wall_s": round(time.perf_counter() - start, 2)})
    return rows


def main(argv: list[str] | None = None) -> int:
    os.environ["COLLAPSE_JAX_CACHE"] = "off"  # count compilations, not cache loads
    import jax

    import sim  # noqa: F401  (before any computation: sets the XLA:CPU scheduler flag)
    from paper_figures import FIGURES, SCALES

    parser = argparse.ArgumentParser(prog="python -m bench._compiles", description=__doc__)
    parser.add_argument("names", nargs="*", help="figures (default: all)")
    parser.add_argument("--scale", choices=SCALES, default="quick")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    rows = count_compilations(args.names or list(FIGURES), scale=args.scale)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for row in rows:
            print(f"{row['figure']:32s} {row['compilations']:4d} compilations "
                  f"{row['compile_s']:7.1f} s compiling  {row['wall_s']:7.1f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
