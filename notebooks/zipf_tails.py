# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %%
import jax

from sim._compilation_cache import enable_compilation_cache

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)

import os  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import sim.zipf as sz  # noqa: E402
import theory.zipf as tz  # noqa: E402

# %% [markdown]
# # Zipfian tails: where scaling stops and where it resumes
#
# A memorising model trained on T samples of a Zipf(beta) law errs on the real mass of the
# queries it has not seen (ToT section 2; HUT). Move the knobs below: `beta` (tail exponent),
# `k` (top-k cut of the AI data), `pi` (fraction of clean data), `T0` (samples per generation).
# `SMALL` keeps the simulation tiny so the notebook runs in seconds; set it to False for more
# seeds and a larger vocabulary.

# %%
SMALL = bool(int(os.environ.get("ZIPF_NOTEBOOK_SMALL", "1")))
beta, k, pi, T0 = 2.0, 30, 0.05, 500
N = 1000 if SMALL else 2**16
seeds = 300 if SMALL else 1000
T = np.logspace(1, 7, 25)
Ts = np.round(np.logspace(2, 6, 3 if SMALL else 7), -2)

# %% [markdown]
# The clean law, its constant `C_beta` derived by sympy, and where a top-k cut stops scaling:
# the crossover `T* ~ k^beta` and the plateau at the tail mass `1 - P_k`.

# %%
c = 1 - 1 / beta
print(f"C_beta = {float(tz.C_beta(beta=beta)):.6f}, c = {c:.3f}")
print(f"plateau (tail mass) = {float(tz.tail_mass(beta=beta, k=k)):.4g}, "
      f"crossover T* = {float(tz.tail_cut_crossover(beta=beta, k=k)):.4g}")
print(f"a generator trained on T0={T0} samples acts like k = "
      f"{float(tz.generator_cutoff(beta=beta, T0=T0)):.1f}")

# %% [markdown]
# Theory as lines, simulation (the mixed law, `sim.zipf.mixed_error`) as markers with +-2
# standard errors.

# %%
last = {}  # the latest simulation: the parameters it ran at and its estimate


def simulate(beta=beta, k=k, pi=pi):
    est = sz.mixed_error(jax.random.key(0), beta=beta, T=Ts, k=k, pi=pi, N=N, seeds=seeds)
    last.update(params=dict(beta=beta, k=k, pi=pi), est=est)
    return est


def draw(beta=beta, k=k, pi=pi, T0=T0):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(T, tz.memorization_error(beta=beta, T=T, N=N), label="clean")
    ax.loglog(T, tz.tail_cut_error(beta=beta, T=T, k=k, N=N), label=f"top k={k}")
    ax.loglog(T, tz.mixed_error(beta=beta, T=T, k=k, pi=pi, N=N), label=f"mix pi={pi}")
    for n in (1, 3):
        ax.loglog(T, tz.generations_error(beta=beta, T=T, T0=T0, n=n, chain="resample", N=N),
                  "--", label=f"resample n={n}")
    est, run = last["est"], last["params"]
    ax.errorbar(Ts, est.mean, 2 * est.stderr, fmt="o", ms=4, color="k",
                label="simulation (mix; " + ", ".join(f"{a}={v}" for a, v in run.items()) + ")")
    ax.set_xlabel("T")
    ax.set_ylabel("test error")
    if run != dict(beta=beta, k=k, pi=pi):
        ax.set_title("markers from an earlier run: press 'rerun simulation'", fontsize=9)
    ax.legend(fontsize=7)
    plt.show()


est = simulate()
draw()
print("theory vs simulation (mix), z =", np.round(est.z(tz.mixed_error(beta=beta, T=Ts, k=k,
                                                                     pi=pi, N=N)), 2))

# %% [markdown]
# ## Explore
# Moving a slider redraws the theory at once; the button reruns the simulation at the sliders'
# values (the compiled programs come from the persistent compilation cache, so a rerun costs only
# the sampling).

# %%
import ipywidgets as widgets  # noqa: E402
from IPython.display import display  # noqa: E402

explore = widgets.interactive(
    draw,
    beta=widgets.FloatSlider(value=beta, min=1.2, max=3.0, step=0.1, description="beta"),
    k=widgets.IntSlider(value=k, min=5, max=300, step=5, description="k"),
    pi=widgets.FloatSlider(value=pi, min=0.0, max=0.5, step=0.01, description="pi"),
    T0=widgets.IntSlider(value=T0, min=100, max=10_000, step=100, description="T0"),
)
rerun = widgets.Button(description="rerun simulation")


def on_rerun(_):
    simulate(**{a: explore.kwargs[a] for a in ("beta", "k", "pi")})
    explore.update()


rerun.on_click(on_rerun)
display(widgets.VBox([explore, rerun]))

# %% [markdown]
# ## The tailed bigram model (ToT section 4)
# Contexts and next tokens are Zipf(beta) on N contexts and V tokens; the empirical bigram
# learner's expected total-variation error after T training pairs is exact (lines), its
# simulation the markers. Clean data scale as T^-rate, rate = min(1 - 1/beta, 1/2)
# (`tz.bigram_rate`, asymptotic, infinite vocabulary); a top-k cut of the next-token law
# leaves the floor `tz.bigram_floor` (dotted).

