# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %%
import jax

from sim._compilation_cache import enable_compilation_cache

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import sim.verification as S  # noqa: E402
import theory.verification as V  # noqa: E402

key = jax.random.key(0)

# %% [markdown]
# # Curating synthetic data with a verifier
#
# BMC: Feng, Dohmatob, Yang, Charton, Kempe, "Beyond Model Collapse: Scaling Up with Synthesized
# Data Requires Verification" (arXiv 2406.07515).
#
# A generator mislabels with probability p; a verifier keeps right labels with probability phi and
# wrong ones with psi. What is kept has label noise q = p psi / (p psi + (1-p) phi), which crosses
# 1/2 at p* = phi/(phi + psi). Execution feedback (Llama 3.1) is phi = 1, psi ~ 0: p* ~ 1.

# %%
import sympy as sp  # noqa: E402
from IPython.display import Math, display  # noqa: E402

display(Math("q = " + sp.latex(V.derive_effective_noise())),
        Math("p^* = " + sp.latex(V.derive_critical_noise())))

# %%
for phi, psi in [(1.0, 1.0), (0.9, 0.5), (1.0, 0.2), (1.0, 0.02)]:
    print(f"phi={phi}, psi={psi}: kept {V.kept_fraction(p=0.4, phi=phi, psi=psi):.3f}, "
          f"q {V.effective_noise(p=0.4, phi=phi, psi=psi):.3f}, "
          f"p* {V.critical_noise(phi=phi, psi=psi):.3f}")

# %% [markdown]
# ## The averaging classifier on the kept data
# Exact finite-n accuracy (no Monte Carlo), the proportional limit, the large-n step, and a
# simulation (sufficient statistics) side by side.

# %%
args = dict(p=np.array([0.2, 0.6, 0.9]), phi=1.0, psi=0.2, mu=1.0, d=50, n=100)
est = S.accuracy(key, **args, seeds=4096)
print("exact       ", V.accuracy(**args))
print("proportional", V.accuracy_proportional(**args))
print("limit       ", V.accuracy_limit(p=args["p"], phi=1.0, psi=0.2, mu=1.0))
print("simulation  ", est.mean, "+-", est.stderr)

# %% [markdown]
# Accuracy against the generator's label noise p: the exact finite-n accuracy and the
# proportional limit (lines), the simulation (markers, +-2 standard errors), the critical noise
# p* (dotted). Moving a slider redraws the theory at once; the button reruns the simulation at
# the sliders' values (the compiled programs come from the persistent compilation cache).

# %%
import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from IPython.display import display  # noqa: E402

p_line = np.linspace(0.0, 0.99, 100)
p_exact = np.linspace(0.0, 0.99, 21)  # the exact accuracy costs a sum over the kept count
p_sim = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
last = {}  # the latest simulation: the parameters it ran at and its estimate


def simulate(phi=1.0, psi=0.2, mu=1.0, d=50, n=100):
    est = S.accuracy(key, p=p_sim, phi=phi, psi=psi, mu=mu, d=d, n=n, seeds=2048)
    last.update(params=dict(phi=phi, psi=psi, mu=mu, d=d, n=n), est=est)


def draw(phi=1.0, psi=0.2, mu=1.0, d=50, n=100):
    fig, ax = plt.subplots(figsize=(6, 4))
    kw = dict(phi=phi, psi=psi, mu=mu, d=d, n=n)
    ax.plot(p_exact, V.accuracy(p=p_exact, **kw), label="exact (finite n)")
    ax.plot(p_line, V.accuracy_proportional(p=p_line, **kw), "--", label="proportional limit")
    est, run = last["est"], last["params"]
    ax.errorbar(p_sim, est.mean, 2 * est.stderr, fmt="o", color="k",
                label="simulation (" + ", ".join(f"{a}={v}" for a, v in run.items()) + ")")
    p_star = float(V.critical_noise(phi=phi, psi=psi))
    if p_star < 1:
        ax.axvline(p_star, color="gray", ls=":", label=f"p* = {p_star:.3f}")
    ax.set(xlabel="generator label noise p", ylabel="accuracy on the kept data")
    if run != kw:
        ax.set_title("markers from an earlier run: press 'rerun simulation'", fontsize=9)
    ax.legend(fontsize=7)
    plt.show()


