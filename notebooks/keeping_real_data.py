# %% [markdown]
# # Keeping real data: how much, kept how, prevents collapse?
# Papers: GER = Gerstgrasser et al., "Is Model Collapse Inevitable?" (2024, arXiv 2404.01413);
# Dey and Donoho, "Universality of the pi^2/6 Pathway in Avoiding Model Collapse"
# (arXiv 2410.22812); KAZ = Kazdan et al., "Collapse or Thrive?" (2024, arXiv 2410.16713);
# Dohmatob, Feng, Subramonian, Kempe, "Strong Model Collapse" (ICLR 2025, arXiv 2410.04840);
# Shumailov et al., Nature 631 (2024, arXiv 2305.17493); HXC = He, Xu, Cheng, "Recursive
# Learning Without Collapse" (arXiv 2502.18049). One policy object (`theory.policy.Policy`) drives the regression
# chain, the Gaussian refitting chain and the categorical (Wright-Fisher) chain; every theory
# number below has a simulator twin of the same name in `sim`.

# %%
import jax

from sim._compilation_cache import enable_compilation_cache

enable_compilation_cache()  # compiled programs persist on disk (./.cache/jax; COLLAPSE_JAX_CACHE)
jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import sim.gaussian as SG  # noqa: E402
import sim.regression as SR  # noqa: E402
import theory.discrete as TD  # noqa: E402
import theory.gaussian as TG  # noqa: E402
import theory.regression as TR  # noqa: E402
from theory.policy import Policy  # noqa: E402

SEEDS = 200  # small: this notebook runs in the test suite

# %% [markdown]
# ## 1. Replace or accumulate (fixed-design regression; GER, Dey-Donoho)
# Replacing the data makes the error grow linearly in the number of iterations n; accumulating
# it caps the error at pi^2/6 single-fit errors; a fixed budget drawn from the growing pool
# (KAZ's accumulate-subsample) sits between, and levels off near 3 single-fit errors.

# %%
n = np.array([1, 2, 5, 10, 50])
for policy in ("replace", "accumulate", "accumulate-subsample"):
    print(f"{policy:>22}", np.round(TR.fixed_design_error(d=10, T=50, n=n, sigma=1.0,
                                                          policy=policy), 4))
est = SR.fixed_design_error(jax.random.key(0), d=10, T=50, n=10, sigma=1.0, policy="accumulate",
                            seeds=SEEDS)
print("simulated accumulate, n = 10:", est.mean, "+-", est.stderr)

# %% [markdown]
# ## 2. A fixed share of synthetic data in one training set (Strong Model Collapse)
# However large the training set, a share p2 of data from a shifted model leaves a floor p2^2 c^2.

# %%
n_train = np.array([1e2, 1e3, 1e4, 1e6])
for p2 in (0.0, 0.01, 0.1):
    print(f"p2={p2:<5}", TR.isotropic_mixed_training_error(d=10, n=n_train, p2=p2, c2=1.0,
                                                           sigma=1.0))

# %% [markdown]
# ## 3. Refitting a Gaussian (Shumailov et al.): the mean hides the collapse
# With the unbiased variance estimator E sigma_n^2 stays 1 while E log sigma_n^2 drifts down by
# about 1/(M-1) per generation; fresh real data (mix) or accumulation stop it.

# %%
M, gens = 20, np.array([10, 100, 1000])
print("E sigma_n^2 (unbiased)      ", TG.variance_after(n=gens, M=M))
print("E log sigma_n^2             ", TG.logdet_drift(d=1, M=M, n=gens))
print("E sigma_n^2 (MLE)           ", TG.variance_after(n=gens, M=M, estimator="mle"))
print("E sigma_n^2 (MLE, 20% real) ", TG.variance_after(n=gens[:2], M=M, estimator="mle",
                                                        policy=Policy.mix(0.2)))
print("E (mu_n - mu)^2 replace / accumulate / accumulate-subsample (exact at finite M):",
      TG.mean_drift(n=100, M=M), TG.mean_drift(n=100, M=M, policy="accumulate"),
      TG.mean_drift(n=100, M=M, policy="accumulate-subsample"))
