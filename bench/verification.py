"""Generate -> verify -> train (Feng et al., "Beyond Model Collapse"; docs/theory/verification.md):
our batched JAX simulators against a NumPy loop over
seeds doing the same experiment (draw n x d data, flip labels, verify, fit, score on real data).

* ``verification_averaging``: the averaging classifier (closed form); ours =
  :func:`sim.verification.accuracy` with its raw-data sampler (``RunOptions(sampler="raw")``,
  vmapped over seeds); the sufficient-statistic sampler's time is reported too.
* ``verification_logistic``: logistic regression by full-batch gradient descent (same steps, rate
  and penalty); ours = :func:`sim.verification.trained_accuracy` (optax, vmapped).

Agreement: the two means differ by at most 4 combined standard errors (independent random numbers).
"""

from __future__ import annotations

import math

import jax
import numpy as np
from scipy import special

import sim.verification as S
from bench._floor import floor_seconds
from bench._registry import Result, benchmark, best_time
from sim import RunOptions

P, PHI, PSI, MU = 0.3, 1.0, 0.2, 1.0
Z = 4.0
RAW = RunOptions(sampler="raw")


def _numpy_data(rng, n: int, d: int):
    y = rng.choice([-1.0, 1.0], size=n)
    x = rng.standard_normal((n, d))
    x[:, 0] += MU * y
    wrong = rng.random(n) < P
    kept = rng.random(n) < np.where(wrong, PSI, PHI)
    return x[kept], np.where(wrong, -y, y)[kept]


def _numpy_accuracy(w: np.ndarray) -> float:
    return float(special.ndtr(MU * w[0] / np.linalg.norm(w)))


def _numpy_averaging(seeds: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(seeds):
        x, label = _numpy_data(rng, n, d)
        out.append(_numpy_accuracy(label @ x / len(label)))
    return np.array(out)


def _numpy_logistic(seeds: int, n: int, d: int, steps: int, lr: float, lam: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(seeds):
        x, label = _numpy_data(rng, n, d)
        w = np.zeros(d)
        for _ in range(steps):
            margin = label * (x @ w)
            grad = -(label * special.expit(-margin)) @ x / len(label) + lam * w
            w -= lr * grad
        out.append(_numpy_accuracy(w))
    return np.array(out)


def _vectorised_data(seeds: int, n: int, d: int):
    """All seeds' raw data at once; the rejected points carry weight 0 instead of being dropped."""
    rng = np.random.default_rng(1)
    y = rng.choice([-1.0, 1.0], size=(seeds, n))
    x = rng.standard_normal((seeds, n, d))
    x[..., 0] += MU * y
    wrong = rng.random((seeds, n)) < P
    kept = (rng.random((seeds, n)) < np.where(wrong, PSI, PHI)).astype(float)
    return x, np.where(wrong, -y, y), kept


def _vectorised_accuracy(w: np.ndarray) -> np.ndarray:
    return special.ndtr(MU * w[:, 0] / np.linalg.norm(w, axis=1))


def _vectorised_averaging(seeds: int, n: int, d: int) -> np.ndarray:
    x, label, kept = _vectorised_data(seeds, n, d)
    w = np.einsum("sn,snd->sd", label * kept, x) / kept.sum(axis=1, keepdims=True)
    return _vectorised_accuracy(w)


def _vectorised_logistic(seeds: int, n: int, d: int, steps: int, lr: float, lam: float
                         ) -> np.ndarray:
    x, label, kept = _vectorised_data(seeds, n, d)
    count = kept.sum(axis=1, keepdims=True)
    w = np.zeros((seeds, d))
    for _ in range(steps):
        margin = label * np.einsum("snd,sd->sn", x, w)
        coef = -label * kept * special.expit(-margin) / count
        w -= lr * (np.einsum("sn,snd->sd", coef, x) + lam * w)
    return _vectorised_accuracy(w)


def _agree(ours, reference: np.ndarray) -> tuple[bool, float]:
    ref_mean = reference.mean()
    ref_se = reference.std(ddof=1) / math.sqrt(len(reference))
    z = (float(ours.mean) - ref_mean) / math.hypot(float(ours.stderr), ref_se)
    return bool(abs(z) <= Z), float(z)


@benchmark("verification_averaging")
def averaging(quick: bool) -> Result:
    seeds, n, d = (20, 1000, 20) if quick else (100, 10_000, 100)
    args = dict(p=P, phi=PHI, psi=PSI, mu=MU, d=d, n=n)
    key = jax.random.key(0)
    ours_s, ours = best_time(lambda: S.accuracy(key, **args, seeds=seeds, options=RAW))
    suff_s, suff = best_time(lambda: S.accuracy(key, **args, seeds=seeds))
    ref_s, ref = best_time(lambda: _numpy_averaging(seeds, n, d), repeat=1)
    vectorised_s, vec = best_time(lambda: _vectorised_averaging(seeds, n, d), repeat=1)
    ok, z = _agree(ours, ref)
    ok_suff, z_suff = _agree(suff, ref)
    ok_vec, z_vec = _agree(ours, vec)
    draws = seeds * n * (d + 3)  # a label, d coordinates, a flip and a verifier coin per point
    return Result("verification_averaging", ours_s, ref_s, ok and ok_suff and ok_vec, {
        "draws": draws, "vectorised_z": z_vec,
        "seeds": seeds, "n": n, "d": d, "z": z, "sufficient_statistics_s": suff_s,
        "sufficient_statistics_z": z_suff, "sufficient_speedup": ref_s / suff_s,
        "mean_ours": float(ours.mean), "mean_numpy": float(ref.mean()),
        "flops_numpy_equivalent": 2.0 * seeds * n * d},
        vectorised_s=vectorised_s, floor_s=floor_seconds(draws=draws))


@benchmark("verification_logistic")
def logistic(quick: bool) -> Result:
    seeds, n, d, steps = (8, 500, 20, 50) if quick else (100, 10_000, 100, 200)
    lr, lam = 0.5, 1e-3
    args = dict(p=P, phi=PHI, psi=PSI, mu=MU, d=d, n=n)
    key = jax.random.key(0)
    ours_s, ours = best_time(lambda: S.trained_accuracy(key, **args, loss="logistic", lam=lam,
                                                         steps=steps, learning_rate=lr,
                                                         seeds=seeds), repeat=1)
    ref_s, ref = best_time(lambda: _numpy_logistic(seeds, n, d, steps, lr, lam), repeat=1)
    vectorised_s, vec = best_time(lambda: _vectorised_logistic(seeds, n, d, steps, lr, lam),
                                  repeat=1)
    ok, z = _agree(ours, ref)
    ok_vec, z_vec = _agree(ours, vec)
    flops = 4.0 * seeds * steps * n * d  # two matrix-vector products per step
    draws = seeds * n * (d + 3)
    return Result("verification_logistic", ours_s, ref_s, ok and ok_vec, {
        "draws": draws, "flops": flops, "vectorised_z": z_vec,
        "seeds": seeds, "n": n, "d": d, "steps": steps, "z": z, "mean_ours": float(ours.mean),
        "mean_numpy": float(ref.mean()), "gflops_ours": flops / ours_s / 1e9},
        vectorised_s=vectorised_s, floor_s=floor_seconds(draws=draws, flops=flops))
