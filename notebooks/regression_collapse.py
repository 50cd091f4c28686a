# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Regression on recursively generated labels
#
# Dohmatob, Feng, Kempe, *Model Collapse Demystified: The Case of Regression* (NeurIPS 2024,
# arXiv 2402.07712). Each generation refits a linear model on labels produced by the
# previous one; the downstream model is ridge on `T` samples labelled by generation `n`.
# Change `n`, `lam`, `T0` below and watch theory (lines) and simulation (dots) move together.

# %%
import jax
import matplotlib.pyplot as plt
import numpy as np

from sim import regression as S
from sim._compilation_cache import enable_compilation_cache
from theory import regression as R

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)
SMALL = True  # the test suite runs this notebook at a small size
d = 20 if SMALL else 100
seeds = 200 if SMALL else 2000
key = jax.random.key(0)

# %% [markdown]
# ## OLS: exact finite-size test error, linear in the number of generations

# %%
T, T0, n = 3 * d, 2 * d, np.arange(6)
theory = R.ols_test_error(d=d, T=T, T0=T0, n=n, sigma=1.0, sigma0=1.0)
est = S.ols_test_error(key, d=d, T=T, T0=T0, n=n, sigma=1.0, sigma0=1.0, seeds=seeds)
print("theory    ", np.round(theory, 3))
print("simulation", np.round(est.mean, 3), "+-", np.round(est.stderr, 3))
R.derive_ols_test_error()  # the sympy derivation behind the formula

# %% [markdown]
# ## Ridge: the U-shape in lam, and the best lam grows with n

# %%
lam_line = np.logspace(-2, 1, 100)
lam_sim = np.logspace(-1.5, 0.5, 4)
fig, ax = plt.subplots()
for n_gen in (0, 2):
    kw = dict(d=d, T=2 * d, T0=T0, n=n_gen, sigma=1.0, sigma0=1.0, w0_norm=1.0)
    line = ax.plot(lam_line, R.isotropic_ridge_test_error(lam=lam_line, **kw),
                   label=f"n = {n_gen}")[0]
    e = S.isotropic_ridge_test_error(key, lam=lam_sim, seeds=seeds, **kw)
    ax.errorbar(lam_sim, e.mean, 2 * e.stderr, fmt="o", color=line.get_color())
ax.set(xscale="log", xlabel="lam", ylabel="test error")
ax.legend()

# %% [markdown]
# ## The optimal penalty, numerically (jax.grad + optax) and asymptotically

# %%
spectrum, w0 = R.power_law_problem(beta=2.0, r=0.5, d=400)
T = np.array([20, 40, 80])
for n_gen in (0, 1, 4):
    kw = dict(T=T, T0=800, n=n_gen, sigma=0.5, sigma0=1.0)
    print(n_gen, R.optimal_lam(spectrum=spectrum, w0=w0, **kw),
          R.optimal_lam_asymptotic(beta=2.0, r=0.5, d=400, **kw))

# %% [markdown]
# ## Explore: OLS against the number of generations, ridge against lam
# Left: the exact OLS test error at generations 0..8 (line) and its simulation (markers, +-2
# standard errors). Right: the ridge U-shape for the clean data (n = 0) and for generation n.
# Moving a slider redraws the theory at once; the button reruns the simulation at the sliders'
# values (the compiled programs come from the persistent compilation cache).

# %%
import ipywidgets as widgets  # noqa: E402
from IPython.display import display  # noqa: E402

gens = np.arange(9)
last = {}  # the latest simulation: the parameters it ran at and its estimates


def simulate(T0=2 * d, T=3 * d, n=2):
    T0, T, n = int(T0), int(T), int(n)
    ols = S.ols_test_error(key, d=d, T=T, T0=T0, n=gens, sigma=1.0, sigma0=1.0, seeds=seeds)
    ridge = {g: S.isotropic_ridge_test_error(key, lam=lam_sim, d=d, T=T, T0=T0, n=g, sigma=1.0,
                                             sigma0=1.0, w0_norm=1.0, seeds=seeds)
             for g in sorted({0, n})}
    last.update(params=dict(T0=T0, T=T, n=n), ols=ols, ridge=ridge)


