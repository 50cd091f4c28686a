"""Memorisation experiment on Zipf data: binomial-splitting counts vs drawing every sample (NumPy).

The reference is what published experiment code does: per seed, draw the T samples with
``Generator.choice(N, size=T, p=p)``, count the distinct items, and sum the mass of the unseen ones.
Our simulator samples the exact count vector (:func:`sim.sampling.tree_counts`: a binomial tree for
the heavy rows, categorical draws for the light ones, planned from beta, N and T), so its cost grows
far below linearly in T; it is timed at T and at 1e9, compilation excluded (reported apart).
"""

from __future__ import annotations

import time

import jax
import numpy as np

import sim.zipf as sz
import theory.zipf as tz
from bench._floor import floor_seconds
from bench._registry import Result, benchmark, best_time

Z = 4.0


def _reference(beta: float, N: int, T: int, seeds: int) -> np.ndarray:
    p = np.arange(1, N + 1, dtype=np.float64) ** -beta
    p /= p.sum()
    errors = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        draws = rng.choice(N, size=T, p=p)
        seen = np.zeros(N, bool)
        seen[np.unique(draws)] = True
        errors.append(p[~seen].sum())
    return np.asarray(errors)


def _vectorised(beta: float, N: int, T: int, seeds: int) -> np.ndarray:
    """The sufficient statistic in NumPy, all seeds at once: the count vector of the T draws is
    multinomial (``Generator.multinomial``, conditional binomials over the N items)."""
    p = np.arange(1, N + 1, dtype=np.float64) ** -beta
    p /= p.sum()
    counts = np.random.default_rng(1).multinomial(T, p, size=seeds)
    return np.where(counts == 0, p, 0.0).sum(axis=1)


@benchmark("zipf_memorization")
def memorization(quick: bool) -> Result:
    beta = 2.0
    N, T, seeds = (10**4, 10**5, 10) if quick else (10**6, 10**7, 100)
    ref_seeds = seeds if quick else 10  # 100 seeds of T = 1e7 draws would take minutes
    key = jax.random.key(0)

    def ours(T=T):
        return sz.memorization_error(key, beta=beta, T=T, N=N, seeds=seeds)

    start = time.perf_counter()
    ours()
    first_s = time.perf_counter() - start  # compilation + one run
    ours_s, est = best_time(ours, repeat=3)
    ours_1e9_s, ours_1e9 = best_time(lambda: ours(T=10**9), repeat=2 if quick else 1)
    start = time.perf_counter()
    ref = _reference(beta, N, T, ref_seeds)
    ref_s = (time.perf_counter() - start) * seeds / ref_seeds
    ref_se = ref.std(ddof=1) / np.sqrt(ref.size)
    vectorised_s, vec = best_time(lambda: _vectorised(beta, N, T, seeds), repeat=1)
    # At least one random number per item seen (a zero count needs none: the tree of binomials
    # settles whole blocks of unseen items at once); E[items seen] = sum_i 1 - (1 - p_i)^T.
    p = np.arange(1, N + 1, dtype=np.float64) ** -beta
    draws = seeds * float(np.sum(-np.expm1(T * np.log1p(-p / p.sum()))))
    theory = float(tz.memorization_error(beta=beta, T=T, N=N))
    theory_1e9 = float(tz.memorization_error(beta=beta, T=1e9, N=N))
    z_pair = float((est.mean - ref.mean()) / np.hypot(est.stderr, ref_se))
    z_vec = float((vec.mean() - theory) / (vec.std(ddof=1) / np.sqrt(seeds)))
    agree = abs(z_pair) <= Z and abs(float(est.z(theory))) <= Z and abs(z_vec) <= Z
    details = {
        "draws": draws, "vectorised_z_vs_theory": z_vec,
        "N": N, "T": T, "seeds": seeds, "beta": beta,
        "reference_seeds_timed": ref_seeds,
        "reference_note": ("reference timed on its seeds and scaled linearly to all seeds"
                           if ref_seeds < seeds else "reference timed on all seeds"),
        "ours_first_call_s": first_s, "ours_T1e9_s": ours_1e9_s,
        "ours_T1e9_mean": float(ours_1e9.mean), "ours_T1e9_stderr": float(ours_1e9.stderr),
        "theory_T1e9": theory_1e9, "z_T1e9_vs_theory": float(ours_1e9.z(theory_1e9)),
        "ours_mean": float(est.mean), "reference_mean": float(ref.mean()), "theory": theory,
        "z_ours_vs_reference": z_pair, "z_ours_vs_theory": float(est.z(theory)), "z_bound": Z,
        "precision": str(jax.numpy.zeros(()).dtype),
    }
    return Result("zipf_memorization", ours_s, ref_s, bool(agree), details,
                  vectorised_s=vectorised_s, floor_s=floor_seconds(draws=draws))
