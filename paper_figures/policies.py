"""What is kept between generations, and distributions refitted to their own samples.

Replace vs accumulate vs accumulate-subsample (Gerstgrasser et al. 2024; Dey and Donoho 2024;
Kazdan et al. 2024), Strong Model Collapse (Dohmatob et al., ICLR 2025), HXC's real
weighting, Shumailov et al.'s Gaussian refitting, and the Wright-Fisher chain. Lines: theory;
markers: simulation (+-2 stderr).
"""

from __future__ import annotations

import numpy as np

import sim.discrete as SD
import sim.gaussian as SG
import sim.regression as SR
import theory.discrete as TD
import theory.gaussian as TG
import theory.regression as TR
from paper_figures._registry import figure, pick
from paper_figures._style import annotate_slope, colors, new_figure, sim_markers, theory_line
from sim import Estimate
from sim.regression._policies import rows_in_place_subsample_error
from theory.policy import Policy, derive_subsample_weights

POLICIES = ("replace", "accumulate", "accumulate-subsample")


@figure("policies_accumulate",
        "Replace vs accumulate vs accumulate-subsample, with the pi^2/6 bound")
def replace_vs_accumulate(run, scale):
    d, T, sigma, M = 10, 50, 1.0, 20
    n_max = pick(scale, smoke=4, quick=30, paper=100)
    seeds = pick(scale, smoke=64, quick=1000, paper=10000)
    n_line = np.arange(0, n_max + 1)
    n_sim = np.unique(np.linspace(1, n_max, pick(scale, smoke=3, quick=10, paper=20)).astype(int))
    unit = float(TR.fixed_design_error(d=d, T=T, n=1, sigma=sigma))
    fig, (ax, bx, cx) = new_figure(3, width=5.2)
    for pol, color in zip(POLICIES, colors(3)):
        theory_line(ax, n_line, TR.fixed_design_error(d=d, T=T, n=n_line, sigma=sigma,
                                                      policy=pol), color=color, label=pol)
        sim_markers(ax, n_sim, run(SR.fixed_design_error, seed=1, d=d, T=T, n=n_sim,
                                   sigma=sigma, policy=pol, seeds=seeds), color=color)
        est = run(SG.mean_drift, seed=2, n=n_sim, M=M, policy=pol, seeds=seeds)
        sim_markers(bx, n_sim, est, color=color, label=f"{pol} (simulation)")
        theory_line(bx, n_line, TG.mean_drift(n=n_line, M=M, policy=pol), color=color)
    ax.plot(n_line, TR.fixed_design_error(d=d, T=T, n=n_line, sigma=sigma, policy="accumulate",
                                          design="fresh"),
            "--", color="crimson", label="accumulate, fresh design (exact)")
    ax.axhline(np.pi**2 / 6 * unit, color="k", ls=":", lw=1, label="(pi^2/6) sigma^2 d/(T-d-1)")
    bx.axhline(np.pi**2 / 6 / M, color="k", ls=":", lw=1, label="(pi^2/6) sigma^2/M")
    ax.set(yscale="log", xlabel="iteration n", ylabel="E ||w_n - w*||^2",
           title=f"Linear regression, fixed design: d={d}, T={T}, sigma={sigma}\n"
                 "subsample: raw pool, row-cavity theory")
    bx.set(yscale="log", xlabel="generation n", ylabel="E (mu_n - mu)^2",
           title=f"Gaussian refitting (unbiased): M={M}, sigma=1\n"
                 "exact finite-M recursions")
    ax.legend(fontsize=7)
    bx.legend(fontsize=7)
    subsample_pool_panel(cx, run, scale)
    return fig