def draw(T0=2 * d, T=3 * d, n=2):
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    run = last["params"]
    left.plot(gens, R.ols_test_error(d=d, T=T, T0=T0, n=gens, sigma=1.0, sigma0=1.0), "-",
              label="theory (exact)")
    left.errorbar(gens, last["ols"].mean, 2 * last["ols"].stderr, fmt="o", color="k",
                  label=f"simulation (T0={run['T0']}, T={run['T']})")
    left.set(xlabel="generation n", ylabel="OLS test error", title=f"d = {d}")
    left.legend(fontsize=8)
    for g in sorted({0, n}):
        kw = dict(d=d, T=T, T0=T0, n=g, sigma=1.0, sigma0=1.0, w0_norm=1.0)
        line = right.plot(lam_line, R.isotropic_ridge_test_error(lam=lam_line, **kw),
                          label=f"n = {g}")[0]
        if g in last["ridge"]:
            e = last["ridge"][g]
            right.errorbar(lam_sim, e.mean, 2 * e.stderr, fmt="o", color=line.get_color())
    right.set(xscale="log", yscale="log", xlabel="lam", ylabel="ridge test error")
    right.legend(fontsize=8)
    if run != dict(T0=T0, T=T, n=n):
        fig.suptitle("markers from an earlier run: press 'rerun simulation'", fontsize=9)
    plt.show()


simulate(T0=2 * d, T=3 * d, n=2)
draw(T0=2 * d, T=3 * d, n=2)

explore = widgets.interactive(
    draw,
    T0=widgets.IntSlider(value=2 * d, min=d + 2, max=6 * d, step=2, description="T0"),
    T=widgets.IntSlider(value=3 * d, min=d + 2, max=10 * d, step=2, description="T"),
    n=widgets.IntSlider(value=2, min=0, max=8, step=1, description="n (ridge)"),
)
rerun = widgets.Button(description="rerun simulation")


def on_rerun(_):
    simulate(**explore.kwargs)
    explore.update()


rerun.on_click(on_rerun)
display(widgets.VBox([explore, rerun]))

# %% [markdown]
# ## Over-parametrised generators (T0 < d): the model shrinks to zero
# Each generator is the minimum-norm interpolant of T0 < d samples (arXiv 2402.07712, Section 4):
# E ||w_n - w0||^2 = ||w0||^2 (1 - q^n) + sigma0^2 T0/(d - T0 - 1) (1 - q^n)/(1 - q), q = T0/d,
# exact for Sigma = I. Even without noise the fitted model decays to 0 exponentially in n.

# %%
last_over = {}


def simulate_over(T0=d // 2, sigma0=0.3):
    est = S.overparam_generator_error(key, d=d, T0=T0, n=gens, sigma0=sigma0, w0_norm=1.0,
                                      seeds=seeds)
    last_over.update(params=dict(T0=T0, sigma0=sigma0), est=est)


def draw_over(T0=d // 2, sigma0=0.3):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(gens, R.overparam_generator_error(d=d, T0=T0, n=gens, sigma0=sigma0, w0_norm=1.0),
            label="theory (exact)")
    est, run = last_over["est"], last_over["params"]
    ax.errorbar(gens, est.mean, 2 * est.stderr, fmt="o", color="k",
                label=f"simulation (T0={run['T0']}, sigma0={run['sigma0']})")
    ax.set(xlabel="generation n", ylabel="E ||w_n - w0||^2", title=f"d = {d}, ||w0|| = 1")
    ax.legend(fontsize=8)
    plt.show()


simulate_over()
draw_over()

explore_over = widgets.interactive(
    draw_over,
    T0=widgets.IntSlider(value=d // 2, min=1, max=d - 2, step=1, description="T0"),
    sigma0=widgets.FloatSlider(value=0.3, min=0.0, max=1.0, step=0.05, description="sigma0"),
)
rerun_over = widgets.Button(description="rerun simulation")


def on_rerun_over(_):
    simulate_over(**explore_over.kwargs)
    explore_over.update()


rerun_over.on_click(on_rerun_over)
display(widgets.VBox([explore_over, rerun_over]))
