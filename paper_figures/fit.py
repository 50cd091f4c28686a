"""Fitting collapse laws to simulated tail-cut curves: the naive ``A T^-c + floor`` law against
the exact tail-cut law of ToT (Dohmatob et al., "A Tale of Tails", ICML 2024), both extrapolated
two decades beyond the data with their 95% bands (:mod:`theory.fit`).
"""

from __future__ import annotations

import warnings

import numpy as np

import sim.zipf as sz
import theory.zipf as tz
from paper_figures._registry import figure, pick
from paper_figures._style import colors, new_figure
from theory.fit import fit_curve


@figure("fit_tail_cut", "Fitting a tail-cut curve: the naive power law plus floor against the "
                        "exact law, extrapolated")
def fit_tail_cut(run, scale):
    beta, k = 1.8, 100
    N = pick(scale, smoke=2**12, quick=2**16, paper=2**20)
    seeds = pick(scale, smoke=16, quick=64, paper=400)
    n_sim = pick(scale, smoke=6, quick=10, paper=16)
    T = np.round(np.logspace(1, 5.5, n_sim))
    est = run(sz.tail_cut_error, seed=7, beta=beta, T=T, k=k, N=N, seeds=seeds)
    mean = np.asarray(est.mean)
    se = np.maximum(np.asarray(est.stderr), 5e-3 * mean)  # all seeds on the plateau: no spread
    grid = np.logspace(1, 7.5, 120)
    fig, axes = new_figure(2, width=4.6)
    truth = tz.tail_cut_error(beta=beta, T=grid, k=k, N=N)
    for ax, law, col in zip(axes, ("power_law_floor", "zipf_tail_cut"), colors(2)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_curve(T=T, error=mean, stderr=se, law=law)
        f, lo, hi = fit.predict(grid)
        ax.plot(grid, truth, color="0.6", lw=3, alpha=0.5, label="exact theory")
        ax.errorbar(T, mean, yerr=2 * se, fmt="o", ms=3, color="k", label="simulation")
        inside = grid <= T.max()
        ax.plot(grid[inside], f[inside], color=col, label=f"fit: {law}")
        ax.plot(grid[~inside], f[~inside], color=col, ls="--", label="extrapolation")
        ax.fill_between(grid, lo, hi, color=col, alpha=0.25, lw=0)
        p = fit.params
        text = (f"c = {p['c']:.3f} (1-1/beta = {1 - 1 / beta:.3f})" if law == "power_law_floor"
                else f"beta = {p['beta']:.3f} (true {beta})")
        ax.set_title(f"{law}: {text}\nreduced chi2 = {fit.reduced_chi2:.2f}", fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("T (training samples)")
        ax.set_ylabel("test error")
        ax.legend(fontsize=6)
    return fig
