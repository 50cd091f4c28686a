"""Figures of the Zipf memorising model (ToT: Dohmatob et al., "A Tale of Tails", ICML 2024).

Theory lines (exact sums at the simulated vocabulary size N), simulation markers with +-2
standard errors. All simulations count samples by binomial splitting (cost flat in T).
"""

from __future__ import annotations

import numpy as np

import sim.zipf as sz
import theory.zipf as tz
from paper_figures._registry import figure, pick
from paper_figures._style import annotate_slope, colors, new_figure, sim_markers, theory_line
from theory.zipf._generations import generations_error as theory_generations
from theory.zipf._generations import generations_error_paper


def _sizes(scale):
    N = pick(scale, smoke=1000, quick=2**12, paper=10**6)
    seeds = pick(scale, smoke=300, quick=24, paper=200)  # smoke: the tests' (shared compiles)
    n_sim = pick(scale, smoke=2, quick=5, paper=10)
    n_line = pick(scale, smoke=4, quick=36, paper=60)
    return N, seeds, n_sim, n_line


def _loglog(ax, title):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("T (training samples)")
    ax.set_ylabel("test error")
    ax.set_title(title, fontsize=9)


@figure("zipf_tail_cut", "Tail cutting: clean scaling stops at the tail mass of the top-k law")
def tail_cut(run, scale):
    beta = 2.0
    N, seeds, n_sim, n_line = _sizes(scale)
    T = np.logspace(1, 8, n_line)
    Ts = np.round(np.logspace(1, 8, n_sim))
    fig, (ax,) = new_figure()
    ks = [None, 1000, 100, 10]
    for k, col in zip(ks, colors(len(ks))):
        if k is None:
            theory_line(ax, T, tz.memorization_error(beta=beta, T=T, N=N), color=col,
                        label="clean")
            est = run(sz.memorization_error, seed=0, beta=beta, T=Ts, N=N, seeds=seeds)
            fit = T <= 1e5
            annotate_slope(ax, T[fit], tz.memorization_error(beta=beta, T=T[fit], N=N),
                           text=f"slope {-(1 - 1 / beta):.2f} (= -c)", color=col, where=0.3)
        else:
            theory_line(ax, T, tz.tail_cut_error(beta=beta, T=T, k=k, N=N), color=col,
                        label=f"top k={k}")
            ax.axhline(tz.tail_mass(beta=beta, k=k, N=N), color=col, ls=":", lw=0.8)
            est = run(sz.tail_cut_error, seed=k, beta=beta, T=Ts, k=k, N=N, seeds=seeds)
        sim_markers(ax, Ts, est, color=col)
    _loglog(ax, f"beta={beta}, N={N}; dotted: plateau = tail mass 1-P_k")
    ax.legend(fontsize=7)
    return fig


@figure("zipf_top_p", "Top-p sampling: the effective cut-off k(p) and its plateau")
def top_p(run, scale):
    beta = 2.0
    N, seeds, n_sim, n_line = _sizes(scale)
    T = np.logspace(1, 8, n_line)
    Ts = np.round(np.logspace(1, 8, n_sim))
    fig, (ax,) = new_figure()
    ps = [0.9, 0.95, 0.99]
    theory_line(ax, T, tz.memorization_error(beta=beta, T=T, N=N), color="k", label="clean")
    for p, col in zip(ps, colors(len(ps))):
        k = int(tz.top_p_cutoff(beta=beta, p=p, N=N))
        theory_line(ax, T, tz.tail_cut_error(beta=beta, T=T, k=k, N=N), color=col,
                    label=f"top-p {p} (k={k})")
        sim_markers(ax, Ts, run(sz.tail_cut_error, seed=k, beta=beta, T=Ts, k=k, N=N,
                                seeds=seeds), color=col)
    _loglog(ax, f"beta={beta}, N={N}")
    ax.legend(fontsize=7)
    return fig


@figure("zipf_narrowing", "Tail narrowing by temperature: slower scaling, T^-(beta-1)/beta'")
def narrowing(run, scale):
    beta = 2.0
    N, seeds, n_sim, n_line = _sizes(scale)
    T = np.logspace(1, 8, n_line)
    Ts = np.round(np.logspace(1, 8, n_sim))
    fig, (ax,) = new_figure()
    taus = [1.0, 0.9, 0.75, 0.5]
    for tau, col in zip(taus, colors(len(taus))):
        b = float(tz.temperature_exponent(beta=beta, tau=tau))
        y = tz.narrowed_error(beta=beta, beta_ai=b, T=T, N=N)
        theory_line(ax, T, y, color=col, label=f"tau={tau} (beta'={b:.2f})")
        fit = (T >= 1e3) & (T <= 1e6)
        annotate_slope(ax, T[fit], y[fit], color=col,
                       text=f"fit {np.polyfit(np.log(T[fit]), np.log(y[fit]), 1)[0]:.2f}, "
                            f"law {-(beta - 1) / b:.2f}", where=0.5)
        sim_markers(ax, Ts, run(sz.narrowed_error, seed=int(100 * tau), beta=beta, beta_ai=b,
                                T=Ts, N=N, seeds=seeds), color=col)
    _loglog(ax, f"beta={beta}, N={N}; AI data Zipf(beta/tau)")
    ax.legend(fontsize=7)
    return fig