def subsample_pool_panel(ax, run, scale) -> None:
    """accumulate-subsample after n fits against d/T (d = 10), in units of one fit's risk
    sigma^2 d/(T-d-1): the raw pool of (row, label) pairs (Kazdan et al.'s loop, simulated),
    its row-cavity theory, the leading-order form and the rows-in-place simplification it
    shares."""
    d, sigma = 10, 1.0
    n = pick(scale, smoke=5, quick=20, paper=20)
    seeds = pick(scale, smoke=256, quick=1000, paper=10000)
    # one program per simulated T (padding every T to the largest would cost 10x at T = 32)
    groups = pick(scale, smoke=[(50,)], quick=[(32,), (50,), (100,), (300,)],
                  paper=[(32,), (40,), (50,), (70,), (100,), (200,), (300,)])
    T_line = np.unique(np.geomspace(24, 400, 120).round().astype(int))
    unit = lambda T: sigma**2 * d / (np.asarray(T, float) - d - 1)  # noqa: E731
    theory_line(ax, d / T_line, TR.fixed_design_error(d=d, T=T_line, n=n, sigma=sigma,
                                                      policy="accumulate-subsample")
                / unit(T_line), color="C0", label="row-cavity theory (raw pool)")
    ax.plot(d / T_line, np.full(T_line.shape, derive_subsample_weights(n)[n]), "--",
            color="C1", lw=1.2, label="leading order in d/T (rows in place)")
    for k, Ts in enumerate(groups):
        T = np.array(Ts)
        kw = dict(d=d, T=T, n=n, sigma=sigma, seeds=seeds)
        raw = run(SR.fixed_design_error, seed=11, policy="accumulate-subsample", **kw)
        rows = run(rows_in_place_subsample_error, seed=12, **kw)
        for est, color, marker, label in ((raw, "C0", "o", "simulated raw pool (published loop)"),
                                          (rows, "C1", "s", "simulated rows in place")):
            scaled = Estimate(est.mean / unit(T), est.stderr / unit(T), est.seeds)
            sim_markers(ax, d / T, scaled, color=color, marker=marker,
                        label=label if k == 0 else None, mfc="none" if marker == "s" else None)
    ax.set(xscale="log", xlabel="d/T (d = 10)",
           ylabel="E ||w_n - w*||^2 / (sigma^2 d/(T-d-1))",
           title=f"accumulate-subsample after n = {n} fits against d/T:\n"
                 "the raw pool repeats and drops design rows")
    ticks = [1 / 30, 1 / 10, 1 / 5, 1 / 3]
    ax.set_xticks(ticks, ["1/30", "1/10", "1/5", "1/3"])
    ax.set_xticks([], minor=True)
    ax.legend(fontsize=7)


@figure("policies_strong_collapse", "Strong model collapse: error against n for several p2")
def strong_collapse(run, scale):
    d, c2, sigma = 10, 1.0, 1.0
    seeds = pick(scale, smoke=64, quick=1000, paper=5000)
    n_line = np.unique(np.logspace(np.log10(d + 4), 5, 200).round())
    n_sim = np.unique(np.logspace(np.log10(d + 10), 4, pick(scale, smoke=2, quick=7,
                                                             paper=12)).round())
    fig, (ax,) = new_figure(width=6.0, height=4.6)
    for p2, color in zip((0.0, 0.01, 0.05, 0.2), colors(4)):
        y = TR.isotropic_mixed_training_error(d=d, n=n_line, p2=p2, c2=c2, sigma=sigma)
        theory_line(ax, n_line, y, color=color, label=f"p2={p2}: floor p2^2 c^2 = {p2**2 * c2:g}")
        if p2 > 0:
            ax.axhline(p2**2 * c2, color=color, ls=":", lw=0.8)
        else:
            annotate_slope(ax, n_line[n_line > 1e3], y[n_line > 1e3], color=color)
        sim_markers(ax, n_sim, run(SR.isotropic_mixed_training_error, seed=3, d=d, n=n_sim,
                                   p2=p2, c2=c2, sigma=sigma, seeds=seeds), color=color)
    ax.set(xscale="log", yscale="log", xlabel="training set size n",
           ylabel="test error on the real law",
           title=f"OLS on mixed data (SMC): d={d}, ||delta||^2={c2}, sigma={sigma}\n"
                 "any fixed synthetic share p2 > 0 stops the scaling law")
    ax.legend(fontsize=7)
    return fig


