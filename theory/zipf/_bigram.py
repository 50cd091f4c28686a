"""The tailed bigram model (ToT: Dohmatob et al., "A Tale of Tails", ICML 2024, sec. 4).

See the bigram page of the theory reference (docs/theory/bigram.md).

Contexts ``i`` have probability ``p_i = i^-beta / Z`` (``N`` contexts, ``N = None``: infinite).
Given a context, the next token ``j`` has law ``q_j = j^-beta / Z_V`` on ``V`` tokens (``V =
None``: ``V = N``) composed with a context-specific permutation; the permutation does not change
the error (total variation and the empirical estimator are invariant under relabelling tokens, and
contexts are estimated independently), so it is left out. The learner estimates ``q`` for context
``i`` by the empirical frequencies of the ``n_i`` next tokens seen after ``i`` among ``T``
training pairs; an unseen context (``n_i = 0``) has error 1 (the learner has no estimate: the
worst-case TV; the paper's exact default was not found, any fixed default changes only this
``n = 0`` term). The error is

    E = sum_i p_i E TV(q_hat_i, q),    n_i ~ Binomial(T, s_i),                         [exact]

``s`` the training context law. AI training data (the ToT 4.3/4.4 mechanisms applied to the
bigram generator): ``k`` cuts the next-token law to its top ``k`` tokens (renormalised), so the
estimate converges to the cut law and E has the floor ``1 - Q_k`` (tail mass of ``q``);
``beta_ai > beta`` narrows BOTH the context law and the next-token law of the training data to
Zipf(``beta_ai``), giving the floor ``TV(Zipf(beta_ai), Zipf(beta))``. Clean data [asymp]: a
context seen ``n`` times has ``tv(n) ~ n^-a``, ``a = min(1 - 1/beta, 1/2)`` (its own token tail
is a memoriser, ToT section 2), so ``E ~ sum_{T p_i > 1} p_i (T p_i)^-a + sum_{T p_i < 1} p_i``.
For ``beta > 2`` the first sum converges: ``E ~ T^-1/2``. For ``beta <= 2`` (``a = 1 - 1/beta``)
``p_i^(1-a) = i^-1``: the sum is ``~ log T`` and ``E ~ T^-(1 - 1/beta) log T``. ToT states
the log factor at ``beta = 2`` only; by this derivation (and the exact sums: local slope of E at
``beta = 1.5``, ``T = 1e6`` is -0.255 = -1/3 + 1/log T) it holds on all of ``1 < beta <= 2``.

Per-context expected TV after ``n`` draws from ``r`` (``r = q`` clean):

    tv(n) = (1/2n) sum_j E|X_j - n q_j|,   X_j ~ Bin(n, r_j).

De Moivre's closed form (``r = q = p``, ``m = floor(np) + 1``), derived in :func:`mad_identity`:

    E|X - np| = 2 m C(n, m) p^m (1 - p)^(n - m + 1)

(the exponent is ``n - m + 1``, not ``n - m`` as it is sometimes quoted: checked by sympy and brute
force). Off the mean (``a = n q_j``, ``r_j`` another law) ``E|X - a| = n r - a + 2[a F_{n,r}(m) - n
r F_{n-1,r}(m - 1)]``, ``m = floor(a)``, from ``x P(x; n, r) = n r P(x - 1; n - 1, r)``. For ``a <
1`` this is ``n r - a + 2 a (1 - r)^n``, so the tokens with ``n q_j < 1`` sum to ``(R_{>J} -
Q_{>J})/2 + sum_{j>J} q_j (1 - r_j)^n``: a memoriser-type sum whose infinite tail uses the binomial
series of :func:`theory.zipf._engine.tail_sum` (stated bound).

Efficiency of the double sum ``sum_i p_i sum_n P(n_i = n) tv(n)``:

* ``tv(n)`` is computed exactly for ``n <= N_EXACT`` and on a geometric grid (ratio ``GRID``)
  beyond, interpolated by a cubic spline in ``(log n, log tv)``; the binomial MAD has
  oscillations of relative size ``~1/n``, so the spline's relative error is below ``1e-3``
  (measured ``<= 4e-4``; the tests check ``1e-3`` against the exact ``tv``).
* context ``i`` sums ``n`` over ``T s_i +- (WIDTH sqrt(T s_i) + WIDTH)``; the binomial mass
  outside is below ``1e-20`` (Chernoff) and ``tv <= 1``.
* ``N = None``: contexts ``i > M`` with ``T s_(M+1) <= 1/2`` contribute exactly
  ``sum_{n<=K} tv(n) C(T, n) sum_{i>M} p_i s_i^n (1 - s_i)^(T-n)`` (each inner sum by
  ``tail_sum``) plus at most ``tail mass * 2^-(K+1)/(K+1)!`` (``K = TAIL_TERMS``).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy.interpolate import CubicSpline
from scipy.special import bdtr, comb, gammaln
from scipy.stats import binom

from theory.zipf._engine import M_MAX, normaliser, on_grid, tail_mass, tail_sum
from theory.zipf.domain import N_arg, beta_arg, k_arg, validate_bigram

#: Counts whose tv is computed exactly; beyond, a spline on a geometric grid of ratio GRID.
N_EXACT, GRID = 512, 1.02
#: Half-width of the summed binomial window in standard deviations (plus WIDTH counts).
WIDTH = 12.0
#: Count terms of the infinite context tail.
TAIL_TERMS = 20


# --------------------------------------------------------------------------- symbolic checks
def demoivre_expr(n, m, p):
    """De Moivre's ``E|X - np| = 2 m C(n, m) p^m (1-p)^(n-m+1)`` (``m = floor(np) + 1``), sympy."""
    return 2 * m * sp.binomial(n, m) * p**m * (1 - p) ** (n - m + 1)