est = SG.log_variance(jax.random.key(1), n=10, M=M, seeds=SEEDS)
print("simulated E log sigma_10^2:", est.mean, "+-", est.stderr)

# %% [markdown]
# ## 4. Weighting fresh real data against synthetic data (HXC)
# The optimal weight on real data solves w^2 + k w - k = 0 (k = 1: 1/golden ratio).

# %%
for k in (0.25, 1.0, 4.0):
    w = float(TG.optimal_real_weight(k=k))
    v = TG.weighted_stationary_variance(w=w, k=k, n=10)
    print(f"k={k}: w*={w:.4f}, stationary variance {v}")

# %% [markdown]
# ## 5. Categorical laws (Wright-Fisher): lost mass under the policies

# %%
p = np.arange(1, 51.0) ** -1.5
p /= p.sum()
for policy in ("replace", "accumulate", Policy.mix(0.2)):
    print(f"{policy!s:>14}", np.round(TD.expected_lost_mass(p=p, M=20, n=[1, 10, 40],
                                                           policy=policy), 4))

# %% [markdown]
# ## The closed forms, as sympy derives them
# Fixed-design regression error under replace and accumulate (d parameters, T samples, n
# iterations), the MLE variance after n refits, the optimal weight on real data, and the
# probability that a symbol of mass q is lost in one generation of M draws.

# %%
from IPython.display import Math, display  # noqa: E402
import sympy as sp  # noqa: E402

for label, expr in [
    (r"E_{\mathrm{replace}}", TR.derive_fixed_design_error("replace")),
    (r"E_{\mathrm{accumulate}}", TR.derive_fixed_design_error("accumulate")),
    (r"\mathbb{E}\,\sigma_n^2\ (\mathrm{MLE,\ replace})", TG.derive_variance_after("mle")),
    (r"w^*", TG.derive_optimal_real_weight()),
    (r"P(\text{lost in one generation})", TD.derive_loss_probability()),
]:
    display(Math(f"{label} = {sp.latex(expr)}"))

# %% [markdown]
# ## Explore the policies
# Theory as lines, simulations of the raw loops as markers (+-2 standard errors): the
# fixed-design regression error (section 1), the mixed training set's error and its floor
# (section 2), E sigma_n^2 of the Gaussian refitted by maximum likelihood (section 3), and the lost
# mass of the
# categorical chain (section 5), each under replace, accumulate and a share of fresh real data.
# Moving a slider redraws the theory at once; the button reruns every simulation at the sliders'
# values (the compiled programs come from the persistent compilation cache).
#
# Under replace with the MLE, sigma_n^2 is a product of n independent chi^2_{M-1}/M factors: the
# variance of its logarithm grows like 2n/(M-1), so its mean is carried by rare seeds and a few
# hundred seeds underestimate it at large n (the markers there sit below the exact line, and their
# standard errors are unreliable). E log sigma_n^2 (section 3) is the quantity to simulate there.

# %%
import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from IPython.display import display  # noqa: E402

import sim.discrete as SD  # noqa: E402

key = jax.random.key(0)
reg_n, reg_sim = np.arange(1, 51), np.array([1, 3, 10, 30])
train_sim = np.array([50, 200, 2000])
gen_line, gen_sim = np.arange(0, 101), np.array([1, 10, 30, 100])
cat_line, cat_sim = np.arange(0, 41), np.array([1, 5, 20, 40])
REG_POLICIES = ("replace", "accumulate", "accumulate-subsample")
defaults = dict(d=10, T=50, p2=0.1, M=20, share=0.2)
last = {}  # the latest simulations: the parameters they ran at and their estimates


def loop_policies(share):
    return {"replace": "replace", "accumulate": "accumulate",
            f"mix {share:g}": Policy.mix(share)}


