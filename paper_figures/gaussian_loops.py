"""Self-consuming Gaussian loops with real data: the fresh data loop's stationary error under
sampling bias and its effective sample size (Alemohammad et al., "Self-Consuming Generative
Models Go MAD", ICLR 2024, arXiv:2307.01850), and the accumulate-subsample chain at small M
(Kazdan et al., "Collapse or Thrive?", arXiv:2410.16713): exact recursion, leading order and the
raw pool loop. Lines: theory; markers: simulation (+-2 stderr).
"""

from __future__ import annotations

import numpy as np

import sim.gaussian as SG
import theory.gaussian as TG
from paper_figures._registry import figure, pick
from paper_figures._style import colors, new_figure, sim_markers, theory_line
from sim import Estimate
from theory.policy import derive_subsample_weights


@figure("gaussian_loops",
        "Gaussian loops with real data: MAD's fresh data loop under sampling bias (stationary "
        "fit error, effective sample size) and accumulate-subsample exact at small M")
def gaussian_loops(run, scale):
    n_real = 10
    seeds = pick(scale, smoke=64, quick=2000, paper=20000)
    fig, (ax, bx, cx) = new_figure(3, width=4.6)

    # (a) stationary fit error of the fresh data loop against the sampling bias
    ratios = (0.0, 0.5, 2.0, 8.0)
    lam_line = np.linspace(0.3, 1.0, 71)
    lam_sim = np.linspace(0.3, 1.0, pick(scale, smoke=2, quick=6, paper=8))
    n_syn = np.array([round(r * n_real) for r in ratios])
    est = run(SG.stationary_fit_error, seed=41, n_real=n_real, n_synthetic=n_syn[:, None],
              sampling_bias=lam_sim[None, :], seeds=seeds)
    for j, (ratio, color) in enumerate(zip(ratios, colors(len(ratios)))):
        theory_line(ax, lam_line, TG.stationary_fit_error(
            n_real=n_real, n_synthetic=n_syn[j], sampling_bias=lam_line), color=color,
            label=f"n_s/n_r = {ratio:g}")
        sim_markers(ax, lam_sim, est[j], color=color)
    ax.axhline(0.25, color="gray", ls=":", lw=1, label="collapsed variance: 1/4")
    ax.set(yscale="log", xlabel="sampling bias lambda",
           ylabel="stationary E[(mu-mu0)^2 + (s^2-1)^2/4]",
           title=f"Fresh data loop, n_r={n_real}, sigma=1, unbiased fit")
    ax.legend(fontsize=7)

    # (b) the phase diagram: where synthetic data help (effective size above n_real)
    lam_grid = np.linspace(0.3, 1.0, pick(scale, smoke=8, quick=57, paper=141))
    ratio_grid = np.geomspace(0.1, 30.0, pick(scale, smoke=8, quick=50, paper=120))
    ess = TG.effective_sample_size(n_real=n_real,
                                   n_synthetic=np.round(ratio_grid * n_real)[:, None],
                                   sampling_bias=lam_grid[None, :])
    gain = np.log2(ess / n_real)
    span = float(np.max(np.abs(gain)))
    mesh = bx.pcolormesh(lam_grid, ratio_grid, gain, cmap="RdBu", vmin=-span, vmax=span,
                         shading="auto")
    bx.contour(lam_grid, ratio_grid, gain, levels=[0.0], colors="k", linewidths=1.5)
    fig.colorbar(mesh, ax=bx, label="log2(effective sample size / n_r)")
    bx.set(yscale="log", xlabel="sampling bias lambda", ylabel="n_s / n_r",
           title="Synthetic data help (blue) or hurt (red);\nblack: effective size = n_r")

    # (c) accumulate-subsample: exact finite M against leading order and the raw pool loop
    n_max = pick(scale, smoke=4, quick=30, paper=60)
    n_line = np.arange(0, n_max + 1)
    n_sim = np.unique(np.linspace(1, n_max, pick(scale, smoke=2, quick=7, paper=10)).astype(int))
    cx.plot(n_line, derive_subsample_weights(n_max), "--", color="k", lw=1.6,
            label="leading order in 1/M")
    for (M, estimator), color in zip(((3, "unbiased"), (3, "mle"), (10, "unbiased"),
                                      (10, "mle")), colors(4)):
        kw = dict(M=M, estimator=estimator, policy="accumulate-subsample")
        theory_line(cx, n_line, M * TG.mean_drift(n=n_line, **kw), color=color,
                    label=f"exact, M={M}, {estimator}")
        drift = run(SG.mean_drift, seed=42, n=n_sim, **kw, seeds=seeds)
        sim_markers(cx, n_sim, Estimate(drift.mean * M, drift.stderr * M, drift.seeds),
                    color=color)
    cx.set(xlabel="generation n", ylabel="M E(mu_n - mu)^2 / sigma^2",
           title="accumulate-subsample: markers the raw pool loop")
    cx.legend(fontsize=7)
    return fig