def mad_identity(n: int) -> list:
    """``sum_x |x - np| C(n,x) p^x (1-p)^(n-x) - demoivre_expr`` for symbolic ``p`` on every
    interval ``(m-1)/n <= p < m/n`` (``m = 1..n``), where the sign of ``x - np`` is fixed: each
    entry simplifies to 0 exactly when De Moivre's formula holds for that ``n``."""
    p = sp.Symbol("p", positive=True)
    out = []
    for m in range(1, n + 1):  # np in [m-1, m): x - np < 0 iff x <= m - 1
        mad = sum((-1 if x <= m - 1 else 1) * (x - n * p) * sp.binomial(n, x) * p**x
                  * (1 - p) ** (n - x) for x in range(n + 1))
        out.append(sp.expand(mad - demoivre_expr(n, m, p)))
    return out


# --------------------------------------------------------------------------- per-context TV
def mad_demoivre(n, p) -> np.ndarray:
    """``E|X - np|``, ``X ~ Bin(n, p)``, by De Moivre's closed form (float64, broadcasting)."""
    n, p = np.broadcast_arrays(np.asarray(n, np.float64), np.asarray(p, np.float64))
    m = np.floor(n * p) + 1
    ok = (m <= n) & (p > 0) & (p < 1)
    n_, m_, p_ = (np.where(ok, v, w) for v, w in ((n, 2.0), (m, 1.0), (p, 0.5)))
    log = (math.log(2) + np.log(m_) + gammaln(n_ + 1) - gammaln(m_ + 1) - gammaln(n_ - m_ + 1)
           + m_ * np.log(p_) + (n_ - m_ + 1) * np.log1p(-p_))
    return np.where(ok, np.exp(log), 0.0)


def mad_about(n, r, a) -> np.ndarray:
    """``E|X - a|``, ``X ~ Bin(n, r)``, ``a >= 0`` (module docstring; float64, broadcasting)."""
    n, r, a = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (n, r, a)))
    m = np.minimum(np.floor(a), n).astype(np.int64)  # F_{n,r}(m) = 1 for m >= n
    ni = n.astype(np.int64)
    below = np.where(m >= 1, bdtr(np.maximum(m - 1, 0), np.maximum(ni - 1, 0), r), 0.0)
    return n * r - a + 2 * (a * bdtr(m, ni, r) - n * r * below)


