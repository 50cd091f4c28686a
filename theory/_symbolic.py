"""The one bridge from sympy expressions to float64 numeric functions.

A closed form is written once as a sympy expression (with assumptions on its symbols) and turned
into a numeric function here, with common-subexpression elimination: :func:`numeric` gives a
float64 NumPy function (whatever the caller's JAX setting), :func:`jax_function` a jax.numpy
function for use inside jit-compiled code (which runs in float64 under ``jax.enable_x64``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax.numpy as jnp
import numpy as np
import sympy as sp

__all__ = ["jax_function", "numeric"]


def numeric(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    """Lambdify ``expr`` to float64 NumPy; call it with keyword arguments named as the symbols."""
    names = [str(s) for s in symbols]
    fn = sp.lambdify(symbols, expr, modules=["scipy", "numpy"], cse=True)

    def evaluate(**kwargs) -> np.ndarray:
        args = [np.asarray(kwargs[n], dtype=np.float64) for n in names]
        shape = np.broadcast_shapes(*(a.shape for a in args))
        return np.broadcast_to(np.asarray(fn(*args), dtype=np.float64), shape).copy()

    evaluate.__doc__ = f"Float64 evaluation of {sp.sstr(expr)} in ({', '.join(names)})."
    evaluate.expr = expr  # type: ignore[attr-defined]
    return evaluate


def jax_function(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., jnp.ndarray]:
    """Lambdify ``expr`` to jax.numpy (positional arguments in the order of ``symbols``)."""
    return sp.lambdify(symbols, expr, modules=[jnp], cse=True)
