"""Shared plotting conventions: theory as lines, simulation as markers with +-2 stderr bars."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim import Estimate


def new_figure(ncols: int = 1, *, width: float = 5.0, height: float = 3.8):
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False,
                             layout="constrained")
    return fig, list(axes[0])


def theory_line(ax, x, y, *, label=None, color=None, **kw):
    return ax.plot(x, y, "-", color=color, label=label, lw=1.6, **kw)[0]


def sim_markers(ax, x, est: Estimate, *, color=None, label=None, marker="o", **kw):
    """Simulation means with +-2 standard-error bars."""
    return ax.errorbar(x, est.mean, yerr=2 * np.asarray(est.stderr), fmt=marker, ms=4,
                       color=color, label=label, capsize=2, lw=1, **kw)


def fit_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def annotate_slope(ax, x, y, *, text: str | None = None, color=None, where: float = 0.6):
    """Write the fitted log-log slope next to the curve (at fraction ``where`` along it)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i = int(where * (len(x) - 1))
    ax.annotate(text or f"slope {fit_slope(x, y):.2f}", (x[i], y[i]), textcoords="offset points",
                xytext=(4, 6), fontsize=8, color=color)


def colors(n: int):
    return [plt.cm.viridis(v) for v in np.linspace(0.0, 0.85, n)]
