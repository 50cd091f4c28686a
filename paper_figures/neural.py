"""Trained networks in the Zipf memorisation loops (sim.neural): do they follow the exact laws?

Lines: the exact theory (theory.zipf), times ``1 - 1/answers`` where a network is compared (an
unseen query's answer is guessed right with probability ``1/answers``: sim/neural/_twins.py);
markers: trained networks (+-2 stderr). Panels: (1) clean data, the memorisation law, log-log;
(2) top-k and top-p generators: the plateau at the tail mass (Dohmatob et al., "A Tale of Tails",
ICML 2024, arXiv:2402.07043, section 3); (3) a clean share pi: the plateau, then the clean
data's own law ("grokking", ibid. section 3.3); (4) generations of a trained language model
decoding its successor's data at temperature tau, against the exact resample and cut chains.

Where the networks depart: at temperature 1 the trained chain follows the resample chain (a
language model that reproduces its training law is the resample chain's memoriser); a
temperature below 1 sharpens the law towards the frequent queries, so the tail is lost faster
than either idealised chain predicts. The figure shows the departure; no theory line is drawn
for it.
"""

from __future__ import annotations

import numpy as np

import sim.neural as SN
import theory.zipf as TZ
from paper_figures._registry import figure, pick
from paper_figures._style import annotate_slope, colors, new_figure, sim_markers, theory_line

BETA = 1.5


def _factor(learner: str) -> float:
    return 1 - 1 / SN.resolve_learner(learner).answers


@figure("neural_memorization",
        "Trained networks in the Zipf memorisation loops: clean law, tail cuts, clean share, "
        "decoded generations")
def neural_memorization(run, scale):
    N = pick(scale, smoke=32, quick=128, paper=1024)
    seeds = pick(scale, smoke=2, quick=8, paper=64)
    T = np.unique(np.geomspace(2, pick(scale, smoke=40, quick=2000, paper=10**5),
                               pick(scale, smoke=3, quick=8, paper=14)).astype(int))
    T_line = np.geomspace(T[0], T[-1], 80)
    f = _factor("mlp")
    fig, (ax, bx, cx, dx) = new_figure(4, width=4.3)

    theory_line(ax, T_line, f * TZ.memorization_error(beta=BETA, T=T_line, N=N), color="k",
                label="exact law x (1 - 1/answers)")
    mlp = run(SN.memorization_error, seed=1, beta=BETA, T=T, N=N, seeds=seeds, learner="mlp")
    sim_markers(ax, T, mlp, color="C0", label="MLP")
    T_tr = T[:: pick(scale, smoke=1, quick=2, paper=2)]
    tr = run(SN.memorization_error, seed=1, beta=BETA, T=T_tr, N=N,
             seeds=pick(scale, smoke=2, quick=4, paper=32), learner="transformer")
    sim_markers(ax, T_tr, tr, color="C3", marker="s", label="transformer")
    annotate_slope(ax, T_line[:40], f * TZ.memorization_error(beta=BETA, T=T_line[:40], N=N),
                   text=f"slope -(1 - 1/beta) = {-(1 - 1 / BETA):.2f} (N = inf)")
    ax.set(xscale="log", yscale="log", xlabel="T (training samples)", ylabel="test error",
           title=f"Clean data: beta={BETA}, N={N}")
    ax.legend(fontsize=7)

    cuts = [(k, f"top-k, k = {k}") for k in pick(scale, smoke=(4,), quick=(8, 32),
                                                 paper=(16, 128))]
    top_p = pick(scale, smoke=0.6, quick=0.7, paper=0.8)
    cuts.append((float(TZ.top_p_cutoff(beta=BETA, p=top_p, N=N)), f"top-p, p = {top_p}"))
    for (k, label), color in zip(cuts, colors(len(cuts))):
        theory_line(bx, T_line, f * TZ.tail_cut_error(beta=BETA, T=T_line, k=k, N=N),
                    color=color, label=f"{label} (k = {k:g})")
        bx.axhline(f * TZ.tail_mass(beta=BETA, k=k, N=N), color=color, ls=":", lw=1)
        sim_markers(bx, T, run(SN.tail_cut_error, seed=2, beta=BETA, T=T, k=k, N=N,
                               seeds=seeds), color=color)
    bx.set(xscale="log", yscale="log", xlabel="T", ylabel="test error",
           title="Generator cut at k: plateau at the tail mass (dotted)")
    bx.legend(fontsize=7)

    k = cuts[0][0]
    for pi, color in zip(pick(scale, smoke=(0.2,), quick=(0.02, 0.1, 0.5),
                              paper=(0.01, 0.05, 0.2, 0.5)), colors(4)):
        theory_line(cx, T_line, f * TZ.mixed_error(beta=BETA, T=T_line, k=k, pi=pi, N=N),
                    color=color, label=f"pi = {pi}")
        sim_markers(cx, T, run(SN.mixed_error, seed=3, beta=BETA, T=T, k=k, pi=pi, N=N,
                               seeds=seeds), color=color)
    cx.set(xscale="log", yscale="log", xlabel="T", ylabel="test error",
           title=f"Clean share pi, AI data cut at k = {k:g}")
    cx.legend(fontsize=7)

    N4 = pick(scale, smoke=16, quick=64, paper=256)
    T0 = pick(scale, smoke=20, quick=200, paper=2000)
    n = np.arange(pick(scale, smoke=2, quick=4, paper=8) + 1)
    ft = _factor("transformer")
    theory_line(dx, n, ft * TZ.generations_error(beta=BETA, T=T0, T0=T0, n=n,
                                                  chain="resample", N=N4),
                color="k", label="resample chain (exact)")
    dx.plot(n, ft * TZ.generations_error(beta=BETA, T=T0, T0=T0, n=n, chain="cut", N=N4), "--",
            color="k", lw=1.6, label="cut chain (mean field)")
    for tau, color in zip(pick(scale, smoke=(1.0,), quick=(1.0, 0.7), paper=(1.3, 1.0, 0.7)),
                          colors(3)):
        est = run(SN.decoded_generations_error, seed=4, beta=BETA, T0=T0, n=n, N=N4,
                  decoding={"temperature": tau}, verifier=True,
                  seeds=pick(scale, smoke=2, quick=4, paper=32))
        sim_markers(dx, n, est, color=color, label=f"trained LM, tau = {tau}")
    dx.set(yscale="log", xlabel="generation n", ylabel="test error",
           title=f"Decoded generations (verifier), T0={T0}, N={N4}")
    dx.legend(fontsize=7)
    return fig