simulate()
draw()

on_release = dict(continuous_update=False)  # the exact accuracy takes a moment per redraw
explore = widgets.interactive(
    draw,
    phi=widgets.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="phi",
                            **on_release),
    psi=widgets.FloatSlider(value=0.2, min=0.0, max=1.0, step=0.05, description="psi",
                            **on_release),
    mu=widgets.FloatSlider(value=1.0, min=0.2, max=3.0, step=0.1, description="mu",
                           **on_release),
    d=widgets.IntSlider(value=50, min=1, max=400, step=1, description="d", **on_release),
    n=widgets.IntSlider(value=100, min=1, max=400, step=1, description="n", **on_release),
)
rerun = widgets.Button(description="rerun simulation")


def on_rerun(_):
    simulate(**explore.kwargs)
    explore.update()


rerun.on_click(on_rerun)
display(widgets.VBox([explore, rerun]))

# %% [markdown]
# ## Iterating generate -> verify -> retrain
# Without a verifier the loop is attracted to chance when d/n > 2 mu^4/pi.

# %%
print("collapse ratio 2 mu^4/pi =", V.collapse_dimension_ratio(mu=1.0))
for psi in (1.0, 0.05):
    print(f"psi={psi}:", np.round(1 - V.iterated_error(p=0.35, phi=1.0, psi=psi, mu=1.0, d=200,
                                                       n=200, generations=8), 3))

# %% [markdown]
# ## The memorising Zipf model with a verifier
# Floor sum_i p_i q_i from verified-but-wrong answers; execution feedback removes it.

# %%
T = np.array([10, 100, 1000, 10000])
for phi, psi in [(1.0, 1.0), (1.0, 0.2), (1.0, 0.0)]:
    print(f"phi={phi}, psi={psi}:",
          np.round(V.zipf_error(T=T, beta=1.5, N=200, k=50, p=0.2, phi=phi, psi=psi), 4))
print("theory (phi=0.9, psi=0.2, T=10, 300):",
      V.zipf_error(T=np.array([10, 300]), beta=1.5, N=200, k=50, p=0.2, phi=0.9, psi=0.2))
print("(sim.verification.zipf_error is its Monte Carlo twin; see tests/test_verification.py)")

# %% [markdown]
# ## The paper's setting: a linear generator and a linear verifier
# In BMC the generator labels with sign(w_g.x) and the verifier keeps a sample when sign(w_v.x)
# agrees, so errors depend on x. A quick NumPy check (large n, d = 3): the averaging classifier
# still lands on the right side exactly when the kept label noise q is below 1/2, but below the
# threshold it is not Bayes-optimal (our independent-noise theory would give Phi(mu) = 0.841).

# %%
from scipy import stats  # noqa: E402

rng = np.random.default_rng(0)
mu, size = 1.0, 200_000
y = rng.choice([-1.0, 1.0], size)
x = rng.standard_normal((size, 3))
x[:, 0] += mu * y
for tg, tv in [(0.8, 0.3), (2.75, 0.3), (1.96, 1.2), (1.2, 2.0)]:
    y_gen = np.sign(x @ np.array([np.cos(tg), np.sin(tg), 0.0]))
    keep = np.sign(x @ np.array([np.cos(tv), 0.0, np.sin(tv)])) == y_gen
    wrong = y_gen != y
    p, phi, psi = wrong.mean(), keep[~wrong].mean(), keep[wrong].mean()
    w = (y_gen[keep, None] * x[keep]).mean(0)
    acc = stats.norm.cdf(mu * w[0] / np.linalg.norm(w))
    print(f"p={p:.3f} p*={V.critical_noise(phi=phi, psi=psi):.3f} "
          f"q={V.effective_noise(p=p, phi=phi, psi=psi):.3f} accuracy={acc:.3f}")
