"""``{figure-gallery}``: every figure registered in :mod:`paper_figures`, with its picture and what
it reproduces.

The list of figures is read from the registry (``paper_figures.FIGURES``), so a new figure appears
here by itself; what it reproduces is written once in :data:`REPRODUCES` (tests/test_docs.py checks
that every registered figure has an entry). The pictures are the PNGs of ``paper_figures/gallery/``
(written by ``python -m paper_figures NAME``); a figure without one is listed with the command that
draws it.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ROOT / "paper_figures" / "gallery"

_OWN = "The toolkit's own illustration"
_UNDESCRIBED = ("not yet described here (tests/test_docs.py asks for an entry in "
                "docs/_ext/gallery.py)")

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
        "worked value of the regression page), not a figure's parameters copied from the paper.",
        "theory/regression"),
    "regression_error_vs_n": (
        "The linear growth in the number of generations n of Dohmatob, Feng, Kempe (arXiv "
        "2402.07712), Theorem 4.1 (OLS, exact at finite size). The toolkit's own illustration "
        "of that theorem.", "theory/regression"),
    "regression_power_law": (
        "The changed scaling laws of Dohmatob, Feng, Kempe (arXiv 2402.07712), Section 5 "
        "(power-law spectrum, ridge lam = T^-ell): fake generations turn the fast rate into the "
        "slow one. The toolkit's own illustration of the section's rates.", "theory/power_laws"),
    "regression_overparam": (
        "The exponentially fast, noise-free collapse of over-parametrised generators (T0 < d) of "
        "Dohmatob, Feng, Kempe (arXiv 2402.07712), Section 4. The toolkit's own illustration.",
        "theory/regression"),
    "policies_accumulate": (
        "Replace against accumulate in a fixed-design linear regression: Gerstgrasser et al. "
        "(arXiv 2404.01413), Section 3, with the pi^2/6 bound of Dey and Donoho (arXiv "
        "2410.22812), and the accumulate-subsample loop of Kazdan et al. (arXiv 2410.16713). "
        "The toolkit's own illustration at its own sizes.", "theory/policies"),
    "policies_strong_collapse": (
        "Strong model collapse: the error floor p2^2 c^2 of a fixed synthetic fraction p2, "
        "Dohmatob, Feng, Subramonian, Kempe (arXiv 2410.04840), Section 3. The toolkit's own "
        "illustration.", "theory/policies"),
    "policies_random_projections": (
        "Error against model size for random-projection models, Dohmatob, Feng, Subramonian, "
        "Kempe (arXiv 2410.04840), the random-projections section: a peak at m = n and larger "
        "models learning the shift better. The toolkit's own illustration.", "theory/policies"),
    "policies_weighting": (
        "The stationary variance of the weighted real/synthetic estimator of He, Xu, Cheng "
        "(arXiv 2502.18049) against the real weight w, with its optimum w*. The toolkit's own "
        "illustration.", "theory/gaussian"),
    "policies_gaussian_refitting": (
        "One-dimensional Gaussian refitting of Shumailov et al. (arXiv 2305.17493), the "
        "Gaussian-approximation theory of their Section 4: the mean variance is kept while its "
        "median collapses, and the Wasserstein-2 distance grows. The toolkit's own illustration.",
        "theory/gaussian"),
    "policies_wright_fisher": (
        "Refitting an empirical discrete law (Shumailov et al., arXiv 2305.17493, the discrete "
        "model of Section 4): fixation and lost mass under the data policies. The toolkit's own "
        "illustration.", "theory/discrete"),
    "zipf_tail_cut": (
        "Tail cutting in the memorisation model of Dohmatob, Feng, Yang, Charton, Kempe (arXiv "
        "2402.07043), Section 3 (top-k truncation, beta = 2): clean scaling stops at the tail "
        "mass. The toolkit's own sizes.", "theory/zipf"),
    "zipf_top_p": (
        "Top-p sampling as a tail cut (Dohmatob et al., arXiv 2402.07043, Section 3): the "
        "effective cut-off k(p) and its plateau, beta = 2. The toolkit's own illustration.",
        "theory/zipf"),
    "zipf_narrowing": (
        "Tail narrowing by a temperature below 1 (Dohmatob et al., arXiv 2402.07043, Section 3): "
        "slower scaling T^-(beta-1)/beta'. The toolkit's own illustration.", "theory/zipf"),
    "zipf_generations": (
        "Several generations of tail-cut data (Dohmatob et al., arXiv 2402.07043, Section 3), "
        "the exact cut and resampling chains against the paper's n T0^-c form. The toolkit's "
        "own illustration.", "theory/zipf"),
    "zipf_grokking": (
        "Mixing clean and tail-cut data (Dohmatob et al., arXiv 2402.07043, Section 3): a "
        "plateau, then the resumed improvement the paper calls grokking, beta = 2, k = 10. "
        "The toolkit's own illustration.", "theory/zipf"),
    "zipf_bigram": (
        "The tailed bigram model of Dohmatob et al. (arXiv 2402.07043), Section 4: total-"
        "variation error of the empirical next-token law. The toolkit's own illustration.",
        "theory/bigram"),
    "verification_threshold": (
        "Accuracy against the generator's label error with a verifier, Feng et al. (arXiv "
        "2406.07515): the threshold p* = 1/(1 + psi/phi). The toolkit's own illustration.",
        "theory/verification"),
    "verification_scaling": (
        "Accuracy against the amount of synthetic data, curated or not (Feng et al., arXiv "
        "2406.07515). The toolkit's own illustration.", "theory/verification"),
    "verification_iterated": (
        "Generate, verify, retrain over several rounds (Feng et al., arXiv 2406.07515): collapse "
        "without a verifier. The toolkit's own illustration.", "theory/verification"),
    "fit_tail_cut": (
        _OWN + ": fitting a naive power law plus floor and the exact tail-cut law to a measured "
        "learning curve, and extrapolating both.", "theory/fit"),
    "kde_variance": (
        "The kernel-density chains of Kazdan et al. (arXiv 2410.16713), replace workflow: the "
        "variance does not collapse while the genealogy coalesces. The toolkit's own "
        "illustration at its own sizes.", "theory/kde"),
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
    "bayes_iterated_learning": (
        _OWN + ": iterated learning with Bayesian agents (posterior sampling converges to the "
        "prior; MAP and posterior-mean learners do not).", "theory/bayes"),
}


def gallery_entries() -> list[tuple[str, str, str, Path | None]]:
    """(name, title, reproduces, png or None) for every registered figure, in registry order."""
    from paper_figures import FIGURES

    out = []
    for name, spec in FIGURES.items():
        png = GALLERY / f"{name}.png"
        reproduces = REPRODUCES.get(name, (_UNDESCRIBED, ""))[0]
        out.append((name, spec.title, reproduces, png if png.exists() else None))
    return out


class FigureGallery(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        entries = gallery_entries()
        here = (Path(self.env.srcdir) / self.env.docname).parent
        result: list[nodes.Node] = []
        for name, title, reproduces, png in entries:
            section = nodes.container(ids=[nodes.make_id("fig-" + name)],
                                      classes=["gallery-entry"])
            section += nodes.rubric(name, name)
            para = nodes.paragraph()
            para += nodes.strong(text=title)
            section += para
            section += nodes.paragraph(text="Reproduces: " + reproduces)
            page = REPRODUCES.get(name, (None, None))[1]
            ref = nodes.paragraph()
            if page:
                ref += nodes.Text("Theory: ")
                xref = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                             reftarget="/" + page, refexplicit=False,
                                             refwarn=True)
                xref += nodes.inline(text=page)
                ref += xref
                ref += nodes.Text(". ")
            ref += nodes.Text("Draw it with ")
            ref += nodes.literal(text=f"python -m paper_figures {name} --scale quick")
            ref += nodes.Text(".")
            section += ref
            if png is not None:
                rel = Path(*([".."] * len(here.relative_to(self.env.srcdir).parts)),
                           "..", png.relative_to(ROOT))
                section += nodes.image(uri=rel.as_posix(), alt=f"{name}: {title}", width="90%")
            else:
                section += nodes.paragraph(
                    text="No picture in paper_figures/gallery/ yet (the command above draws it).")
            result.append(section)
        return result


def setup(app):
    app.add_directive("figure-gallery", FigureGallery)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