class _Laws:
    """Real next-token law ``q`` (Zipf ``beta`` on ``V``) and training law ``r`` (Zipf ``b`` on
    ``min(k, V)``): scalar float parameters, ``V``/``k`` may be ``inf``."""

    def __init__(self, beta: float, V: float, b: float, k: float):
        self.beta, self.V, self.b, self.kk = beta, V, b, min(k, V)
        self.Zq, self.Zr = normaliser(beta, V), normaliser(b, self.kk)
        self.clean = b == beta and self.kk == V

    def q(self, j):
        return np.where(j <= self.V, j ** -self.beta / self.Zq, 0.0)

    def r(self, j):
        return np.where(j <= self.kk, j ** -self.b / self.Zr, 0.0)

    def tv(self, ns) -> np.ndarray:
        """Exact expected TV after ``n >= 1`` draws from ``r``, for every ``n`` in ``ns``.

        Tokens ``j <= M`` explicitly (``M = min(k, V)``, or for an infinite training law large
        enough for :func:`tail_sum`), ``j <= J_n`` (``n q_j >= 1``) by the MAD formulas, the
        rest by ``(r_j - q_j)/2 + q_j (1 - r_j)^n`` (module docstring).
        """
        ns = np.asarray(ns, np.float64)
        n_max = float(ns.max())
        J_max = min(math.floor((n_max / self.Zq) ** (1 / self.beta)), self.V)
        M = int(self.kk if not math.isinf(self.kk)
                else max(J_max, math.ceil((2 * n_max / self.Zr) ** (1 / self.b))))
        if M > M_MAX:
            raise ValueError(f"T={n_max:g} needs {M} explicit tokens (> {M_MAX}); pass a finite V")
        j = np.arange(1, M + 1, dtype=np.float64)
        q, r = self.q(j), self.r(j)
        out = np.empty(ns.shape)
        rest = 0.5 * (tail_mass(self.b, M, self.kk) - tail_mass(self.beta, M, self.V))
        chunk = max(1, 2**22 // M)
        for start in range(0, ns.size, chunk):
            n = ns[start:start + chunk, None]
            near = mad_demoivre(n, q) if self.clean else mad_about(n, r, n * q)
            far = 0.5 * (r - q) + q * np.exp(n * np.log1p(-np.minimum(r, 1.0)))
            out[start:start + chunk] = np.where(n * q >= 1, near / (2 * n), far).sum(-1) + rest
        if math.isinf(self.kk):  # tokens j > M: the engine's binomial series (stated bound)
            for idx, n in enumerate(ns):
                s, bound = tail_sum(beta=self.beta, Z=self.Zq, b=self.b, Zq=self.Zr, T=n, M=M)
                if bound > 1e-12 * out[idx]:
                    raise ValueError(f"bigram tail bound {bound:.3g} too large; pass a finite V")
                out[idx] += s
        else:  # tokens beyond the cut (r = 0) count q_j (1 - 0)^n
            out += tail_mass(self.beta, M, self.V)
        return out

    def table(self, n_max: float):
        """``tv`` on ``0..n_max``: exact for ``n <= N_EXACT``, spline beyond (``tv(0) = 1``)."""
        exact = np.concatenate([[1.0], self.tv(np.arange(1, int(min(n_max, N_EXACT)) + 1))
                                if n_max >= 1 else []])
        if n_max <= N_EXACT:
            return lambda n: exact[np.asarray(n, np.int64)]
        steps = math.ceil(math.log(n_max / N_EXACT) / math.log(GRID))
        grid = np.unique(np.round(N_EXACT * GRID ** np.arange(steps + 1)))
        grid = np.append(grid[grid < n_max], n_max)
        spline = CubicSpline(np.log(grid), np.log(self.tv(grid)))

        def tv(n):
            n = np.asarray(n, np.int64)
            far = np.exp(spline(np.log(np.maximum(n, N_EXACT))))
            return np.where(n <= N_EXACT, exact[np.minimum(n, N_EXACT)], far)

        return tv


# --------------------------------------------------------------------------- contexts
def _context_sum(tv, p, s, T: float) -> float:
    """``sum_i p_i E tv(n_i)``, ``n_i ~ Bin(T, s_i)``, over windows of the binomial."""
    mean = T * s
    half = WIDTH * np.sqrt(mean * (1 - s)) + WIDTH
    lo = np.maximum(np.floor(mean - half), 0).astype(np.int64)
    hi = np.minimum(np.ceil(mean + half), T).astype(np.int64)
    size = hi - lo + 1
    ctx = np.repeat(np.arange(p.size), size)
    n = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size) + lo[ctx]
    return float(np.sum(p[ctx] * binom.pmf(n, T, s[ctx]) * tv(n)))


