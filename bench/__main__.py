"""``python -m bench [NAME ...] [--quick] [--json]``: speed against NumPy references, same run."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Any

import jax
import numpy as np

import sim  # noqa: F401  (before any computation: sets the XLA:CPU scheduler flag)
from bench._registry import plain
from sim._compilation_cache import enable_compilation_cache

__all__ = ["main"]


def _cell(name: str, value) -> str:
    return f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"


def _json_default(value: Any) -> Any:
    """``default=`` for :func:`json.dumps`: anything array-like that :func:`plain` missed."""
    if isinstance(value, np.generic | np.ndarray | jax.Array):
        return plain(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns 0 when every benchmark agrees with its reference."""
    from bench import BENCHMARKS

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke test)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of results")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; --list shows the names")
    enable_compilation_cache()
    results = []
    for name in args.names or list(BENCHMARKS):
        start = time.perf_counter()
        res = BENCHMARKS[name](args.quick).as_dict()
        res["wall_s"] = time.perf_counter() - start  # compilation and references included
        res["device"] = jax.devices()[0].device_kind
        res["machine"] = f"{platform.machine()} {platform.processor() or ''}".strip()
        results.append(res)
        if not args.json:
            extra = ""
            if "vectorised_s" in res:
                extra += f"  numpy-vectorised {res['vectorised_over_ours']:7.1f}x"
            if "floor_s" in res:
                extra += f"  ours/floor {res['ours_over_floor']:7.1f}"
            print(f"{name:36s} ours {res['ours_s']:9.4f}s  numpy {res['reference_s']:9.4f}s  "
                  f"speedup {res['speedup']:8.1f}x{extra}  agree={res['agree']}  "
                  f"(wall {res['wall_s']:.0f}s)", flush=True)
            for row in res.get("rows", []):
                print("    " + "  ".join(_cell(k, v) for k, v in row.items() if v is not None))
    if args.json:
        print(json.dumps(plain(results), indent=1, default=_json_default))
    return 0 if all(r["agree"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
