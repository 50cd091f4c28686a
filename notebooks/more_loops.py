# %% [markdown]
# # More self-consuming loops: kernel densities, contaminated sources, Bayesian learners
# Three loops in which a model is refitted to data it (partly) generated, each with exact theory
# (`theory.kde`, `theory.contamination`, `theory.bayes`) and a simulator twin of the same name in
# `sim` that runs the raw loop.

# %%
import jax

from sim._compilation_cache import enable_compilation_cache

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import sim.bayes as SB  # noqa: E402
import sim.contamination as SC  # noqa: E402
import sim.kde as SK  # noqa: E402
import theory.bayes as TB  # noqa: E402
import theory.contamination as TC  # noqa: E402
import theory.kde as TK  # noqa: E402

SEEDS = 256  # small: this notebook runs in the test suite
key = jax.random.key(0)

# %% [markdown]
# ## 1. Kernel density estimates refitted to their own samples (Kazdan et al. 2024)
# Generation k + 1 draws M points from generation k's Gaussian-kernel density (a uniformly chosen
# point plus N(0, h^2) noise). One refit gives E[V' | X] = (1 - 1/M)(V + h^2) for the points'
# biased variance V, so the fitted density's variance W = V + h^2 obeys
# E W_{n+1} = (1 - 1/M) E W_n + h^2: it tends to M h^2, not to 0. Re-selecting the bandwidth by
# Silverman's rule makes h^2 proportional to V and the variance grows geometrically.

# %%
n = np.array([0, 1, 5, 20, 100])
print("fixed h = 0.3, M = 20:", np.round(TK.variance_after(n=n, M=20, h=0.3), 4),
      " stationary M h^2 =", np.round(TK.stationary_variance(M=20, h=0.3), 4))
print("Silverman, M = 20:    ", np.round(TK.variance_after(n=n[:4], M=20, h=1.0,
                                                         bandwidth="silverman"), 4))
est = SK.variance_after(key, n=[1, 5, 20], M=20, h=0.3, seeds=SEEDS)
print("simulated (fixed):    ", np.round(est.mean, 4), "+-", np.round(est.stderr, 4))

# %% [markdown]
# The variance does not collapse, yet the genealogy does: every point descends from a uniformly
# chosen parent, so the number of distinct real ancestors follows the Wright-Fisher coalescent
# (exact, by the occupancy chain of the lineages) and reaches 1 after about 2M generations. The
# held-out log-likelihood of real data (simulation only) falls as the fitted density drifts.

# %%
print("E distinct real ancestors, M = 20:", np.round(TK.ancestors_after(n=[1, 2, 10, 40], M=20),
                                                     3))
print("simulated:", SK.ancestors_after(key, n=[1, 2, 10, 40], M=20, seeds=SEEDS).mean)
ll = SK.heldout_loglik(key, n=[0, 1, 20], M=20, h=0.3, test_points=64, seeds=SEEDS)
print("held-out log-likelihood (truth, generation 1, 20):", np.round(ll.mean, 3))

# %% [markdown]
# ## 2. Training on a contaminated source (Bakshi and Chakraborty 2026)
# Round t trains on n_t draws from alpha_t P + (1 - alpha_t) Phat_{t-1}. Over multinomial sampling,
# R_t = E ||Phat_t - P||^2 = (1 - ||P||^2)/n_t + ((n_t - 1)/n_t)(1 - alpha_t)^2 R_{t-1}, exact for
# any schedules. Constant schedules converge to (1 - ||P||^2)/(n (1 - c)),
# c = ((n - 1)/n)(1 - alpha)^2; the risk falls at every round iff n (1 - c) > n_0.

# %%
import sympy as sp  # noqa: E402
from IPython.display import Math, display  # noqa: E402

# one round of the risk recursion (S = ||P||^2, R = R_{t-1}), and its fixed point, from sympy
display(Math(r"R_t = " + sp.latex(TC.derive_risk_step())))
display(Math(r"R_\infty = " + sp.latex(TC.derive_stationary_risk())))

# %%
p = np.array([0.4, 0.3, 0.2, 0.1])
t = np.arange(0, 6)
for alpha in (0.0, 0.2, 1.0):
    print(f"alpha = {alpha}:", np.round(TC.risk(p=p, alpha=alpha, n_samples=[5] + [20] * 5, t=t),
                                       4), " stationary",
          np.round(TC.stationary_risk(p=p, alpha=alpha, n=20), 4))
schedule = dict(p=p, alpha=1 / np.arange(2, 7), n_samples=20 * np.arange(1, 7))
print("decaying alpha, growing n:", np.round(TC.risk(**schedule, t=t), 4))
print("simulated:                ", np.round(SC.risk(key, **schedule, t=t, seeds=SEEDS).mean, 4))

