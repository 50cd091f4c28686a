"""Curation with a verifier (Feng et al., "Beyond Model Collapse: Scaling Up with
Synthesized Data Requires Verification", arXiv 2406.07515, BMC).

Model: x = y mu + z in R^d; a generator mislabels with probability p; a verifier keeps right labels
with probability phi and wrong ones with psi; the averaging classifier (mean of y x over the kept
samples) is trained and scored on real data. Lines: theory (proportional limit, and the large-n
step at p* = phi/(phi + psi)); markers: simulation (+-2 stderr).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

import sim.verification as S
import theory.verification as V
from paper_figures._registry import figure, pick
from paper_figures._style import colors, new_figure, sim_markers, theory_line
from sim import Estimate

VERIFIERS = [  # (phi, psi, label)
    (1.0, 1.0, "no verifier"),
    (0.9, 0.5, "weak verifier"),
    (1.0, 0.2, "good verifier"),
    (1.0, 0.02, "execution feedback"),
]


def _reference(ax, mu: float) -> None:
    ax.axhline(stats.norm.cdf(mu), color="0.4", lw=0.8, ls=":", label="Bayes Phi(||mu||)")
    ax.axhline(0.5, color="0.7", lw=0.8)


@figure("verification_threshold", "Accuracy against generator error: the verifier's threshold")
def accuracy_vs_noise(run, scale):
    mu, d, n = 1.0, 100, pick(scale, smoke=200, quick=1000, paper=4000)
    seeds = pick(scale, smoke=4096, quick=4096, paper=20000)
    p_line = np.linspace(0.0, 1.0, 201)[1:-1]
    p_sim = np.round(np.linspace(0.05, 0.95, pick(scale, smoke=3, quick=10, paper=19)), 3)
    fig, (ax,) = new_figure(width=6.4, height=4.6)
    for (phi, psi, label), color in zip(VERIFIERS, colors(len(VERIFIERS))):
        crit = float(V.critical_noise(phi=phi, psi=psi))
        theory_line(ax, p_line, V.accuracy_proportional(p=p_line, phi=phi, psi=psi, mu=mu, d=d,
                                                        n=n), color=color,
                    label=f"{label}: phi={phi}, psi={psi}, p*={crit:.2f}")
        ax.plot(p_line, V.accuracy_limit(p=p_line, phi=phi, psi=psi, mu=mu), "--", color=color,
                lw=0.8)
        if crit < 1:
            ax.axvline(crit, color=color, lw=0.8, ls=":")
        sim_markers(ax, p_sim, run(S.accuracy, seed=1, p=p_sim, phi=phi, psi=psi, mu=mu, d=d,
                                   n=n, seeds=seeds), color=color)
    if scale != "smoke":  # optax-trained logistic regression for the good verifier
        phi, psi, _ = VERIFIERS[2]
        est = run(S.trained_accuracy, seed=2, p=p_sim, phi=phi, psi=psi, mu=mu, d=d, n=n,
                  loss="logistic", steps=200, seeds=pick(scale, smoke=8, quick=16, paper=64))
        sim_markers(ax, p_sim + 0.01, est, color="crimson", marker="s",
                    label="logistic regression (optax, lam=1e-3), good verifier:\n"
                          "another estimator, same p*")
    ax.plot(p_line, 1 - p_line, color="k", lw=1.0, ls="-.", label="generator's own accuracy 1-p")
    _reference(ax, mu)
    ax.set(xlabel="generator error p", ylabel="accuracy on real data", ylim=(0.1, 0.95),
           title=f"Averaging classifier on verified data: ||mu||={mu}, d={d}, n={n}\n"
                 "solid: proportional theory; dashed: n -> inf step at p*; dots: simulation")
    ax.legend(fontsize=6.5, loc="lower left")
    return fig


@figure("verification_scaling", "Accuracy against the amount of synthetic data, curated or not")
def accuracy_vs_samples(run, scale):
    mu, d, p = 1.0, 100, 0.4
    seeds = pick(scale, smoke=4096, quick=4096, paper=20000)
    n_line = np.unique(np.logspace(1, 5, 200).round())
    n_sim = np.unique(np.logspace(1.3, 5, pick(scale, smoke=3, quick=9, paper=15)).round())
    cases = [(1.0, 1.0, "no verifier"), (1.0, 0.05, "good verifier"),
             (0.3, 0.6, "bad verifier (prefers wrong)")]
    fig, (ax,) = new_figure(width=6.4, height=4.6)
    for (phi, psi, label), color in zip(cases, colors(len(cases))):
        crit = float(V.critical_noise(phi=phi, psi=psi))
        theory_line(ax, n_line, V.accuracy_proportional(p=p, phi=phi, psi=psi, mu=mu, d=d,
                                                        n=n_line), color=color,
                    label=f"{label} (phi, psi) = ({phi}, {psi}): p*={crit:.2f}")
        ax.axhline(float(V.accuracy_limit(p=p, phi=phi, psi=psi, mu=mu)), color=color, lw=0.8,
                   ls="--")
        sim_markers(ax, n_sim, run(S.accuracy, seed=3, p=p, phi=phi, psi=psi, mu=mu, d=d,
                                   n=n_sim, seeds=seeds), color=color)
    ax.axhline(1 - p, color="k", lw=1.0, ls="-.", label=f"generator's accuracy {1 - p}")
    _reference(ax, mu)
    ax.set_xscale("log")
    ax.set(xlabel="generated samples n", ylabel="accuracy on real data",
           title=f"Scaling up synthetic data: p={p}, ||mu||={mu}, d={d}\n"
                 "solid: proportional theory; dashed: n -> inf limit; dots: simulation")
    ax.legend(fontsize=7, loc="center right")
    return fig


@figure("verification_iterated", "Generate, verify, retrain: collapse without a verifier")
def iterated_loop(run, scale):
    mu, p0 = 1.0, 0.35
    generations = pick(scale, smoke=3, quick=12, paper=20)
    seeds = pick(scale, smoke=4096, quick=4096, paper=20000)
    gens = np.arange(generations + 1)
    settings = [(200, 200), (200, 2000)]  # (d, n): d/n above and below 2 mu^4/pi
    fig, axes = new_figure(2, width=4.8, height=4.2)
    for ax, (d, n) in zip(axes, settings):
        for (phi, psi, label), color in zip(VERIFIERS, colors(len(VERIFIERS))):
            err = V.iterated_error(p=p0, phi=phi, psi=psi, mu=mu, d=d, n=n,
                                   generations=generations)
            theory_line(ax, gens, 1 - err, color=color, label=f"{label} ({phi}, {psi})")
            est = run(S.iterated_error, seed=4, p=p0, phi=phi, psi=psi, mu=mu, d=d, n=n,
                      generations=generations, seeds=seeds)
            sim_markers(ax, gens, Estimate(1 - est.mean, est.stderr, est.seeds), color=color)
        _reference(ax, mu)
        ratio = float(V.collapse_dimension_ratio(mu=mu))
        ax.set(xlabel="generation", ylabel="accuracy on real data", ylim=(0.45, 0.88),
               title=f"d={d}, n={n}: d/n={d / n:g} {'>' if d / n > ratio else '<'} "
                     f"2||mu||^4/pi={ratio:.2f}")
    axes[0].legend(fontsize=7, loc="lower left")
    axes[1].text(0.02, 0.03, "lines: proportional-limit recursion\ndots: simulated loop",
                 transform=axes[1].transAxes, fontsize=7)
    fig.suptitle(f"Each generation's classifier labels the next (start: error {p0}, ||mu||={mu})",
                 fontsize=9)
    return fig
