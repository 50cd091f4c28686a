"""Parameter domains of the Zipf models, shared by the theory functions and their simulators.

Each ``*_arg`` function validates one keyword argument and returns a float64 array (``N = None``,
an infinite vocabulary, becomes ``inf``), raising ``ValueError`` naming the parameter and its
valid range. Each ``validate_*`` function validates all the arguments of one quantity and returns
a :class:`theory.domain.Grid`: the theory function and its simulator twin (:mod:`sim.zipf`) both
call it, so they accept the same input.
"""

from __future__ import annotations

import numpy as np

from theory.domain import Grid, broadcast, choice, param

__all__ = [
    "CHAINS", "RANKINGS", "N_arg", "T_arg", "beta_arg", "finite_N_arg", "k_arg", "pi_arg",
    "prob_arg", "validate_bigram", "validate_capacity", "validate_generations",
    "validate_memorization", "validate_mixed", "validate_narrowed", "validate_tail_band",
    "validate_tail_cut",
]

#: The chains of several generations (:mod:`theory.zipf._generations`).
CHAINS = ("cut", "resample")
#: What a memory of capacity ``d`` stores: ``"oracle"`` the seen queries ``i <= d`` (the ``d``
#: most probable), ``"counts"`` the ``d`` most frequent seen queries (ties to the smaller index).
RANKINGS = ("oracle", "counts")


def beta_arg(beta, name: str = "beta") -> np.ndarray:
    """Zipf exponent: a real number > 1 (the law must be normalisable)."""
    return param(name, beta, lo=1.0, lo_open=True)


def T_arg(T, name: str = "T", *, allow_inf: bool = False, integer: bool = False) -> np.ndarray:
    """Number of training samples: a real number >= 0 (an integer >= 0 for simulations)."""
    return param(name, T, lo=0.0, allow_inf=allow_inf, integer=integer).astype(np.float64)


def N_arg(N) -> np.ndarray:
    """Vocabulary size: an integer >= 1, or ``None`` (infinite vocabulary, returned as ``inf``)."""
    if N is None:
        return np.array(np.inf)
    return param("N", N, lo=1, integer=True, allow_inf=True).astype(np.float64)


def finite_N_arg(N) -> np.ndarray:
    """Vocabulary size that must be finite: an integer >= 1 (``None`` or ``inf`` raise)."""
    N = N_arg(N)
    if np.any(np.isinf(N)):
        raise ValueError("N must be a finite integer >= 1 here (N=None is an infinite vocabulary)")
    return N


def k_arg(k, N: np.ndarray, name: str = "k") -> np.ndarray:
    """Cut-off rank: an integer >= 1 and <= N."""
    k = param(name, k, lo=1, integer=True).astype(np.float64)
    grid = broadcast(**{name: k, "N": N})
    if np.any(grid[name] > grid["N"]):
        raise ValueError(f"{name} must be an integer in [1, N]; got {name} > N")
    return k


def pi_arg(pi) -> np.ndarray:
    """Fraction of clean samples: a real number in [0, 1]."""
    return param("pi", pi, lo=0.0, hi=1.0)


def prob_arg(p, name: str = "p") -> np.ndarray:
    """A probability threshold: a real number in (0, 1)."""
    return param(name, p, lo=0.0, hi=1.0, lo_open=True, hi_open=True)


def validate_memorization(*, beta, T, N=None) -> Grid:
    """Clean memoriser: ``beta`` > 1, ``T`` >= 0 (real), ``N`` an integer >= 1 or ``None``."""
    return Grid(dict(beta=beta_arg(beta), T=T_arg(T), N=N_arg(N)))


def validate_tail_cut(*, beta, T, k, N=None) -> Grid:
    """Top-``k`` training law: as :func:`validate_memorization`, ``k`` an integer in [1, N]."""
    N = N_arg(N)
    return Grid(dict(beta=beta_arg(beta), T=T_arg(T), k=k_arg(k, N), N=N))


def validate_narrowed(*, beta, beta_ai, T, N=None) -> Grid:
    """Narrowed training law Zipf(``beta_ai``): ``beta``, ``beta_ai`` > 1, ``T`` >= 0, ``N``."""
    return Grid(dict(beta=beta_arg(beta), beta_ai=beta_arg(beta_ai, "beta_ai"), T=T_arg(T),
                     N=N_arg(N)))


def validate_mixed(*, beta, T, k, pi, N=None) -> Grid:
    """``pi T`` clean plus ``(1 - pi) T`` top-``k`` samples: ``pi`` in [0, 1], ``k`` in [1, N]."""
    N = N_arg(N)
    return Grid(dict(beta=beta_arg(beta), T=T_arg(T), k=k_arg(k, N), pi=pi_arg(pi), N=N))


def validate_tail_band(*, beta, T, k, pi, j, N=None) -> Grid:
    """As :func:`validate_mixed`, plus ``j`` an integer in [k, N] (clean data from ``i > j``)."""
    N = N_arg(N)
    k, j = k_arg(k, N), k_arg(j, N, "j")
    b = broadcast(k=k, j=j)
    if np.any(b["j"] < b["k"]):
        raise ValueError("j must be an integer in [k, N]")
    return Grid(dict(beta=beta_arg(beta), T=T_arg(T), k=k, pi=pi_arg(pi), j=j, N=N))