# %% [markdown]
# ## 3. Iterated learning with Bayesian agents (Griffiths and Kalish 2007)
# Each learner sees n Bernoulli(h) data from the previous hypothesis. Sampling from the posterior
# makes the chain a Gibbs sampler whose stationary law is the prior Beta(a, b); the posterior mode
# (MAP) drifts to the prior mode (a - 1)/(a + b - 2); the posterior mean shrinks to the prior mean
# with a much smaller spread. Moments are exact by an affine recursion; the law is a finite chain
# on the counts.

# %%
kw = dict(n=5, a=2.0, b=3.0, h0=0.95)
for learner in TB.LEARNERS:
    print(f"{learner:>6}: E h_t", np.round(TB.mean_after(t=[0, 1, 5, 50], learner=learner, **kw),
                                           4),
          " Var h_t", np.round(TB.variance_after(t=[0, 1, 5, 50], learner=learner, **kw), 4))
print("stationary count law (sample) = Beta-Binomial(5, 2, 3):",
      np.round(TB.stationary_law(n=5, a=2.0, b=3.0), 4))
est = SB.variance_after(key, t=[1, 5, 50], learner="map", seeds=SEEDS, **kw)
print("simulated Var h_t (map):", np.round(est.mean, 4), "+-", np.round(est.stderr, 4))
het = dict(n=5, alpha=[1.5] * 4, theta0=[0.85, 0.05, 0.05, 0.05])
print("heterozygosity (sample):", np.round(TB.heterozygosity_after(t=[0, 1, 10], **het), 4),
      " simulated", np.round(SB.heterozygosity_after(key, t=[0, 1, 10], seeds=SEEDS,
                                                     **het).mean, 4))

# %% [markdown]
# ## 4. Gaussian loops with real data (Alemohammad et al. 2024; Bertrand et al. 2024)
# MAD's fresh data loop: n_r fresh real and n_s synthetic points per generation, synthetic points
# drawn with variance sampling_bias * sigma_t^2. The second and fourth moments of (mu_t, sigma_t^2)
# close, so the stationary fit error E[(mu_t - mu)^2 + (sigma_t^2 - sigma^2)^2/(4 sigma^2)] is
# exact; the effective sample size is the number of real points with the same error alone.
# Synthetic data always help the mean; under sampling bias they hurt the fit once their share is
# large. With a fixed real set (Bertrand et al.) the moments contract at rate n_s/(n_r + n_s) (MLE).

# %%
import sim.gaussian as SG  # noqa: E402
import theory.gaussian as TG  # noqa: E402

loop = dict(n_real=10, n_synthetic=[0, 5, 20, 80], sampling_bias=0.7)
print("stationary fit error:", np.round(TG.stationary_fit_error(**loop), 4))
print("simulated:           ", np.round(SG.stationary_fit_error(key, **loop, seeds=SEEDS).mean, 4))
print("effective sample size (fit, mean):", np.round(TG.effective_sample_size(**loop), 2),
      np.round(TG.effective_sample_size(**loop, error="mean"), 2))
print("fixed real set, MLE contraction:", np.round(TG.moment_contraction(
    n_real=10, n_synthetic=[5, 20, 80], loop="augmentation", estimator="mle"), 4))

# %% [markdown]
# ## Explore the four loops
# Theory as lines, the raw-loop simulations as markers (+-2 standard errors): the fitted KDE's
# variance and its stationary value M h^2; the contaminated-source risk for constant alpha and n
# and its stationary value; the Bayesian learners' mean hypothesis; the Gaussian fresh data
# loop's stationary fit error against the number of synthetic points. Moving a slider redraws the
# theory at once; the button reruns every simulation at the sliders' values (the compiled
# programs come from the persistent compilation cache).

# %%
import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from IPython.display import display  # noqa: E402

kde_n, kde_sim = np.arange(0, 101), np.array([1, 5, 20, 50, 100])
rounds, rounds_sim = np.arange(0, 11), np.array([1, 2, 5, 10])
bayes_t, bayes_sim = np.arange(0, 21), np.array([1, 3, 10, 20])
syn_line, syn_sim = np.arange(0, 101), np.array([0, 5, 20, 80])
defaults = dict(M=20, h=0.3, alpha=0.2, n=20, n_bayes=5, a=2.0, b=3.0, n_real=10,
                sampling_bias=0.7)
last = {}  # the latest simulations: the parameters they ran at and their estimates


