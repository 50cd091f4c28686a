"""Docstring completion: the Args and References sections of a model's public functions, written
once per model.

Each model states, next to its validators, what every parameter means and its domain (the same
bounds the validators enforce), and the reference of the model. :func:`document` appends to each
public function's docstring an ``Args:`` section built from that table for the parameters of its
signature (per-function overrides where one function's domain differs), and a ``References:``
section where the docstring cites no source of its own. A parameter missing from the table is an
error at import time, so the table cannot fall behind the signatures.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping

__all__ = ["CITATION", "document"]

#: What counts as a citation in a docstring: an arXiv id, a page of the theory reference, or a
#: numbered section, theorem or equation of a named source.
CITATION = re.compile(
    r"arXiv|docs/theory/|:doc:|[Ss]ection \d|[Ss]ec\. \d|Theorem|Cor\. \d|eq\. \d")


def _signature_params(func) -> list[str]:
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in inspect.signature(func).parameters.values() if p.kind in kinds]


def document(namespace: Mapping[str, object], names: Iterable[str], params: Mapping[str, str],
             references: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """Append Args (from ``params``) and, where no source is cited, References to the docstrings
    of the public functions ``names`` of ``namespace``.

    Args:
        namespace: the module's globals (or any mapping from names to objects).
        names: the public names; those that are not plain functions, or whose docstring already
            has an ``Args:`` section and a citation, are left as they are.
        params: parameter name -> description with its domain.
        references: the model's reference, appended as a ``References:`` section to docstrings
            that cite nothing.
        overrides: function name -> {parameter -> description}, where a function's domain differs
            from the model's table.

    Raises:
        KeyError: a parameter of a public function has no description.
    """
    overrides = overrides or {}
    for name in names:
        func = namespace[name]
        if not inspect.isfunction(func):
            continue
        doc = inspect.cleandoc(func.__doc__ or "")
        extra = []
        args = _signature_params(func)
        if args and "Args:" not in doc:
            table = {**params, **overrides.get(name, {})}
            missing = [a for a in args if a not in table]
            if missing:
                raise KeyError(f"{func.__module__}.{name}: no description of {missing}")
            extra.append("Args:\n" + "\n".join(f"    {a}: {table[a]}" for a in args))
        if not CITATION.search(doc):
            extra.append("References:\n    " + references)
        if extra:
            func.__doc__ = doc + "\n\n" + "\n\n".join(extra) + "\n"
