"""The documentation: docstrings cite their sources and document their arguments, the code cites
papers (not a private section map), every quantity is tagged in the collapse glossary, and (slow)
the Sphinx site builds with warnings as errors and renders in a headless browser.

Fast checks (docstrings, glossary) import the modules only. The slow checks build the site into a
temporary folder (about a minute and a half on two CPU cores) and open two pages in Debian's
``chromium`` (skipped with the reason when it is not installed, or when Sphinx is not: ``pip
install -e '.[docs]'``).
"""

from __future__ import annotations

import html
import importlib
import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from theory._docs import CITATION
from theory.glossary import KINDS, QUANTITIES, kind_of

ROOT = Path(__file__).resolve().parent.parent

# --- docstrings -----------------------------------------------------------------------------------

#: Modules whose public functions must each cite a source and document their arguments.
DOCUMENTED = ["theory.regression", "theory.zipf", "theory.verification", "theory.kde",
              "theory.contamination", "theory.bayes", "theory.fit", "theory.glossary",
              "theory.gaussian", "theory.discrete", "theory.policy",
              "sim.regression", "sim.zipf", "sim.verification", "sim.kde", "sim.contamination",
              "sim.bayes", "sim.gaussian", "sim.discrete", "sim.neural"]
#: Infrastructure with nothing to cite: Args are still required.
NO_SOURCE = ["theory.domain"]


def _public_functions(modname: str):
    mod = importlib.import_module(modname)
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isfunction(obj):
            yield name, obj


def _params(func) -> list[str]:
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.POSITIONAL_ONLY)  # a simulator's key
    return [p.name for p in inspect.signature(func).parameters.values() if p.kind in kinds]


def _docstring_problems(modname: str, cite: bool) -> list[str]:
    problems = []
    for name, func in _public_functions(modname):
        doc = inspect.getdoc(func) or ""
        decl = getattr(func, "twin", None)
        if decl is not None:
            # A simulator twin: "Monte Carlo twin of theory.X" with the theory's Args and source.
            theory = decl.theory
            tdoc = inspect.getdoc(theory) or ""
            if "twin of" not in doc:
                problems.append(f"{modname}.{name}: twin docstring does not name its theory")
            if "Args:" not in tdoc or not CITATION.search(tdoc):
                problems.append(f"{modname}.{name}: its theory twin lacks Args or a citation")
            continue
        if _params(func) and "Args:" not in doc:
            problems.append(f"{modname}.{name}: no Args section")
        if cite and not CITATION.search(doc):
            problems.append(f"{modname}.{name}: cites no source")
    return problems


def test_public_functions_cite_a_source_and_document_their_args():
    problems = [p for m in DOCUMENTED for p in _docstring_problems(m, cite=True)]
    problems += [p for m in NO_SOURCE for p in _docstring_problems(m, cite=False)]
    assert not problems, "\n".join(problems)


def test_every_args_entry_names_a_parameter():
    """The Args sections built from the models' tables list exactly the signature's arguments."""
    for modname in DOCUMENTED:
        for name, func in _public_functions(modname):
            doc = inspect.getdoc(func) or ""
            if getattr(func, "twin", None) is not None or "Args:" not in doc:
                continue
            section = doc.split("Args:", 1)[1].split("\n\n", 1)[0]
            listed = re.findall(r"^    (\w+)(?: \(.*?\))?:", section, flags=re.M)
            assert set(listed) <= set(_params(func)), (modname, name, listed)


# --- what the code cites --------------------------------------------------------------------------

_SECTION_MAP = re.compile(r"THEORY ?\d|THEORY\.md|THEORY's")
_PROVENANCE = re.compile(r"search tool|the tool gave|\bsessions?\b|\bissue #?\d+", re.I)
#: Everything that holds code or prose: the models, their simulators, the figures, the
#: benchmarks, the tests and the notebooks.
_SCANNED = ("theory", "sim", "paper_figures", "bench", "tests", "notebooks")


def _offending(paths, pattern) -> list[str]:
    out = []
    for base in paths:
        base = ROOT / base
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for f in files:
            for i, line in enumerate(f.read_text().splitlines(), 1):
                if f == Path(__file__) and line.startswith(("_SECTION_MAP = ", "_PROVENANCE = ")):
                    continue  # the patterns themselves
                if pattern.search(line):
                    out.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()}")
    return out


def test_no_module_cites_a_section_map():
    """No file cites a section number of a private map of formulas (cite the paper, section and
    arXiv id, or docs/theory/), and none speaks of how it was written rather than of the
    science."""
    bad = _offending(_SCANNED, _SECTION_MAP) + _offending(_SCANNED, _PROVENANCE)
    assert not bad, "\n".join(bad)


