"""The one bridge from sympy expressions to float64 numeric functions.

A closed form is written once as a sympy expression (with assumptions on its symbols) and turned
into a NumPy function here, with common-subexpression elimination. NumPy evaluates in float64
whatever the caller's JAX setting, which is what the theory layer promises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp

__all__ = ["numeric"]


def numeric(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    """Lambdify ``expr`` in ``symbols`` (keyword arguments named as the symbols) to float64 NumPy."""
    names = [str(s) for s in symbols]
    fn = sp.lambdify(symbols, expr, modules="numpy", cse=True)

    def evaluate(**kwargs: np.ndarray) -> np.ndarray:
        args = [np.asarray(kwargs[n], dtype=np.float64) for n in names]
        return np.asarray(fn(*args), dtype=np.float64) + np.zeros(np.broadcast_shapes(
            *(a.shape for a in args)))

    evaluate.__doc__ = f"Float64 evaluation of {sp.sstr(expr)} in ({', '.join(names)})."
    evaluate.expr = expr  # type: ignore[attr-defined]
    return evaluate
