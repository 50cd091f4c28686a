"""``python -m theory.fit CURVES.csv --law NAME [--plot OUT.png] [--fix name=value ...]``.

Reads a CSV with a header: columns ``T`` and ``error``, optionally ``stderr`` (weighted fit) and
``group`` (one curve per group; ``--shared`` names the parameters common to the groups). Prints
the fit table; ``--plot`` draws the data, the fitted curve with its 95% band and its
extrapolation (two decades beyond the data) on log-log axes.
"""

from __future__ import annotations

import argparse
import csv
import sys

import numpy as np

from theory.fit import LAWS, fit_curves


def _read(path: str) -> dict[str, list[str]]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ValueError(f"{path} has no data rows")
    cols = {k.strip(): [r[k] for r in rows] for k in rows[0]}
    for need in ("T", "error"):
        if need not in cols:
            raise ValueError(f"{path} must have a column {need!r} (columns: {', '.join(cols)})")
    return cols


def _fixed(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--fix must be name=value, got {item!r}")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            out[name.strip()] = value.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m theory.fit", description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--law", required=True, choices=sorted(LAWS))
    ap.add_argument("--fix", nargs="*", default=[], metavar="NAME=VALUE")
    ap.add_argument("--shared", nargs="*", default=[], metavar="NAME")
    ap.add_argument("--plot", metavar="OUT.png")
    args = ap.parse_args(argv)
    cols = _read(args.csv)
    fixed = _fixed(args.fix)
    groups = cols.get("group", ["all"] * len(cols["T"]))
    curves = []
    for g in dict.fromkeys(groups):
        sel = [i for i, gi in enumerate(groups) if gi == g]
        curve = dict(fixed, label=g, T=[float(cols["T"][i]) for i in sel],
                     error=[float(cols["error"][i]) for i in sel])
        if "stderr" in cols:
            curve["stderr"] = [float(cols["stderr"][i]) for i in sel]
        curves.append(curve)
    fit = fit_curves(curves, args.law, shared=tuple(args.shared))
    print(fit)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4.2))
        for ci, c in enumerate(curves):
            T, y = np.asarray(c["T"]), np.asarray(c["error"])
            color = f"C{ci}"
            ax.errorbar(T, y, yerr=2 * np.asarray(c["stderr"]) if "stderr" in c else None,
                        fmt="o", ms=3, color=color, label=f"data {c['label']}")
            grid = np.logspace(np.log10(T.min()), np.log10(T.max()) + 2, 200)
            f, lo, hi = fit.predict(grid, curve=ci)
            inside = grid <= T.max()
            ax.plot(grid[inside], f[inside], color=color)
            ax.plot(grid[~inside], f[~inside], color=color, ls="--")
            ax.fill_between(grid, lo, hi, color=color, alpha=0.2, lw=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("T")
        ax.set_ylabel("test error")
        ax.set_title(f"{args.law} fit (band: 95%; dashed: extrapolation)", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=130)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
