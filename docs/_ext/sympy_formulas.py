"""``{sympy-formula}``: a display formula rendered at build time from a sympy expression in theory/.

The formulas of the theory reference are never typed into the pages: each one names the function
that builds the expression the code evaluates (a ``derive_*`` function or a sympy-valued helper),
and this directive calls it and writes ``sympy.latex`` of the result. One source: when the code's
expression changes, the page changes with it.

Usage (MyST)::

    ```{sympy-formula} theory.kde.derive_variance_after
    :lhs: \\mathbb{E}\\,W_n
    :args: "fixed"
    :item: 0
    ```

``:args:`` is a comma-separated list of Python literals passed positionally; ``:item:`` picks an
element of a tuple (an integer) or of a dict (a key) the function returns; ``:lhs:`` is the left
side written before ``=``; ``:simplify:`` applies ``sympy.simplify`` first; ``:symbols: n m p``
passes positive sympy symbols of those names instead of ``:args:``. Under the formula a line
names the function it came from.
"""

from __future__ import annotations

import ast
import importlib
from typing import ClassVar

import sympy as sp
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _literal(text: str):
    """A Python literal, or the bare word as a string (MyST's option parser drops quotes)."""
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def formula_latex(path: str, args: str = "", item: str | None = None,
                  simplify: bool = False, symbols: str = "") -> str:
    """LaTeX of the expression ``path(*args)`` (``item`` of it if given); ``symbols`` names
    positive sympy symbols passed positionally instead of literals."""
    func = _resolve(path)
    if symbols.strip():
        values = tuple(sp.Symbol(name, positive=True) for name in symbols.split())
    else:
        values = tuple(_literal(a) for a in args.split(",")) if args.strip() else ()
    expr = func(*values)
    if item is not None:
        key = _literal(str(item))
        expr = expr[key]
    if isinstance(expr, sp.Matrix | sp.ImmutableMatrix):
        return sp.latex(expr)
    expr = sp.sympify(expr)
    if simplify:
        expr = sp.simplify(expr)
    return sp.latex(expr)


class SympyFormula(SphinxDirective):
    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict] = {
        "args": directives.unchanged,
        "item": directives.unchanged,
        "lhs": directives.unchanged,
        "simplify": directives.flag,
        "label": directives.unchanged,
        "symbols": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        path = self.arguments[0]
        try:
            latex = formula_latex(path, self.options.get("args", ""), self.options.get("item"),
                                  "simplify" in self.options, self.options.get("symbols", ""))
        except Exception as exc:  # a broken derivation must fail the build, with its name
            raise self.error(f"sympy-formula {path}: {type(exc).__name__}: {exc}") from exc
        lhs = self.options.get("lhs")
        if lhs:
            latex = f"{lhs} = {latex}"
        node = nodes.math_block(latex, latex)
        node["docname"] = self.env.docname
        node["label"] = self.options.get("label")
        node["number"] = None
        node["nowrap"] = False
        node["classes"].append("sympy-formula")
        self.add_name(node)
        call = path + "(" + (self.options.get("args", "")
                             or ", ".join(self.options.get("symbols", "").split())) + ")"
        if "item" in self.options:
            call += f"[{self.options['item']}]"
        source = nodes.paragraph(classes=["sympy-source"])
        source += nodes.Text("Rendered from ")
        source += nodes.literal(call, call)
        source += nodes.Text(" at build time.")
        return [node, source]


def setup(app):
    app.add_directive("sympy-formula", SympyFormula)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
