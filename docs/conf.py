"""Sphinx configuration of the collapse-theory documentation (built offline by ``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

# Executed notebooks (make docs-full) draw with the inline backend, so that their figures become
# outputs of the page; the kernels inherit this environment.
os.environ["MPLBACKEND"] = ("Agg" if os.environ.get("NB_EXECUTION_MODE", "off") == "off"
                            else "module://matplotlib_inline.backend_inline")

project = "collapse-theory"
author = "the collapse-theory authors"
copyright = "2024-2026, the collapse-theory authors"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",   # MathJax 3 copied into _static: formulas render with no network
    "sympy_formulas",           # {sympy-formula}: LaTeX from the derive_* functions, at build time
    "gallery",                  # the figure gallery, from paper_figures' registry
    "glossary_table",           # the collapse-kind table, from theory.glossary
]

# --- notebooks: not executed by default (make docs-full executes them) -------------------------
nb_execution_mode = os.environ.get("NB_EXECUTION_MODE", "off")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
# Executed notebooks store widget state; myst-nb would then load RequireJS and the ipywidgets
# manager from a CDN on those pages. The pages are read offline: the static figures suffice.
nb_ipywidgets_js: dict = {}

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# --- API reference --------------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

html_theme = "sphinx_book_theme"
html_title = "collapse-theory"
html_static_path = ["_static"]
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
}
# no web fonts, no analytics, nothing fetched when a page opens
html_use_opensearch = ""


def _notebooks_as_ipynb() -> None:
    """The notebooks/ jupytext files, converted to .ipynb under notebooks/generated/ (git-ignored)
    so that myst-nb shows them (and executes them under ``make docs-full``)."""
    import jupytext

    out = DOCS / "notebooks" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    for src in sorted((ROOT / "notebooks").glob("*.py")):
        nb = jupytext.read(src, fmt="py:percent")
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        target = out / f"{src.stem}.ipynb"
        text = jupytext.writes(nb, fmt="ipynb")
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


_notebooks_as_ipynb()


def _blank_line_before_lists(app, what, name, obj, options, lines) -> None:
    """Docstrings here are written as plain text: a bullet list may follow its lead-in line
    directly. reStructuredText needs a blank line there; insert it (nothing else changes)."""
    out: list[str] = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("* ", "- ")) and out and out[-1].strip():
            prev = out[-1].lstrip()
            indent = len(line) - len(stripped)
            prev_indent = len(out[-1]) - len(prev)
            if not prev.startswith(("* ", "- ")) and indent <= prev_indent:
                out.append("")
        out.append(line)
    lines[:] = out


def setup(app):
    app.connect("autodoc-process-docstring", _blank_line_before_lists)
