"""Regression collapse figures (Dohmatob, Feng, Kempe, NeurIPS 2024; docs/theory/regression.md)."""

from __future__ import annotations

import numpy as np

from paper_figures._registry import figure, pick
from paper_figures._style import (
    annotate_slope,
    colors,
    fit_slope,
    new_figure,
    sim_markers,
    theory_line,
)
from sim import regression as S
from theory import regression as R


@figure("regression_ridge_lambda", "Isotropic ridge: test error against lam for n generations")
def ridge_lambda(run, scale):
    d = pick(scale, smoke=10, quick=50, paper=100)
    T, T0 = 2 * d, 3 * d
    seeds = pick(scale, smoke=50, quick=400, paper=2000)
    ns = (0, 1, 2, 4)
    lam_line = np.logspace(-2.5, 1.5, 200)
    lam_sim = np.logspace(-2, 1, pick(scale, smoke=3, quick=7, paper=10))
    kw = dict(d=d, T=T, T0=T0, sigma=1.0, sigma0=1.0, w0_norm=1.0)
    fig, (ax,) = new_figure()
    for n, c in zip(ns, colors(len(ns))):
        line = R.isotropic_ridge_test_error(n=n, lam=lam_line, **kw)
        theory_line(ax, lam_line, line, color=c, label=f"n = {n}")
        ax.plot(lam_line[np.argmin(line)], line.min(), "v", color=c, ms=7)
        sim_markers(ax, lam_sim, run(S.isotropic_ridge_test_error, seed=n, n=n, lam=lam_sim,
                                     seeds=seeds, **kw), color=c)
    ax.set(xscale="log", yscale="log", xlabel="ridge penalty lam", ylabel="test error",
           title=f"U-shape; optimum (v) moves right with n\nd={d}, T={T}, T0={T0}, "
                 f"sigma=sigma0=1, |w0|=1")
    ax.legend(title="lines: theory, dots: simulation", fontsize=8)
    return fig


@figure("regression_error_vs_n", "Test error grows linearly with the number of generations")
def error_vs_n(run, scale):
    d = pick(scale, smoke=10, quick=30, paper=100)
    seeds = pick(scale, smoke=50, quick=1000, paper=4000)
    n = np.arange(pick(scale, smoke=3, quick=10, paper=20) + 1)
    fig, (a1, a2) = new_figure(2)
    for T0, c in zip((2 * d, 4 * d), colors(2)):
        kw = dict(d=d, T=2 * d, T0=T0, n=n, sigma=1.0, sigma0=1.0)
        theory_line(a1, n, R.ols_test_error(**kw), color=c, label=f"T0 = {T0}")
        sim_markers(a1, n, run(S.ols_test_error, seed=T0, seeds=seeds, **kw), color=c)
    a1.set(xlabel="generations n", ylabel="test error",
           title=f"OLS [exact]: sigma^2 d/(T-d-1) + n sigma0^2 d/(T0-d-1)\nd={d}, T={2 * d}")
    for lam, c in zip((0.1, 1.0), colors(2)):
        kw = dict(d=d, T=2 * d, T0=2 * d, n=n, lam=lam, sigma=1.0, sigma0=1.0, w0_norm=1.0)
        theory_line(a2, n, R.isotropic_ridge_test_error(**kw), color=c, label=f"lam = {lam}")
        sim_markers(a2, n, run(S.isotropic_ridge_test_error, seed=int(10 * lam), seeds=seeds,
                               **kw), color=c)
    a2.set(xlabel="generations n", ylabel="test error",
           title=f"ridge [deterministic equivalent]\nd={d}, T=T0={2 * d}, |w0|=1")
    for ax in (a1, a2):
        ax.legend(fontsize=8)
    return fig


@figure("regression_power_law", "Power-law spectrum: fake generations change the scaling law")
def power_law(run, scale):
    beta, r = 2.0, 0.5
    d = pick(scale, smoke=20, quick=300, paper=1000)
    seeds = pick(scale, smoke=20, quick=200, paper=1000)
    T = np.geomspace(d / 20, d / 2.5, pick(scale, smoke=3, quick=5, paper=7)).round()
    spectrum, w0 = R.power_law_problem(beta=beta, r=r, d=d)
    rates = R.power_law_exponents(beta=beta, r=r)
    fig, (ax,) = new_figure()
    for n, c in zip((0, 1, 2, 4), colors(4)):
        kw = dict(spectrum=spectrum, w0=w0, T=T, T0=2 * d, n=n, sigma=0.0, sigma0=1.0)
        lam_min = 1e-10
        lam = R.optimal_lam(lam_min=lam_min, **kw)
        lam = np.where(lam <= 1.01 * lam_min, 0.0, lam)  # ridgeless is optimal: use it
        line = R.ridge_test_error(lam=lam, **kw)
        theory_line(ax, T, line, color=c, label=f"n = {n}, slope {fit_slope(T, line):.2f}")
        sim_markers(ax, T, run(S.ridge_test_error, seed=n, lam=lam, seeds=seeds, **kw), color=c)
        annotate_slope(ax, T, line, color=c)
    ax.set(xscale="log", yscale="log", xlabel="downstream sample size T", ylabel="test error",
           title=f"tuned lam, noiseless labels: predicted slopes -{rates.noiseless_rate:.2f} "
                 f"(clean), -{rates.collapsed_rate:.2f} (fake)\n"
                 f"l_j = j^-{beta:g}, r = {r:g}, d = {d}, T0 = {2 * d}, sigma0 = 1")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    return fig


@figure("regression_overparam", "Over-parametrised generators (T0 < d): exponential collapse")
def overparam(run, scale):
    d = pick(scale, smoke=10, quick=40, paper=100)
    seeds = pick(scale, smoke=50, quick=500, paper=2000)
    n = np.arange(pick(scale, smoke=3, quick=10, paper=15) + 1)
    fig, (a1, a2) = new_figure(2)
    for frac, c in zip((0.25, 0.5, 0.75), colors(3)):
        T0 = int(frac * d)
        for ax, sigma0 in ((a1, 0.0), (a2, 0.3)):
            kw = dict(d=d, T0=T0, n=n, sigma0=sigma0, w0_norm=1.0)
            theory_line(ax, n, R.overparam_generator_error(**kw), color=c,
                        label=f"T0/d = {frac:g}")
            sim_markers(ax, n, run(S.overparam_generator_error, seed=T0, seeds=seeds, **kw),
                        color=c)
    a1.set(xlabel="generations n", ylabel="E |w_n - w0|^2",
           title=f"noiseless: |w0|^2 (1 - (T0/d)^n), the model shrinks to 0\nd={d}, |w0|=1")
    a2.set(xlabel="generations n", ylabel="E |w_n - w0|^2",
           title=f"label noise sigma0 = 0.3 adds a growing term\nd={d}, |w0|=1")
    for ax in (a1, a2):
        ax.legend(fontsize=8)
    return fig