def simulate(M, h, alpha, n, n_bayes, a, b, n_real, sampling_bias):
    bayes = dict(n=n_bayes, a=a, b=b, h0=0.95)
    last.update(
        params=dict(M=M, h=h, alpha=alpha, n=n, n_bayes=n_bayes, a=a, b=b, n_real=n_real,
                    sampling_bias=sampling_bias),
        kde=SK.variance_after(key, n=kde_sim, M=M, h=h, seeds=SEEDS),
        risk=SC.risk(key, p=p, alpha=alpha, n_samples=[5] + [n] * 10, t=rounds_sim,
                     seeds=SEEDS),
        bayes={lr: SB.mean_after(key, t=bayes_sim, learner=lr, seeds=SEEDS, **bayes)
               for lr in TB.LEARNERS},
        gauss=SG.stationary_fit_error(key, n_real=n_real, n_synthetic=syn_sim,
                                      sampling_bias=sampling_bias, seeds=SEEDS),
    )


def markers(ax, x, est, color="k", label="simulation"):
    ax.errorbar(x, est.mean, 2 * est.stderr, fmt="o", ms=4, color=color, label=label)


def draw(M, h, alpha, n, n_bayes, a, b, n_real, sampling_bias):
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    kde, cont, bay, gau = axes.ravel()
    kde.plot(kde_n, TK.variance_after(n=kde_n, M=M, h=h), label="theory (exact)")
    kde.axhline(float(TK.stationary_variance(M=M, h=h)), color="gray", ls=":",
                label="M h^2 (stationary)")
    markers(kde, kde_sim, last["kde"])
    kde.set(xlabel="generation n", ylabel="variance of the fitted KDE",
            title=f"KDE, fixed h (M={M}, h={h})")
    cont.plot(rounds, TC.risk(p=p, alpha=alpha, n_samples=[5] + [n] * 10, t=rounds),
              label="theory (exact)")
    cont.axhline(float(TC.stationary_risk(p=p, alpha=alpha, n=n)), color="gray", ls=":",
                 label="stationary")
    markers(cont, rounds_sim, last["risk"])
    cont.set(xlabel="round t", ylabel="E ||Phat_t - P||^2",
             title=f"contaminated source (n_0=5, n={n}, alpha={alpha})")
    for i, lr in enumerate(TB.LEARNERS):
        bay.plot(bayes_t, TB.mean_after(t=bayes_t, learner=lr, n=n_bayes, a=a, b=b, h0=0.95),
                 color=f"C{i}", label=lr)
        markers(bay, bayes_sim, last["bayes"][lr], color=f"C{i}", label=None)
    bay.set(xlabel="learner t", ylabel="E h_t",
            title=f"iterated learning (n={n_bayes}, Beta({a}, {b}), h0=0.95)")
    gau.plot(syn_line, TG.stationary_fit_error(n_real=n_real, n_synthetic=syn_line,
                                               sampling_bias=sampling_bias),
             label="theory (exact)")
    markers(gau, syn_sim, last["gauss"])
    gau.set(xlabel="synthetic points per generation", ylabel="stationary fit error",
            title=f"fresh data loop (n_real={n_real}, bias={sampling_bias})")
    for ax in axes.ravel():
        ax.legend(fontsize=7)
    if last["params"] != dict(M=M, h=h, alpha=alpha, n=n, n_bayes=n_bayes, a=a, b=b,
                              n_real=n_real, sampling_bias=sampling_bias):
        fig.suptitle("markers from an earlier run: press 'rerun simulation'", fontsize=9)
    fig.tight_layout()
    plt.show()


simulate(**defaults)
draw(**defaults)

explore = widgets.interactive(
    draw,
    M=widgets.IntSlider(value=20, min=2, max=100, step=1, description="M (KDE)"),
    h=widgets.FloatSlider(value=0.3, min=0.05, max=1.0, step=0.05, description="h"),
    alpha=widgets.FloatSlider(value=0.2, min=0.0, max=1.0, step=0.05, description="alpha"),
    n=widgets.IntSlider(value=20, min=1, max=200, step=1, description="n (source)"),
    n_bayes=widgets.IntSlider(value=5, min=1, max=30, step=1, description="n (Bayes)"),
    a=widgets.FloatSlider(value=2.0, min=0.5, max=10.0, step=0.5, description="a"),
    b=widgets.FloatSlider(value=3.0, min=0.5, max=10.0, step=0.5, description="b"),
    n_real=widgets.IntSlider(value=10, min=2, max=100, step=1, description="n_real"),
    sampling_bias=widgets.FloatSlider(value=0.7, min=0.1, max=1.5, step=0.05,
                                      description="bias"),
)
rerun = widgets.Button(description="rerun simulation")


def on_rerun(_):
    simulate(**explore.kwargs)
    explore.update()


rerun.on_click(on_rerun)
display(widgets.VBox([explore, rerun]))