# --- glossary -------------------------------------------------------------------------------------

def _untagged(modules) -> list[str]:
    missing = []
    for modname in modules:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            if not callable(getattr(mod, name)):
                continue
            try:
                kind = kind_of(modname, name)
            except KeyError:
                missing.append(f"{modname}.{name}")
                continue
            assert kind in KINDS, (modname, name, kind)
    return missing


#: Every theory module with public quantities.
_THEORY_MODULES = ["theory.regression", "theory.zipf", "theory.verification", "theory.kde",
                   "theory.contamination", "theory.bayes", "theory.fit", "theory.domain",
                   "theory.gaussian", "theory.discrete", "theory.policy"]


def test_glossary_tags_every_public_quantity():
    assert not _untagged(_THEORY_MODULES)
    assert all(kind in KINDS for tags in QUANTITIES.values() for kind in tags.values())
    assert "GAN" in importlib.import_module("theory.glossary").__doc__


def test_glossary_lists_every_theory_module():
    """A new theory module is tagged in the glossary and listed here."""
    found = {f"theory.{p.stem}" if p.is_file() else f"theory.{p.name}"
             for p in (ROOT / "theory").iterdir()
             if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert found - {"theory.glossary"} == set(_THEORY_MODULES), found


def _undescribed() -> list[str]:
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        from figure_notes import REPRODUCES
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    from paper_figures import FIGURES

    pages = {page for _, page in REPRODUCES.values()}
    assert all((ROOT / "docs" / f"{page}.md").exists() for page in pages), pages
    return sorted(name for name in FIGURES if name not in REPRODUCES)


def test_gallery_describes_every_registered_figure():
    assert not _undescribed()


# --- the built site (slow) ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    pytest.importorskip("sphinx", reason="the docs extra is not installed: pip install -e "
                                         "'.[docs]'")
    pytest.importorskip("myst_nb", reason="the docs extra is not installed")
    out = tmp_path_factory.mktemp("html")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-E", "-b", "html", "-W",
                          "--keep-going", "-q", str(ROOT / "docs"), str(out)],
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return out


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(built_site):
    for page in ("index.html", "gallery.html", "glossary.html", "theory/regression.html",
                 "api/theory.html", "api/sim.html"):
        assert (built_site / page).exists(), page
    assert (built_site / "_static" / "mathjax" / "tex-chtml.js").exists()  # bundled, offline
    assert "cdn.jsdelivr" not in (built_site / "theory" / "regression.html").read_text()


_PROBE = """<!doctype html><html><body>
<iframe id="f" width="1200" height="1600" src="{url}"></iframe>
<script>
const f = document.getElementById("f");
f.onload = () => setTimeout(() => {{
  const d = f.contentDocument;
  const imgs = [...d.images].filter(i => i.src.includes("_images"));
  const out = {{images: imgs.length,
               loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
               mathjax: d.querySelectorAll("mjx-container").length,
               text: d.body.innerText}};
  const pre = document.createElement("pre");
  pre.id = "result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}}, 4000);
</script></body></html>"""


def _render(page: Path, tmp_path: Path) -> dict:
    """Open ``page`` in headless Chromium with the network off; what the page shows after its
    scripts ran (MathJax typesetting, image loading)."""
    probe = tmp_path / f"probe_{page.stem}.html"
    probe.write_text(_PROBE.format(url=page.as_uri()))
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--disable-background-networking", "--allow-file-access-from-files",
                          "--virtual-time-budget=20000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="result">(.*?)</pre>', run.stdout, flags=re.S)
    assert found, run.stdout[-2000:] + run.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no headless browser: apt-get install -y chromium")
def test_formula_page_and_gallery_render_in_a_browser(built_site, tmp_path):
    formulas = _render(built_site / "theory" / "regression.html", tmp_path)
    assert formulas["mathjax"] >= 10, formulas["mathjax"]          # typeset by the bundled MathJax
    for raw in ("\\frac", "\\sigma", "\\kappa", "$$"):             # no TeX source left visible
        assert raw not in formulas["text"], raw
    gallery = _render(built_site / "gallery.html", tmp_path)
    from paper_figures import FIGURES

    drawn = [n for n in FIGURES if (ROOT / "paper_figures" / "gallery" / f"{n}.png").exists()]
    assert gallery["images"] == len(drawn) > 0
    assert gallery["loaded"] == gallery["images"]                 # every picture decoded
    for name in FIGURES:
        assert name in gallery["text"]
