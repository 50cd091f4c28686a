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
from figure_notes import _UNDESCRIBED, REPRODUCES
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ROOT / "paper_figures" / "gallery"


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
