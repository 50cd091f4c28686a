"""Three more self-consuming loops: kernel density estimates refitted to their own samples
(Kazdan et al. 2024), training on a contaminated source (Bakshi and Chakraborty 2026), and
iterated learning with Bayesian agents (Griffiths and Kalish 2007). Lines: theory; markers:
simulation (+-2 stderr).
"""

from __future__ import annotations

import numpy as np

import sim.bayes as SB
import sim.contamination as SC
import sim.kde as SK
import theory.bayes as TB
import theory.contamination as TC
import theory.kde as TK
from paper_figures._registry import figure, pick
from paper_figures._style import colors, new_figure, sim_markers, theory_line


def _sim_points(n_max: int, count: int, start: int = 1) -> np.ndarray:
    return np.unique(np.linspace(start, n_max, count).astype(int))


@figure("kde_variance",
        "KDE refitting: the variance does not collapse while the genealogy coalesces")
def kde_variance(run, scale):
    M = 20
    n_max = pick(scale, smoke=4, quick=60, paper=200)
    seeds = pick(scale, smoke=64, quick=1000, paper=10000)
    n_line = np.arange(0, n_max + 1)
    n_sim = _sim_points(n_max, pick(scale, smoke=3, quick=10, paper=20))
    fig, (ax, bx, cx) = new_figure(3, width=4.6)
    for h, color in zip((0.1, 0.25, 0.4), colors(3)):
        theory_line(ax, n_line, TK.variance_after(n=n_line, M=M, h=h), color=color,
                    label=f"fixed h = {h}")
        sim_markers(ax, n_sim, run(SK.variance_after, seed=11, n=n_sim, M=M, h=h, seeds=seeds),
                    color=color)
        ax.axhline(M * h**2, color=color, ls=":", lw=1)
        sim_markers(cx, n_sim, run(SK.heldout_loglik, seed=12, n=n_sim, M=M, h=h, seeds=seeds),
                    color=color, label=f"fixed h = {h}")
    n_silver = n_line[n_line <= min(n_max, 12)]
    theory_line(ax, n_silver, TK.variance_after(n=n_silver, M=M, h=1.0, bandwidth="silverman"),
                color="crimson", label="Silverman's rule")
    sim_markers(ax, n_sim[n_sim <= 12], run(SK.variance_after, seed=13, n=n_sim[n_sim <= 12],
                                            M=M, h=1.0, bandwidth="silverman", seeds=seeds),
                color="crimson")
    ax.set(yscale="log", xlabel="generation n", ylabel="E variance of the fitted density",
           title=f"KDE chain, M={M}, sigma=1 (dotted: M h^2)")
    ax.legend(fontsize=7)
    n_anc = n_line[1:]
    theory_line(bx, n_anc, TK.ancestors_after(n=n_anc, M=M), color="k", label="Wright-Fisher")
    sim_markers(bx, n_sim, run(SK.ancestors_after, seed=14, n=n_sim, M=M, seeds=seeds),
                color="k")
    bx.set(yscale="log", xlabel="generation n", ylabel="E distinct real ancestors",
           title=f"Genealogy of the M={M} points")
    cx.axhline(-0.5 * np.log(2 * np.pi * np.e), color="k", ls=":", lw=1, label="truth")
    cx.set(xlabel="generation n", ylabel="E held-out log-likelihood per point",
           title="Real test data under the fitted KDE\n(simulation only)")
    cx.legend(fontsize=7)
    return fig


@figure("contamination_risk",
        "Training on a contaminated source: the risk recursion under constant and decaying "
        "schedules")