def _bigram(beta: float, T: float, N: float, V: float, k: float, b: float) -> float:
    laws = _Laws(beta, V, b, k)
    Zp, Zs = normaliser(beta, N), normaliser(b, N)
    M = N if not math.isinf(N) else max(1, math.ceil((2 * max(T, 1) / Zs) ** (1 / b)))
    if M > M_MAX:
        raise ValueError(f"T={T:g} needs {M} explicit contexts (> {M_MAX}); pass a finite N")
    i = np.arange(1, M + 1, dtype=np.float64)
    tv = laws.table(T)
    total = _context_sum(tv, i ** -beta / Zp, i ** -b / Zs, T)
    if math.isinf(N):  # contexts i > M, T s_i <= 1/2: a few counts, each a memoriser-type sum
        for n in range(min(TAIL_TERMS, int(T)) + 1):
            s, bound = tail_sum(beta=beta + n * b, Z=Zp * Zs**n, b=b, Zq=Zs, T=T - n, M=M)
            if bound > 1e-12 * abs(s) and s > 1e-300:
                raise ValueError(f"bigram context tail bound {bound:.3g} too large")
            total += float(tv(n)) * float(comb(T, n, exact=False)) * s
    return total


def bigram_error(*, beta, T, N=None, V=None, k=None, beta_ai=None) -> np.ndarray:
    """Expected TV error of the empirical bigram learner after ``T`` training pairs [exact].

    ToT section 4 (tailed bigram model; docs/theory/bigram.md). Contexts and next tokens
    Zipf(``beta``) on ``N`` contexts and ``V`` tokens (``None``: infinite; ``V = None`` means
    ``V=N``). Training data: clean by default; ``k`` cuts the next-token law to its top ``k``
    tokens; ``beta_ai >= beta`` draws contexts and next tokens from Zipf(``beta_ai``) instead. Error
    of an unseen context: 1. Exact up to the stated bounds of the module docstring (spline of ``tv``
    beyond ``N_EXACT`` counts: relative error ``< 1e-3``). ``T`` an integer >= 0; broadcasting over
    ``beta, T, k, beta_ai``.
    """
    grid = validate_bigram(beta=beta, T=T, N=N, V=V, k=k, beta_ai=beta_ai)
    N, V = grid.options["N"], grid.options["V"]
    return on_grid(lambda beta, T, k, beta_ai: _bigram(beta, T, N, V, k, beta_ai), **grid.arrays)


def bigram_rate(*, beta) -> np.ndarray:
    """Exponent ``min(1 - 1/beta, 1/2)`` of the clean rate ``T^-rate`` (ToT section 4) [asymp]."""
    beta = beta_arg(beta)
    return np.asarray(np.minimum(1 - 1 / beta, 0.5), dtype=np.float64)


def bigram_floor(*, beta, V=None, k=None, beta_ai=None) -> np.ndarray:
    """``T -> inf`` limit: ``tv(inf) = TV(r, q)`` (every context is seen infinitely often) [exact].

    ``k``: ``1 - Q_k``; ``beta_ai``: ``TV(Zipf(beta_ai), Zipf(beta))`` on ``V`` tokens (``V``
    finite, or ``None``: infinite).
    """
    beta = beta_arg(beta)
    V = N_arg(V)
    k = np.array(np.inf) if k is None else k_arg(k, V)
    b = beta if beta_ai is None else beta_arg(beta_ai, "beta_ai")
    if np.any(b < beta):
        raise ValueError("beta_ai must be a real number >= beta (narrowing)")

    def floor(beta, k, b):
        laws = _Laws(beta, float(V), b, k)
        if laws.clean:
            return 0.0
        # r_j / q_j = j^(beta-b) Zq/Zr decreases in j: r > q exactly on j <= J, TV = R_J - Q_J
        J = laws.kk if b == beta else min(laws.kk, math.floor((laws.Zq / laws.Zr)
                                                              ** (1 / (b - beta))))
        return tail_mass(beta, J, float(V)) - tail_mass(b, J, laws.kk)

    return on_grid(floor, beta=beta, k=k, b=b)