@figure("policies_random_projections", "Error against model size m: random projections")
def random_projections(run, scale):
    d, n, c2, sigma, w1 = 200, 100, 1.0, 0.5, 1.0
    seeds = pick(scale, smoke=32, quick=200, paper=2000)
    m_line = np.arange(1, n - 2)
    m_sim = np.unique(np.linspace(5, n - 6, pick(scale, smoke=2, quick=4, paper=16)).astype(int))
    fig, (ax,) = new_figure(width=6.0, height=4.6)
    for p2, color in zip((0.0, 0.2, 0.6), colors(3)):
        theory_line(ax, m_line, TR.random_projection_error(d=d, n=n, m=m_line, p2=p2, c2=c2,
                                                           sigma=sigma, w1_norm=w1),
                    color=color, label=f"p2={p2}")
        sim_markers(ax, m_sim, run(SR.random_projection_error, seed=4, d=d, n=n, m=m_sim, p2=p2,
                                   c2=c2, sigma=sigma, w1_norm=w1, seeds=seeds), color=color)
    ax.axvline(n, color="k", ls=":", lw=1, label="m = n (interpolation peak)")
    ax.set(yscale="log", xlabel="model size m (random features)", ylabel="test error",
           title=f"Random projections on mixed data (SMC section 4): d={d}, n={n},\n"
                 f"||w1||={w1}, ||delta||^2={c2}, sigma={sigma}")
    ax.legend(fontsize=7)
    return fig


@figure("policies_weighting", "Stationary variance against the real weight w (HXC)")
def weighting(run, scale):
    n, sigma = 10, 1.0
    seeds = pick(scale, smoke=256, quick=4000, paper=20000)
    w_line = np.linspace(0.02, 1.0, 300)
    w_sim = np.round(np.linspace(0.1, 1.0, pick(scale, smoke=2, quick=7, paper=10)), 3)
    fig, (ax,) = new_figure(width=6.0, height=4.6)
    for k, color in zip((0.25, 1.0, 4.0), colors(3)):
        theory_line(ax, w_line, TG.weighted_stationary_variance(w=w_line, k=k, n=n, sigma=sigma),
                    color=color, label=f"k={k} (n real, n/k synthetic)")
        w_star = float(TG.optimal_real_weight(k=k))
        ax.axvline(w_star, color=color, ls=":", lw=0.8)
        ax.annotate(f"w*={w_star:.3f}", (w_star, 0.06), color=color, fontsize=7, rotation=90)
        sim_markers(ax, w_sim, run(SG.weighted_stationary_variance, seed=5, w=w_sim, k=k, n=n,
                                   sigma=sigma, seeds=seeds), color=color)
    ax.set(yscale="log", xlabel="weight w on the fresh real data",
           ylabel="stationary E (mu_t - mu)^2",
           title=f"Weighted real/synthetic estimator (HXC): n={n}, sigma={sigma}\n"
                 "optimum: w^2 + k w - k = 0 (k = 1: 1/golden ratio)")
    ax.legend(fontsize=7)
    return fig