# %%
NV = 50 if SMALL else 1000
T_bigram = np.unique(np.logspace(1, 5, 40).astype(int))
T_bigram_sim = np.array([30, 300, 3000])
last_bigram = {}


def simulate_bigram(beta=2.0, k=10):
    est = sz.bigram_error(jax.random.key(1), beta=beta, T=T_bigram_sim, N=NV, V=NV, k=k,
                          seeds=seeds)
    last_bigram.update(params=dict(beta=beta, k=k), est=est)


def draw_bigram(beta=2.0, k=10):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(T_bigram, tz.bigram_error(beta=beta, T=T_bigram, N=NV, V=NV), label="clean")
    line = ax.loglog(T_bigram, tz.bigram_error(beta=beta, T=T_bigram, N=NV, V=NV, k=k),
                     label=f"top k={k}")[0]
    ax.axhline(float(tz.bigram_floor(beta=beta, V=NV, k=k)), color="gray", ls=":",
               label="floor")
    est, run = last_bigram["est"], last_bigram["params"]
    ax.errorbar(T_bigram_sim, est.mean, 2 * est.stderr, fmt="o", ms=4, color=line.get_color(),
                label=f"simulation (beta={run['beta']}, k={run['k']})")
    ax.set(xlabel="T (training pairs)", ylabel="expected TV error",
           title=f"bigram model, N = V = {NV}, rate {float(tz.bigram_rate(beta=beta)):.3f}")
    ax.legend(fontsize=7)
    plt.show()


simulate_bigram()
draw_bigram()

explore_bigram = widgets.interactive(
    draw_bigram,
    beta=widgets.FloatSlider(value=2.0, min=1.2, max=3.0, step=0.1, description="beta"),
    k=widgets.IntSlider(value=10, min=1, max=NV, step=1, description="k"),
)
rerun_bigram = widgets.Button(description="rerun simulation")


def on_rerun_bigram(_):
    simulate_bigram(**explore_bigram.kwargs)
    explore_bigram.update()


rerun_bigram.on_click(on_rerun_bigram)
display(widgets.VBox([explore_bigram, rerun_bigram]))

# %% [markdown]
# ## Top-p sampling and tail narrowing (ToT section 3)
# Top-p sampling keeps the smallest head with mass at least p: a tail cut at
# k = `tz.top_p_cutoff(beta, p)`, so scaling stops at its tail mass. Narrowing trains on a
# Zipf(beta_ai) law with beta_ai > beta instead: the error keeps falling, slower, as
# T^-((beta - 1)/beta_ai) (dashed: the sympy-derived asymptote `tz.narrowed_error_asymptotic`).
# Lines are exact, markers simulated.

# %%
last_tails = {}


def simulate_tails(beta=2.0, top_p=0.95, beta_ai=3.0):
    k_p = int(tz.top_p_cutoff(beta=beta, p=top_p, N=N))
    last_tails.update(
        params=dict(beta=beta, top_p=top_p, beta_ai=beta_ai),
        top_p=sz.tail_cut_error(jax.random.key(2), beta=beta, T=Ts, k=k_p, N=N, seeds=seeds),
        narrowed=sz.narrowed_error(jax.random.key(3), beta=beta, beta_ai=beta_ai, T=Ts, N=N,
                                   seeds=seeds),
    )


def draw_tails(beta=2.0, top_p=0.95, beta_ai=3.0):
    k_p = int(tz.top_p_cutoff(beta=beta, p=top_p, N=N))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(T, tz.memorization_error(beta=beta, T=T, N=N), color="gray", label="clean")
    ax.loglog(T, tz.tail_cut_error(beta=beta, T=T, k=k_p, N=N), color="C0",
              label=f"top-p {top_p} (k = {k_p})")
    ax.loglog(T, tz.narrowed_error(beta=beta, beta_ai=beta_ai, T=T, N=N), color="C1",
              label=f"narrowed, beta_ai = {beta_ai}")
    ax.loglog(T, tz.narrowed_error_asymptotic(beta=beta, beta_ai=beta_ai, T=T), "--",
              color="C1", lw=1, label="narrowed, asymptote")
    run = last_tails["params"]
    for name, color in (("top_p", "C0"), ("narrowed", "C1")):
        est = last_tails[name]
        ax.errorbar(Ts, est.mean, 2 * est.stderr, fmt="o", ms=4, color=color)
    ax.set(xlabel="T", ylabel="test error", ylim=(1e-4, 1),
           title="markers: simulation at " + ", ".join(f"{a}={v}" for a, v in run.items()))
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7)
    plt.show()


simulate_tails()
draw_tails()

explore_tails = widgets.interactive(
    draw_tails,
    beta=widgets.FloatSlider(value=2.0, min=1.2, max=3.0, step=0.1, description="beta"),
    top_p=widgets.FloatSlider(value=0.95, min=0.5, max=0.99, step=0.01, description="top p"),
    beta_ai=widgets.FloatSlider(value=3.0, min=1.3, max=5.0, step=0.1, description="beta_ai"),
)
rerun_tails = widgets.Button(description="rerun simulation")


def on_rerun_tails(_):
    simulate_tails(**explore_tails.kwargs)
    explore_tails.update()


rerun_tails.on_click(on_rerun_tails)
display(widgets.VBox([explore_tails, rerun_tails]))
