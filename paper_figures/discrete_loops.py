"""Categorical chains: how fast a Poisson or Bernoulli refit collapses (Suresh et al. 2024), the
diversity of a refitted law under each data policy (Seddik et al. 2024; Bertrand et al. 2024's
fixed real set), and curation by a reward (Ferbach et al. 2024). Lines: exact theory; markers:
the raw loops (+-2 stderr).
"""

from __future__ import annotations

import numpy as np

import sim.discrete as SD
import theory.discrete as TD
from paper_figures._registry import figure, pick
from paper_figures._style import colors, new_figure, sim_markers, theory_line
from sim import Estimate


def _points(top: int, count: int, start: int = 1) -> np.ndarray:
    return np.unique(np.geomspace(start, top, count).astype(int))


@figure("discrete_loops",
        "Categorical refitting: Poisson/Bernoulli survival, diversity under data policies, "
        "curation by a reward")
def discrete_loops(run, scale):
    seeds = pick(scale, smoke=64, quick=2000, paper=20000)
    fig, (ax, bx, cx, dx) = new_figure(4, width=4.4)

    # (a) Poisson chain: exact survival, the derived bounds on g_k, the raw chain
    k_max = pick(scale, smoke=8, quick=200, paper=1000)
    k_line = np.arange(1, k_max + 1)
    k_sim = _points(k_max, pick(scale, smoke=3, quick=10, paper=16))
    for (n, rate0), color in zip(((1, 1.0), (10, 1.0), (10, 5.0)), colors(3)):
        label = f"n={n}, rate0={rate0:g} (n rate0={n * rate0:g})"
        theory_line(ax, k_line, TD.poisson_survival(n=n, rate0=rate0, k=k_line), color=color,
                    label=label)
        lo, hi = np.moveaxis(TD.poisson_survival_bounds(n=n, rate0=rate0, k=k_line), -1, 0)
        ax.fill_between(k_line, lo, hi, color=color, alpha=0.2, lw=0)
        sim_markers(ax, k_sim, run(SD.poisson_survival, seed=41, n=n, rate0=rate0, k=k_sim,
                                   seeds=seeds), color=color)
    ax.set(xscale="log", yscale="log", xlabel="refits k", ylabel="P(rate_k > 0)",
           title="Poisson chain: 1 - exp(-n rate0 g_k)\n"
                 "(band: g_k in [2/(k+1+(H_k-1)/3), 2/(k+1)])")
    ax.legend(fontsize=7)

    # (b) Bernoulli chain (two-state Wright-Fisher) and the unique symbols of a Zipf law
    M = 20
    q = 0.05
    bern = 1 - TD.fixation_probability(q=q, M=M, n=k_line) \
        - TD.fixation_probability(q=1 - q, M=M, n=k_line)
    theory_line(bx, k_line, bern, color="k", label=f"Bernoulli p0={q}, n={M}: exact")
    bx.plot(k_line, TD.poisson_survival(n=M, rate0=q, k=k_line), "k--", lw=1,
            label="Poisson curve at n rate0 = n p0")
    p = np.arange(1, 11.0) ** -1.2
    p /= p.sum()
    k_sup = k_line[k_line <= pick(scale, smoke=8, quick=100, paper=300)]
    support = TD.expected_support(p=p, M=M, n=k_sup) / p.size
    theory_line(bx, k_sup, support, color="crimson", label="Zipf(1.2), 10 symbols, M=20: "
                "E distinct / 10")
    g = TD._poisson_g(int(k_sup.max()))[k_sup]
    bx.plot(k_sup, np.mean(-np.expm1(-M * p[None, :] * g[:, None]), axis=1), "--",
            color="crimson", lw=1, label="Poisson approximation per symbol")
    k_sup_sim = _points(int(k_sup.max()), pick(scale, smoke=3, quick=8, paper=12))
    est = run(SD.expected_support, seed=42, p=p, M=M, n=k_sup_sim, seeds=seeds)
    sim_markers(bx, k_sup_sim, Estimate(est.mean / p.size, est.stderr / p.size, est.seeds),
                color="crimson")
    bx.set(xscale="log", xlabel="refits k", ylabel="probability / fraction surviving",
           title="Bernoulli survival P(0 < p_k < 1)\nand unique symbols")
    bx.legend(fontsize=7)

    # (c) heterozygosity under the data policies
    p = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    M = 20
    n_max = pick(scale, smoke=4, quick=60, paper=150)
    n_line = np.arange(0, n_max + 1)
    n_sim = np.unique(np.linspace(1, n_max, pick(scale, smoke=3, quick=8, paper=12)).astype(int))
    policies = ("replace", "accumulate", "mix(real=0.2)", "fixed-real(ratio=1)",
                "fixed-real(ratio=4)")
    for policy, color in zip(policies, colors(len(policies))):
        theory_line(cx, n_line, TD.heterozygosity(p=p, M=M, n=n_line, policy=policy),
                    color=color, label=policy)
        cx.axhline(TD.heterozygosity(p=p, M=M, n=np.inf, policy=policy)[()], color=color,
                   ls=":", lw=1)
        sim_markers(cx, n_sim, run(SD.heterozygosity, seed=43, p=p, M=M, n=n_sim, policy=policy,
                                   seeds=seeds), color=color)
    cx.set(xlabel="generation n", ylabel="E (1 - sum_i p_{n,i}^2)",
           title=f"Diversity of the refitted law, M={M}\n(dotted: n = inf)")
    cx.legend(fontsize=7)

    # (d) curation by a reward: expected reward over rounds
    p = np.array([0.4, 0.3, 0.2, 0.1])
    reward = np.array([0.0, 0.5, 1.0, 2.0])
    r_max = pick(scale, smoke=3, quick=12, paper=20)
    rounds = np.arange(0, r_max + 1)
    Ks = (2, 4, 16)
    M_fin = 10  # one program for the three K (candidates padded to 16, masked)
    leaves = pick(scale, smoke=2**8, quick=2**12, paper=2**16)  # candidate-tree size per seed
    finite = run(SD.curated_reward, seed=45, p=p, reward=reward, K=np.array(Ks)[:, None],
                 n=rounds, M=M_fin, seeds=seeds)
    for i, (K, color) in enumerate(zip(Ks, colors(3))):
        theory_line(dx, rounds, TD.curated_reward(p=p, reward=reward, K=K, n=rounds),
                    color=color, label=f"K={K}, M=inf")
        deep = int(np.floor(np.log(leaves) / np.log(K) + 1e-9))
        r_tree = rounds[rounds <= min(deep, r_max)]
        sim_markers(dx, r_tree, run(SD.curated_reward, seed=44, p=p, reward=reward, K=K,
                                    n=r_tree, seeds=seeds), color=color)
        sim_markers(dx, rounds, finite[i], color=color, marker="s", mfc="none",
                    label=f"K={K}, M={M_fin} (simulation only)")
    dx.plot(rounds, TD.curated_reward(p=p, reward=reward, K=np.inf, n=rounds), "k--", lw=1,
            label="K = inf: p e^(n r)")
    mixed = dict(p=p, reward=reward, K=4, policy="mix(real=0.2)")
    theory_line(dx, rounds, TD.curated_reward(**mixed, n=rounds), color="crimson",
                label="K=4, M=inf, 20% fresh real data")
    r_tree = rounds[rounds <= min(int(np.floor(np.log(leaves) / np.log(4) + 1e-9)), r_max)]
    sim_markers(dx, r_tree, run(SD.curated_reward, seed=46, **mixed, n=r_tree, seeds=seeds),
                color="crimson")
    dx.set(xlabel="round n", ylabel="E reward of the law",
           title="Curation: keep 1 of K by softmax(reward)\n"
                 f"(M = inf: candidate trees, K^n <= {leaves})")
    dx.legend(fontsize=7)
    return fig