def validate_capacity(*, beta, T, d, N=None, ranking: str = "oracle") -> Grid:
    """Memory of capacity ``d`` (an integer in [1, N]); ``ranking`` one of ``RANKINGS``."""
    N = N_arg(N)
    return Grid(dict(beta=beta_arg(beta), T=T_arg(T), d=k_arg(d, N, "d"), N=N),
                dict(ranking=choice("ranking", ranking, RANKINGS)))


def validate_generations(*, beta, T, T0, n, chain, N=None) -> Grid:
    """Chains of generations: ``T`` >= 0 or ``inf``, ``T0`` an integer >= 1, ``n`` an integer
    >= 0, ``chain`` one of ``CHAINS``."""
    chain = choice("chain", chain, CHAINS)
    return Grid(dict(beta=beta_arg(beta), T=T_arg(T, allow_inf=True),
                     T0=param("T0", T0, lo=1, integer=True).astype(np.float64),
                     n=param("n", n, lo=0, integer=True).astype(np.float64), N=N_arg(N)),
                dict(chain=chain))


def validate_bigram(*, beta, T, N=None, V=None, k=None, beta_ai=None) -> Grid:
    """Tailed bigram model: ``beta`` > 1, ``T`` an integer >= 0, ``N`` and ``V`` single integers
    >= 1 or ``None`` (infinite; ``V = None`` means ``V = N``; both go to the options), ``k`` an
    integer in [1, V] or ``None`` (no cut: ``inf``), ``beta_ai`` >= ``beta`` or ``None``
    (``beta``)."""
    beta = beta_arg(beta)
    T = param("T", T, lo=0, integer=True).astype(np.float64)
    N = N_arg(N)
    V = N if V is None else param("V", V, lo=1, integer=True).astype(np.float64)
    if np.ndim(N) or np.ndim(V):
        raise ValueError("N and V must be single integers (or None)")
    k = np.array(np.inf) if k is None else k_arg(k, V)
    b = beta if beta_ai is None else beta_arg(beta_ai, "beta_ai")
    if np.any(broadcast(b=b, beta=beta)["b"] < beta):
        raise ValueError("beta_ai must be a real number >= beta (narrowing)")
    return Grid(dict(beta=beta, T=T, k=k, beta_ai=b), dict(N=float(N), V=float(V)))


#: What each parameter of the Zipf model means, with the domain its validator enforces (the
#: ``Args`` sections of :mod:`theory.zipf` are built from this table, see :mod:`theory._docs`).
ARG_DOCS = {
    "beta": "Zipf exponent of the real law p_i = i^-beta / Z, a real > 1.",
    "T": "number of training samples, a real >= 0 (broadcast; the formulas are analytic in T).",
    "N": "vocabulary size, an integer >= 1, or None for an infinite vocabulary.",
    "k": "tail cut: the training law keeps the top k queries, an integer in [1, N].",
    "pi": "share of clean samples among the T, a real in [0, 1].",
    "j": "clean data come only from queries i > j, an integer in [k, N].",
    "d": "memory capacity (number of stored queries), an integer in [1, N].",
    "ranking": "which d queries the memory keeps: one of RANKINGS (\"oracle\": the d most "
               "probable; \"counts\": the d most often seen, simulation only).",
    "beta_ai": "Zipf exponent of the AI training law, a real > 1 (>= beta for narrowing).",
    "T0": "samples per generation of the generator chain, an integer >= 1.",
    "n": "number of generations, an integer >= 0 (0: clean data).",
    "chain": "the generation chain, one of CHAINS (\"resample\" or \"cut\").",
    "tau": "sampling temperature, a real in (0, beta).",
    "p": "top-p threshold, a real in (0, 1).",
    "order": "0 (leading term) or 1 (with the first 1/T correction).",
    "V": "number of next tokens, an integer >= 1, or None (V = N).",
}

#: Per-function domains that differ from :data:`ARG_DOCS`.
ARG_OVERRIDES = {
    "bigram_error": {"T": "number of training pairs, an integer >= 0.",
                     "N": "number of contexts, a single integer >= 1, or None (infinite).",
                     "V": "number of next tokens, a single integer >= 1, or None (V = N).",
                     "k": "cut of the next-token law to its top k tokens, an integer in [1, V], "
                          "or None (no cut).",
                     "beta_ai": "exponent of the AI training data, a real >= beta, or None "
                                "(beta: clean data)."},
    "bigram_floor": {"k": "cut of the next-token law to its top k tokens, an integer in [1, V], "
                          "or None.",
                     "beta_ai": "exponent of the AI training data, a real >= beta, or None."},
    "generations_error": {"T": "training samples of the tested model, a real >= 0 or inf (inf: "
                               "the mass lost by generation n)."},
    "generation_factor": {"n": "number of generations, an integer >= 1."},
    "generator_cutoff": {"T0": "samples the generator was trained on, a real > 0."},
    "zipf_probs": {"N": "vocabulary size, a finite integer in [1, 2^26]."},
}
