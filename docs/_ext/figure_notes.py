"""What each figure of :mod:`paper_figures` reproduces (the gallery page prints it; a plain data
module, importable without Sphinx, so that the test suite checks every registered figure has an
entry)."""

from __future__ import annotations

_OWN = "The toolkit's own illustration"
_UNDESCRIBED = ("not yet described here (tests/test_docs.py asks for an entry in "
                "docs/_ext/figure_notes.py)")

#: figure name -> (the paper figure it reproduces, or the toolkit's own illustration; the theory
#: page it belongs to). Papers: DFK = Dohmatob, Feng, Kempe, arXiv 2402.07712; ToT = Dohmatob,
#: Feng, Yang, Charton, Kempe, arXiv 2402.07043; BMC = Feng et al., arXiv 2406.07515; SMC =
#: Dohmatob, Feng, Subramonian, Kempe, arXiv 2410.04840; GER = Gerstgrasser et al., arXiv
#: 2404.01413; SHU = Shumailov et al., arXiv 2305.17493; KAZ = Kazdan et al., arXiv 2410.16713;
#: HXC = He, Xu, Cheng, arXiv 2502.18049.
REPRODUCES: dict[str, tuple[str, str]] = {
    "regression_ridge_lambda": (
        "The setting of Dohmatob, Feng, Kempe (arXiv 2402.07712), Section 4 (ridge downstream of n "
        "fake generations, isotropic covariance): the U-shaped test error against the ridge "
        "parameter, whose optimum moves with n. The toolkit's own sizes (d, T, T0 of the "
        "worked value of the regression page: T = 2d, T0 = 3d, sigma = sigma0 = 1, |w0| = 1, "
        "n = 0, 1, 2, 4; d = 100 at full scale), not a figure's parameters copied from the paper.",
        "theory/regression"),
    "regression_error_vs_n": (
        "The linear growth in the number of generations n of Dohmatob, Feng, Kempe (arXiv "
        "2402.07712), Theorem 4.1 (OLS, exact at finite size), and its ridge counterpart. The "
        "toolkit's own illustration of that theorem: OLS with T = 2d, T0 = 2d and 4d; ridge "
        "lam = 0.1 and 1 with T = T0 = 2d; sigma = sigma0 = 1 (d = 100 at full scale).",
        "theory/regression"),
    "regression_power_law": (
        "The changed scaling laws of Dohmatob, Feng, Kempe (arXiv 2402.07712), Section 5 "
        "(power-law spectrum): fake generations turn the fast rate into the slow one. The "
        "toolkit's own illustration of the section's rates: spectrum j^-2, source r = 0.5, "
        "noiseless labels, sigma0 = 1, T0 = 2d, the ridge penalty tuned at each T, n = 0, 1, 2, "
        "4 (d = 1000 at full scale).", "theory/power_laws"),
    "regression_overparam": (
        "The exponentially fast, noise-free collapse of over-parametrised generators (T0 < d) of "
        "Dohmatob, Feng, Kempe (arXiv 2402.07712), Section 4. The toolkit's own illustration: "
        "T0/d = 0.25, 0.5, 0.75, without label noise and with sigma0 = 0.3, |w0| = 1.",
        "theory/regression"),
    "policies_accumulate": (
        "Replace against accumulate in a fixed-design linear regression: Gerstgrasser et al. "
        "(arXiv 2404.01413), Section 3, with the pi^2/6 bound of Dey and Donoho (arXiv "
        "2410.22812), and the accumulate-subsample loop of Kazdan et al. (arXiv 2410.16713) on "
        "its raw pool of (row, label) pairs with the row-cavity theory derived here. Three "
        "panels: the regression chain (d = 10, T = 50); the Gaussian mean under the same "
        "policies (M = 20, the exact finite-M recursions); accumulate-subsample after n fits "
        "against d/T, the raw pool's simulation against the cavity theory, the leading-order "
        "form and the rows-in-place simplification. The toolkit's own illustration at its own "
        "sizes.", "theory/policies"),
    "policies_strong_collapse": (
        "Strong model collapse: the error floor p2^2 c^2 of a fixed synthetic fraction p2, "
        "Dohmatob, Feng, Subramonian, Kempe (arXiv 2410.04840), Section 3. The toolkit's own "
        "illustration (OLS, isotropic, d = 10, c^2 = 1, sigma = 1, p2 = 0, 0.01, 0.05, 0.2).",
        "theory/policies"),
    "policies_random_projections": (
        "Error against model size for random-projection models, Dohmatob, Feng, Subramonian, "
        "Kempe (arXiv 2410.04840), the random-projections section: a peak at m = n and larger "
        "models learning the shift better. The toolkit's own illustration (d = 200, n = 100, "
        "c^2 = 1, sigma = 0.5, |w1| = 1, p2 = 0, 0.2, 0.6).", "theory/policies"),
    "policies_weighting": (
        "The stationary variance of the weighted real/synthetic estimator of He, Xu, Cheng "
        "(arXiv 2502.18049) against the real weight w, with its optimum w* (w^2 + k w - k = 0). "
        "The toolkit's own illustration (n = 10 real, n/k synthetic, k = 0.25, 1, 4).",
        "theory/gaussian"),
    "policies_gaussian_refitting": (
        "One-dimensional Gaussian refitting of Shumailov et al. (arXiv 2305.17493), the "
        "Gaussian-approximation theory of their Section 4: the mean variance is kept while its "
        "median collapses, and the Wasserstein-2 distance grows. The toolkit's own illustration "
        "(M = 20 samples a generation, unbiased and maximum-likelihood variance).",
        "theory/gaussian"),
    "policies_wright_fisher": (
        "Refitting an empirical discrete law (Shumailov et al., arXiv 2305.17493, the discrete "
        "model of Section 4): fixation and lost mass under the data policies. The toolkit's own "
        "illustration (M = 20; Zipf(1.5) on 50 states for the lost mass).", "theory/discrete"),
    "zipf_tail_cut": (
        "Tail cutting in the memorisation model of Dohmatob, Feng, Yang, Charton, Kempe (arXiv "
        "2402.07043), Section 3 (top-k truncation, beta = 2): clean scaling stops at the tail "
        "mass (k = 10, 100, 1000). The toolkit's own illustration at its own sizes.",
        "theory/zipf"),
    "zipf_top_p": (
        "Top-p sampling as a tail cut (Dohmatob et al., arXiv 2402.07043, Section 3): the "
        "effective cut-off k(p) and its plateau, beta = 2, p = 0.9, 0.95, 0.99. The toolkit's own "
        "illustration.",
        "theory/zipf"),
    "zipf_narrowing": (
        "Tail narrowing by a temperature below 1 (Dohmatob et al., arXiv 2402.07043, Section 3): "
        "slower scaling T^-(beta-1)/beta', beta = 2, tau = 1, 0.9, 0.75, 0.5. The toolkit's own "
        "illustration.", "theory/zipf"),
    "zipf_generations": (
        "Several generations of tail-cut data (Dohmatob et al., arXiv 2402.07043, Section 3), "
        "the exact cut and resampling chains against the paper's n T0^-c form (beta = 2, T0 = "
        "1000 at full scale). The toolkit's own illustration.", "theory/zipf"),
    "zipf_grokking": (
        "Mixing clean and tail-cut data (Dohmatob et al., arXiv 2402.07043, Section 3): a "
        "plateau, then the resumed improvement the paper calls grokking, beta = 2, k = 10, "
        "clean share pi = 0, 0.01, 0.1. The toolkit's own illustration.", "theory/zipf"),
    "zipf_bigram": (
        "The tailed bigram model of Dohmatob et al. (arXiv 2402.07043), Section 4: total-"
        "variation error of the empirical next-token law (beta = 1.5; top k = 5 and narrowing "
        "to beta' = 2.5). The toolkit's own illustration.", "theory/bigram"),
    "verification_threshold": (
        "Accuracy against the generator's label error with a verifier, Feng et al. (arXiv "
        "2406.07515): the threshold p* = 1/(1 + psi/phi). The toolkit's own illustration "
        "(averaging classifier, ||mu|| = 1, d = 100).", "theory/verification"),
    "verification_scaling": (
        "Accuracy against the amount of synthetic data, curated or not (Feng et al., arXiv "
        "2406.07515). The toolkit's own illustration (generator error p = 0.4, ||mu|| = 1, "
        "d = 100).", "theory/verification"),
    "verification_iterated": (
        "Generate, verify, retrain over several rounds (Feng et al., arXiv 2406.07515): collapse "
        "without a verifier. The toolkit's own illustration (start error 0.35, ||mu|| = 1, "
        "(d, n) = (200, 200) and (200, 2000)).", "theory/verification"),
    "fit_tail_cut": (
        _OWN + ": fitting a naive power law plus floor and the exact tail-cut law to a measured "
        "learning curve, and extrapolating both.", "theory/fit"),
    "kde_variance": (
        "The kernel-density chains of Kazdan et al. (arXiv 2410.16713), replace workflow: the "
        "variance does not collapse while the genealogy coalesces. The toolkit's own "
        "illustration at its own sizes (M = 20, bandwidths h = 0.1, 0.25, 0.4 and Silverman's "
        "rule).", "theory/kde"),
    "contamination_risk": (
        "Training on a contaminated source (Bakshi, Chakraborty, arXiv 2602.10531): the risk "
        "recursion under constant and decaying schedules. The toolkit's own illustration.",
        "theory/contamination"),
    "gaussian_loops": (
        "The fresh-data loop under sampling bias of Alemohammad et al., \"Self-Consuming "
        "Generative Models Go MAD\" (arXiv 2307.01850): its stationary fit error and effective "
        "sample size, derived here in closed form, and the accumulate-subsample loop of Kazdan "
        "et al. (arXiv 2410.16713) exact at small M. The toolkit's own illustration.",
        "theory/gaussian"),
    "discrete_loops": (
        "Categorical refitting: the survival of a refitted Poisson rate (Suresh et al., arXiv "
        "2412.17646, Theorem 2), the diversity of a refitted categorical law under the data "
        "policies (Seddik et al., arXiv 2404.05090) and curation by a reward (Ferbach et al., "
        "arXiv 2407.09499). The toolkit's own illustration.", "theory/discrete"),
    "neural_memorization": (
        "Trained networks in place of the ideal memoriser, in the Zipf loops of Dohmatob, Feng, "
        "Yang, Charton, Kempe (arXiv 2402.07043): the clean law, tail cuts, a clean share and "
        "decoded generations. The toolkit's own illustration.", "theory/neural"),
    "bayes_iterated_learning": (
        _OWN + ": iterated learning with Bayesian agents (posterior sampling converges to the "
        "prior; MAP and posterior-mean learners do not).", "theory/bayes"),
}
