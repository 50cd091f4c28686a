"""Symbolic derivations (sympy) of the Zipf model's asymptotic constants (ToT section 2; HUT).

For large ``T`` the sum ``sum_i p_i (1 - q_i)^T`` over ``p_i = i^-beta/Z``, ``q_i = i^-b/Zq`` is
the integral ``int_0^oo p(x) q(x)^a exp(-T q(x)) dx`` (with ``a = 0``), up to terms smaller than
any power of ``T`` (the integrand is flat at ``x = 0``, so Euler-Maclaurin leaves no boundary
term). The substitution ``u = T q(x)`` turns it into a Gamma integral; sympy performs the
substitution and the integration here, so every constant below is derived by code that runs.
"""

from __future__ import annotations

import functools

import sympy as sp

beta, b, T, Z, Zq, u, x, k, T0 = sp.symbols("beta b T Z Zq u x k T0", positive=True)
#: The clean exponent c = 1 - 1/beta.
c = 1 - 1 / beta


@functools.cache
def gamma_integral(a: int = 0, same: bool = True) -> sp.Expr:
    """``int_0^oo p(x) q(x)^a exp(-T q(x)) dx`` by the substitution ``u = T q(x)``.

    ``same=True``: ``q = p`` (``b = beta``, ``Zq = Z``); otherwise ``q = x^-b / Zq``.
    """
    bq, zq = (beta, Z) if same else (b, Zq)
    p = x ** (-beta) / Z
    q = x ** (-bq) / zq
    x_of_u = (T / (zq * u)) ** (1 / bq)          # u = T q(x)  <=>  x = (T / (Zq u))^(1/b)
    # x: 0 -> oo maps to u: oo -> 0; the minus sign restores the orientation.
    integrand = (p * q**a * sp.exp(-T * q)).subs(x, x_of_u) * (-sp.diff(x_of_u, u))
    integrand = sp.powsimp(sp.expand_power_base(integrand, force=True), force=True)
    const, rest = integrand.as_independent(u)
    return const * sp.integrate(rest, (u, 0, sp.oo), conds="none")


@functools.cache
def C_beta() -> sp.Expr:
    """``C_beta`` of ``E(T) ~ C_beta T^-c`` (in ``beta`` and ``Z = zeta(beta)``)."""
    return sp.simplify(sp.powsimp(gamma_integral(0) * T**c, force=True))


@functools.cache
def first_correction() -> sp.Expr:
    """``a1`` in ``E(T) = C_beta T^-c (1 + a1/T + O(T^-2))``.

    ``(1 - q)^T = exp(-T q) (1 - T q^2/2 + O(T q^3, T^2 q^4))``; the ``T q^2/2`` term, integrated
    against ``p`` with the same substitution, is ``O(1/T)`` relative to the leading term (the
    others are ``O(T^-2)``).
    """
    ratio = -(T / 2) * gamma_integral(2) / gamma_integral(0)
    return sp.simplify(sp.gammasimp(ratio * T))


@functools.cache
def narrowed_constant() -> sp.Expr:
    """``K`` in ``sum_i p_i (1 - q_i)^T ~ K T^-((beta-1)/b)`` for ``q`` Zipf(b) (ToT section 3)."""
    return sp.simplify(sp.powsimp(gamma_integral(0, same=False) * T ** ((beta - 1) / b),
                                  force=True))


@functools.cache
def tail_mass_asymptotic() -> sp.Expr:
    """``1 - P_k ~ int_k^oo x^-beta dx / Z = k^(1-beta) / ((beta-1) Z)``."""
    return sp.simplify(sp.integrate(x ** (-beta) / Z, (x, k, sp.oo), conds="none"))


@functools.cache
def crossover() -> sp.Expr:
    """``T*`` where the clean law ``C_beta T^-c`` meets the plateau ``k^(1-beta)/((beta-1) Z)``."""
    (sol,) = sp.solve(sp.Eq(C_beta() * T ** (-c), tail_mass_asymptotic()), T)
    return sp.simplify(sol)


@functools.cache
def generator_cutoff() -> sp.Expr:
    """The ``k`` whose tail mass equals the lost mass ``C_beta T0^-c`` of a generator trained on
    ``T0`` samples: ``k ~ T0^(1/beta)`` with an explicit constant."""
    (sol,) = sp.solve(sp.Eq(C_beta() * T0 ** (-c), tail_mass_asymptotic()), k)
    return sp.simplify(sol)