@figure("policies_gaussian_refitting", "Gaussian refitting: sigma_n^2 mean and median, and W2")
def gaussian_refitting(run, scale):
    M = 20
    n_max = pick(scale, smoke=4, quick=100, paper=400)
    seeds = pick(scale, smoke=64, quick=4000, paper=20000)
    n_line = np.arange(0, n_max + 1)
    n_sim = np.unique(np.linspace(1, n_max, pick(scale, smoke=2, quick=10, paper=20)).astype(int))
    fig, (ax, bx) = new_figure(2, width=5.2)
    for est, color in zip(TG.ESTIMATORS, colors(2)):
        theory_line(ax, n_line, TG.variance_after(n=n_line, M=M, estimator=est), color=color,
                    label=f"{est}: E sigma_n^2")
        sim_markers(ax, n_sim, run(SG.variance_after, seed=6, n=n_sim, M=M, estimator=est,
                                   seeds=seeds), color=color)
        log_est = run(SG.log_variance, seed=6, n=n_sim, M=M, estimator=est, seeds=seeds)
        drift = TG.logdet_drift(d=1, M=M, n=n_line)
        if est == "mle":
            drift = drift + n_line * np.log((M - 1) / M)
        ax.plot(n_line, np.exp(drift), "--", color=color,
                label=f"{est}: exp E log sigma_n^2 (~ median)")
        ax.plot(n_sim, np.exp(log_est.mean), "s", color=color, ms=4, mfc="none")
        theory_line(bx, n_line, TG.w2_risk(n=n_line, M=M, estimator=est), color=color,
                    label=f"{est}: E W2^2")
        sim_markers(bx, n_sim, run(SG.w2_risk, seed=7, n=n_sim, M=M, estimator=est, seeds=seeds),
                    color=color)
    bx.plot(n_line, 1.5 * n_line / M, "k:", lw=1, label="(3/2) n/M (SHU, first order)")
    ax.set(yscale="log", xlabel="generation n", ylabel="sigma_n^2 / sigma^2",
           title=f"Refitting N(0, 1) on M={M} samples: the mean hides the collapse\n"
                 "(unbiased: E sigma_n^2 = 1, yet sigma_n^2 -> 0 a.s.)")
    bx.set(xlabel="generation n", ylabel="E W2^2 to the truth",
           title="Wasserstein-2 risk grows linearly in n")
    ax.legend(fontsize=7)
    bx.legend(fontsize=7)
    return fig


@figure("policies_wright_fisher", "Wright-Fisher: fixation and lost mass under the policies")
def wright_fisher(run, scale):
    M = 20
    n_max = pick(scale, smoke=4, quick=80, paper=200)
    seeds = pick(scale, smoke=64, quick=4000, paper=20000)
    n_line = np.arange(1, n_max + 1)
    n_sim = np.unique(np.linspace(1, n_max, pick(scale, smoke=2, quick=8, paper=16)).astype(int))
    fig, (ax, bx) = new_figure(2, width=5.2)
    for q, color in zip((0.1, 0.3, 0.6), colors(3)):
        theory_line(ax, n_line, TD.fixation_probability(q=q, M=M, n=n_line), color=color,
                    label=f"initial mass q={q}")
        ax.axhline(q, color=color, ls=":", lw=0.8)
        sim_markers(ax, n_sim, run(SD.fixation_probability, seed=8, q=q, M=M, n=n_sim,
                                   seeds=seeds), color=color)
    ranks = np.arange(1, 51.0)
    p = ranks**-1.5 / np.sum(ranks**-1.5)
    for pol, color in zip(("replace", "accumulate", str(Policy.mix(0.2))), colors(3)):
        theory_line(bx, n_line, TD.expected_lost_mass(p=p, M=M, n=n_line, policy=pol),
                    color=color, label=pol)
        sim_markers(bx, n_sim, run(SD.expected_lost_mass, seed=9, p=p, M=M, n=n_sim, policy=pol,
                                   seeds=seeds), color=color)
    ax.set(xlabel="generation n", ylabel="P(state holds all M samples)",
           title=f"Fixation probability -> initial mass (M={M})")
    bx.set(xlabel="generation n", ylabel="expected lost probability mass",
           title=f"Zipf(1.5) on 50 states, M={M}: lost mass\n"
                 "(the resampling chain of sim.zipf)")
    ax.legend(fontsize=7)
    bx.legend(fontsize=7)
    return fig
