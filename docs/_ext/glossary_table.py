"""``{collapse-glossary}``: the kinds of collapse of :mod:`theory.glossary` and, per kind, the
quantities tagged with it (one table, generated from the code's mapping at build time)."""

from __future__ import annotations

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class CollapseGlossary(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from theory.glossary import KINDS, QUANTITIES

        table = nodes.table(classes=["collapse-glossary"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (18, 40, 42):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        body = nodes.tbody()
        group += body

        def row(cells, parent):
            r = nodes.row()
            for cell in cells:
                entry = nodes.entry()
                entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=cell)
                r += entry
            parent += r

        row(["kind", "what collapses", "quantities (theory and sim twins)"], head)
        for kind, meaning in KINDS.items():
            names = [f"{module}.{name}" for module, tags in QUANTITIES.items()
                     for name, tag in tags.items() if tag == kind]
            para = nodes.paragraph()
            for i, name in enumerate(names):
                if i:
                    para += nodes.Text(", ")
                para += nodes.literal(text=name)
            row([nodes.literal(text=kind), meaning, para], body)
        return [table]


def setup(app):
    app.add_directive("collapse-glossary", CollapseGlossary)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