@figure("zipf_generations", "Several generations: cut and resample chains vs the paper's n T0^-c")
def generations(run, scale):
    beta = 2.0
    N, seeds, n_sim, n_line = _sizes(scale)
    T0 = pick(scale, smoke=100, quick=1000, paper=1000)
    N = min(N, 2**14)
    T = np.logspace(1, 7, n_line)
    Ts = np.round(np.logspace(1, 7, n_sim))
    ns = pick(scale, smoke=[0, 1, 2], quick=[0, 1, 2, 5, 10], paper=[0, 1, 2, 5, 10, 20])
    fig, axes = new_figure(2)
    for ax, chain in zip(axes, ("cut", "resample")):
        for n, col in zip(ns, colors(len(ns))):
            theory_line(ax, T, theory_generations(beta=beta, T=T, T0=T0, n=n, chain=chain, N=N),
                        color=col, label=f"n={n}")
            if n:
                ax.plot(T, generations_error_paper(beta=beta, T=T, T0=T0, n=n), "--", color=col,
                        lw=0.8)
        est = run(sz.generations_error, seed=1, beta=beta, T=Ts[:, None], T0=T0,
                  n=np.array(ns)[None, :], chain=chain, N=N, seeds=seeds)
        for j, col in enumerate(colors(len(ns))):
            sim_markers(ax, Ts, est[:, j], color=col)
        _loglog(ax, f"{chain}: beta={beta}, T0={T0}, N={N}; dashed: C(T^-c + n T0^-c)")
        ax.legend(fontsize=7)
    return fig


@figure("zipf_grokking", "Mixing clean and tail-cut data: plateau, then grokking")
def grokking(run, scale):
    beta, k = 2.0, 10
    N, seeds, n_sim, n_line = _sizes(scale)
    T = np.logspace(1, 8, n_line)
    Ts = np.round(np.logspace(2, 8, n_sim), -2)  # pi T integral
    fig, (ax,) = new_figure()
    pis = [0.0, 0.01, 0.1]
    for pi, col in zip(pis, colors(len(pis))):
        theory_line(ax, T, tz.mixed_error(beta=beta, T=T, k=k, pi=pi, N=N), color=col,
                    label=f"pi={pi}")
        sim_markers(ax, Ts, run(sz.mixed_error, seed=int(1000 * pi), beta=beta, T=Ts, k=k, pi=pi,
                                N=N, seeds=seeds), color=col)
    ax.axhline(tz.tail_mass(beta=beta, k=k, N=N), color="gray", ls=":", lw=0.8)
    theory_line(ax, T, tz.memorization_error(beta=beta, T=T, N=N), color="k", label="clean",
                alpha=0.4)
    _loglog(ax, f"beta={beta}, k={k}, N={N}: pi T clean + (1-pi) T top-k samples")
    ax.legend(fontsize=7)
    return fig


@figure("zipf_bigram", "Tailed bigram model: TV error of the empirical next-token law (ToT sec. 4)")
def zipf_bigram(run, scale):
    beta, k, beta_ai = 1.5, 5, 2.5
    N = pick(scale, smoke=30, quick=30, paper=256)
    seeds = pick(scale, smoke=64, quick=200, paper=1000)
    T = np.round(np.logspace(1, 6, pick(scale, smoke=4, quick=21, paper=31)))
    Ts = np.round(np.logspace(1, 5, pick(scale, smoke=2, quick=5, paper=9)))
    fig, (ax,) = new_figure()
    cases = [("clean", {}), (f"top k={k}", {"k": k}), (f"narrowed beta'={beta_ai}",
                                                       {"beta_ai": beta_ai})]
    for (label, kw), col in zip(cases, colors(len(cases))):
        y = tz.bigram_error(beta=beta, T=T, N=N, V=N, **kw)
        theory_line(ax, T, y, color=col, label=label)
        if kw:
            ax.axhline(tz.bigram_floor(beta=beta, V=N, **kw), color=col, ls=":", lw=0.8)
        else:
            fit = (T >= 30) & (T <= 3000)
            annotate_slope(ax, T[fit], y[fit], color=col, where=0.3,
                           text=f"fit {np.polyfit(np.log(T[fit]), np.log(y[fit]), 1)[0]:.2f}; "
                                f"N=inf law {-float(tz.bigram_rate(beta=beta)):.2f} (x log T)")
        sim_markers(ax, Ts, run(sz.bigram_error, seed=len(kw) + 7 * ("k" in kw), beta=beta,
                                T=Ts, N=N, V=N, seeds=seeds, **kw), color=col)
    _loglog(ax, f"beta={beta}, N=V={N} contexts/tokens; dotted: floors TV(r, q)")
    ax.set_ylabel("sum_i p_i E TV")
    ax.legend(fontsize=7)
    return fig