def simulate(d, T, p2, M, share):
    policies = loop_policies(share)
    last.update(
        params=dict(d=d, T=T, p2=p2, M=M, share=share),
        reg={pol: SR.fixed_design_error(key, d=d, T=T, n=reg_sim, sigma=1.0, policy=pol,
                                        seeds=SEEDS) for pol in REG_POLICIES},
        train=SR.isotropic_mixed_training_error(key, d=d, n=train_sim, p2=p2, c2=1.0,
                                                sigma=1.0, seeds=SEEDS),
        gauss={lab: SG.variance_after(key, n=gen_sim, M=M, estimator="mle", policy=pol,
                                      seeds=SEEDS)
               for lab, pol in policies.items()},
        cat={lab: SD.expected_lost_mass(key, p=p, M=M, n=cat_sim, policy=pol, seeds=SEEDS)
             for lab, pol in policies.items()},
    )


def markers(ax, x, est, color):
    ax.errorbar(x, est.mean, 2 * est.stderr, fmt="o", ms=4, color=color)


def draw(d, T, p2, M, share):
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    reg, train, gauss, cat = axes.ravel()
    for i, pol in enumerate(REG_POLICIES):
        reg.plot(reg_n, TR.fixed_design_error(d=d, T=T, n=reg_n, sigma=1.0, policy=pol),
                 color=f"C{i}", label=pol)
        markers(reg, reg_sim, last["reg"][pol], f"C{i}")
    reg.set(xlabel="iteration n", ylabel="test error",
            title=f"fixed-design regression (d={d}, T={T})")
    train_line = np.unique(np.geomspace(d + 2, 1e6, 60).astype(int))  # OLS needs n >= d + 2
    for i, share2 in enumerate((0.0, p2)):
        train.plot(train_line, TR.isotropic_mixed_training_error(
            d=d, n=train_line, p2=share2, c2=1.0, sigma=1.0), color=f"C{i}",
            label=f"p2 = {share2:g}")
    train.axhline(p2**2, color="gray", ls=":", label="floor p2^2 c^2")
    markers(train, train_sim, last["train"], "C1")
    train.set(xscale="log", yscale="log", xlabel="training set size", ylabel="test error",
              title=f"a share p2 of synthetic data (d={d}, c2=1)")
    for i, (lab, pol) in enumerate(loop_policies(share).items()):
        gauss.plot(gen_line, TG.variance_after(n=gen_line, M=M, estimator="mle", policy=pol),
                   color=f"C{i}", label=lab)
        cat.plot(cat_line, TD.expected_lost_mass(p=p, M=M, n=cat_line, policy=pol),
                 color=f"C{i}", label=lab)
        if lab in last["gauss"]:
            markers(gauss, gen_sim, last["gauss"][lab], f"C{i}")
            markers(cat, cat_sim, last["cat"][lab], f"C{i}")
    gauss.set(xlabel="generation n", ylabel="E sigma_n^2", yscale="log",
              title=f"refitted Gaussian (M={M}, MLE variance)")
    cat.set(xlabel="generation n", ylabel="expected lost mass",
            title=f"categorical chain (Zipf 1.5 on 50 symbols, M={M})")
    for ax in axes.ravel():
        ax.legend(fontsize=7)
    if last["params"] != dict(d=d, T=T, p2=p2, M=M, share=share):
        fig.suptitle("markers from an earlier run: press 'rerun simulation'", fontsize=9)
    fig.tight_layout()
    plt.show()


simulate(**defaults)
draw(**defaults)

explore = widgets.interactive(
    draw,
    d=widgets.IntSlider(value=10, min=1, max=40, step=1, description="d"),  # n >= d + 2
    T=widgets.IntSlider(value=50, min=12, max=200, step=2, description="T"),
    p2=widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.01, description="p2"),
    M=widgets.IntSlider(value=20, min=3, max=100, step=1, description="M"),
    share=widgets.FloatSlider(value=0.2, min=0.05, max=0.9, step=0.05, description="real share"),
)
rerun = widgets.Button(description="rerun simulation")


def on_rerun(_):
    simulate(**explore.kwargs)
    explore.update()


rerun.on_click(on_rerun)
display(widgets.VBox([explore, rerun]))