def contamination_risk(run, scale):
    p = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    T = pick(scale, smoke=4, quick=40, paper=100)
    seeds = pick(scale, smoke=64, quick=2000, paper=20000)
    t_line = np.arange(0, T + 1)
    t_sim = _sim_points(T, pick(scale, smoke=3, quick=10, paper=20), start=0)
    fig, (ax, bx) = new_figure(2, width=5.2)
    n, n0 = 20, 5
    for alpha, color in zip((0.0, 0.1, 0.3, 1.0), colors(4)):
        kw = dict(p=p, alpha=alpha, n_samples=[n0] + [n] * T)
        theory_line(ax, t_line, TC.risk(**kw, t=t_line), color=color, label=f"alpha = {alpha}")
        sim_markers(ax, t_sim, run(SC.risk, seed=21, **kw, t=t_sim, seeds=seeds), color=color)
        ax.axhline(TC.stationary_risk(p=p, alpha=alpha, n=n), color=color, ls=":", lw=1)
    ax.set(yscale="log", xlabel="round t", ylabel="E ||Phat_t - P||^2",
           title=f"Constant schedules: n_0={n0}, n_t={n} (dotted: stationary risk)")
    ax.legend(fontsize=7)
    rounds = np.arange(1, T + 1)
    cases = (("alpha_t = 1/(t+1), n_t = 20", 1 / (rounds + 1), [20] * (T + 1)),
             ("alpha_t = 1/(t+1), n_t = 20 (t+1)", 1 / (rounds + 1), 20 * (t_line + 1)),
             ("alpha_t = 1/sqrt(t+1), n_t = 20", 1 / np.sqrt(rounds + 1), [20] * (T + 1)))
    for (label, alphas, ns), color in zip(cases, colors(3)):
        kw = dict(p=p, alpha=alphas, n_samples=ns)
        theory_line(bx, t_line, TC.risk(**kw, t=t_line), color=color, label=label)
        sim_markers(bx, t_sim, run(SC.risk, seed=22, **kw, t=t_sim, seeds=seeds), color=color)
    bx.set(yscale="log", xlabel="round t", ylabel="E ||Phat_t - P||^2",
           title="Decaying fresh share: growing samples recover P")
    bx.legend(fontsize=7)
    return fig


@figure("bayes_iterated_learning",
        "Iterated learning with Bayesian agents: posterior sampling converges to the prior, "
        "MAP and mean learners do not")
def bayes_iterated_learning(run, scale):
    a, b, h0, n = 2.0, 3.0, 0.95, 5
    t_max = pick(scale, smoke=4, quick=30, paper=60)
    seeds = pick(scale, smoke=64, quick=2000, paper=20000)
    t_line = np.arange(0, t_max + 1)
    t_sim = _sim_points(t_max, pick(scale, smoke=3, quick=8, paper=15))
    fig, (ax, bx, cx) = new_figure(3, width=4.6)
    for learner, color in zip(TB.LEARNERS, colors(3)):
        kw = dict(n=n, a=a, b=b, h0=h0, learner=learner)
        theory_line(ax, t_line, TB.mean_after(t=t_line, **kw), color=color, label=learner)
        sim_markers(ax, t_sim, run(SB.mean_after, seed=31, t=t_sim, **kw, seeds=seeds),
                    color=color)
        theory_line(bx, t_line, TB.variance_after(t=t_line, **kw), color=color, label=learner)
        sim_markers(bx, t_sim, run(SB.variance_after, seed=31, t=t_sim, **kw, seeds=seeds),
                    color=color)
        kw = dict(n=n, alpha=[1.5, 1.5, 1.5, 1.5], theta0=[0.85, 0.05, 0.05, 0.05],
                  learner=learner)
        theory_line(cx, t_line, TB.heterozygosity_after(t=t_line, **kw), color=color,
                    label=learner)
        sim_markers(cx, t_sim, run(SB.heterozygosity_after, seed=32, t=t_sim, **kw,
                                   seeds=seeds), color=color)
    ax.axhline(a / (a + b), color="k", ls=":", lw=1, label="prior mean")
    ax.axhline((a - 1) / (a + b - 2), color="gray", ls="--", lw=1, label="prior mode")
    bx.axhline(a * b / ((a + b) ** 2 * (a + b + 1)), color="k", ls=":", lw=1,
               label="prior variance")
    ax.set(xlabel="generation t", ylabel="E h_t",
           title=f"Beta({a:g}, {b:g}) prior, n={n} data, h_0={h0}")
    bx.set(xlabel="generation t", ylabel="Var h_t", title="Spread of the hypothesis")
    cx.set(xlabel="generation t", ylabel="E (1 - ||theta_t||^2)",
           title="Dirichlet(1.5) prior on K=4: heterozygosity")
    for axis in (ax, bx, cx):
        axis.legend(fontsize=7)
    return fig
