"""Scaling of the regression chain: cost against seeds, d and T, ours against the NumPy
lstsq loop (:func:`bench.regression.numpy_ols_chain`) at the same sizes, and the FLOP/s of the
regression kernels as a fraction of this machine's matmul rate, measured in the same run.

The chain is :func:`sim.regression.ols_test_error` with n = 4 OLS generators (T0 = T) and the
exact OLS chain theory (docs/theory/regression.md) as the check. The sufficient-statistic
sampler draws each OLS refit as
its multivariate-t increment (O(d), ``sim/_design.py``), so its cost is flat in T; the raw
sampler draws and QR-reduces the T x d design (O(T d^2)), as the NumPy loop does. Compile time is
excluded (:func:`bench._registry.best_time`). NumPy is timed on 20 seeds per size (quick: 5) and
scaled linearly to the row's seeds (``numpy_seeds_timed``). Each benchmark's one-line summary is
its largest size with a NumPy reference; ``details["rows"]`` holds every size.

NumPy's lstsq and XLA:CPU's LAPACK calls (QR, Cholesky) both run in OpenBLAS. On a machine shared
with other jobs, multi-threaded OpenBLAS slowed both by up to 50x (threads waiting on busy
cores); run with ``OPENBLAS_NUM_THREADS=1`` there, and say which setting the numbers used.
"""

from __future__ import annotations

import time

import jax
import numpy as np

from bench._floor import matmul_rate
from bench._registry import Result, benchmark, best_time
from bench.regression import numpy_ols_chain
from sim import RunOptions
from sim import regression as S
from theory import regression as R

N, SIGMA = 4, 1.0  # generations (a multiple of the chain's padding: no step is wasted); noise
Z = 4.0  # agreement: |mean - theory| <= Z stderr
CHUNK = 1000  # seeds per chunk for the sufficient sampler: every size shares one compilation


def _ols_row(axis: str, *, d: int, T: int, seeds: int, sampler: str, ref_seeds: int,
             batch_size: int | None = None, repeat: int = 3) -> dict:
    """Ours and (when ``ref_seeds``) NumPy at one size, each checked against the exact theory."""
    kw = dict(d=d, T=T, T0=T, n=N, sigma=SIGMA, sigma0=SIGMA)
    key = jax.random.key(0)
    options = RunOptions(sampler=sampler, batch_size=batch_size)
    ours_s, est = best_time(lambda: S.ols_test_error(key, seeds=seeds, options=options, **kw),
                            repeat=repeat)
    theory = float(R.ols_test_error(**kw))
    row = dict(axis=axis, sampler=sampler, d=d, T=T, n=N, seeds=seeds, ours_s=ours_s,
               ours_z=float(est.z(theory)), numpy_s=None, numpy_seeds_timed=ref_seeds,
               numpy_z=None, speedup=None)
    if ref_seeds:
        start = time.perf_counter()
        ref = numpy_ols_chain(seeds=ref_seeds, rng=np.random.default_rng(0), **kw)
        row["numpy_s"] = (time.perf_counter() - start) * seeds / ref_seeds
        row["numpy_z"] = float((ref.mean() - theory) / (ref.std(ddof=1) / np.sqrt(ref_seeds)))
        row["speedup"] = row["numpy_s"] / ours_s
    row["agree"] = all(abs(z) <= Z for z in (row["ours_z"], row["numpy_z"]) if z is not None)
    return row


def _ref(quick: bool) -> int:
    """Seeds the NumPy reference is timed on (then scaled to the row's seeds)."""
    return 5 if quick else 20


def _result(name: str, rows: list[dict], **details) -> Result:
    last = [r for r in rows if r["numpy_s"] is not None][-1]
    return Result(name, last["ours_s"], last["numpy_s"], all(r["agree"] for r in rows),
                  dict(rows=rows, x64=bool(jax.config.jax_enable_x64), **details))


@benchmark("scaling_seeds")
def against_seeds(quick: bool) -> Result:
    """d = 50, T = T0 = 200: 1000 to 64000 seeds (quick: 1000, 4000), chunks of 1000 seeds."""
    sizes = (1000, 4000) if quick else (1000, 4000, 16000, 64000)
    rows = [_ols_row("seeds", d=50, T=200, seeds=s, sampler="sufficient", ref_seeds=_ref(quick),
                     batch_size=CHUNK, repeat=1 if s > 4000 else 3) for s in sizes]
    return _result("scaling_seeds", rows)


@benchmark("scaling_d")
def against_d(quick: bool) -> Result:
    """T = T0 = 400, 1000 seeds: d = 25 to 200 (quick: 50, 100). Ours O(d) per refit (one
    compilation per d: it fixes shapes), NumPy's lstsq O(T d^2)."""
    sizes = (50, 100) if quick else (25, 50, 100, 200)
    rows = [_ols_row("d", d=d, T=400, seeds=1000, sampler="sufficient", ref_seeds=_ref(quick),
                     batch_size=CHUNK) for d in sizes]
    return _result("scaling_d", rows)


@benchmark("scaling_T")
def against_T(quick: bool) -> Result:
    """d = 50: T = T0 = 100 to 6400 (quick: 100, 1600). The sufficient sampler (1000 seeds, one
    compilation: T is traced) is flat; the raw sampler (100 seeds; full run only, as it compiles
    once per T) and NumPy grow with T."""
    sizes = (100, 1600) if quick else (100, 400, 1600, 6400)
    rows = [_ols_row("T", d=50, T=T, seeds=1000, sampler="sufficient", ref_seeds=_ref(quick),
                     batch_size=CHUNK) for T in sizes]
    if not quick:
        rows += [_ols_row("T", d=50, T=T, seeds=100, sampler="raw", ref_seeds=0, repeat=1)
                 for T in sizes]
    return _result("scaling_T", rows)


def qr_refit_flops(*, T: int, d: int) -> float:
    """One raw OLS refit, counted analytically: Householder QR of T x d (2Td^2 - 2d^3/3) and the
    reduced Q (as much again), Q'e (2Td), y = A w and the triangular solve (3d^2). Random draws
    are not counted."""
    return 4 * T * d**2 - 4 * d**3 / 3 + 2 * T * d + 3 * d**2


def ridge_refit_flops(*, d: int) -> float:
    """One ridge refit on the Bartlett-reduced design, counted analytically: A'A (2d^3),
    Cholesky (d^3/3), A w, A'y and two triangular solves (8d^2)."""
    return 2 * d**3 + d**3 / 3 + 8 * d**2


@benchmark("regression_flops")
def flops(quick: bool) -> Result:
    """Achieved FLOP/s of two regression kernels against this run's matmul rate (n = 2048;
    quick: 1024): the raw-sampler OLS chain (n = 4 generators + downstream = 5 QR refits, d = 100,
    T = T0 = 1000, 100 seeds; quick: T = 200, 10 seeds) and the sufficient-sampler ridge chain
    (OLS increments, then one ridge refit on the Bartlett design, d = 400, T = T0 = 800,
    lam = 0.1, 200 seeds; quick: d = 100, 20 seeds). FLOPs are counted analytically
    (:func:`qr_refit_flops`, :func:`ridge_refit_flops`): XLA's ``cost_analysis()`` sees neither
    the LAPACK calls (QR, Cholesky) nor the trip counts of the loops. The summary line is the QR
    chain against the NumPy lstsq loop; the ridge theory is a deterministic
    equivalent (about 1% at d = 100), so it agrees within Z stderr + 2%.
    """
    peak = matmul_rate(1024 if quick else 2048)
    T, seeds = (200, 10) if quick else (1000, 100)
    qr = _ols_row("flops", d=100, T=T, seeds=seeds, sampler="raw", ref_seeds=_ref(quick),
                  repeat=1)
    qr.update(kernel="raw OLS chain (QR)",
              flops_per_seed=(N + 1) * qr_refit_flops(T=T, d=100))
    d, seeds = (100, 20) if quick else (400, 200)
    kw = dict(d=d, T=2 * d, T0=2 * d, n=N, lam=0.1, sigma=SIGMA, sigma0=SIGMA, w0_norm=1.0)
    ridge_s, est = best_time(lambda: S.isotropic_ridge_test_error(
        jax.random.key(0), seeds=seeds, **kw), repeat=1)
    theory = float(R.isotropic_ridge_test_error(**kw))
    ridge = dict(axis="flops", kernel="ridge chain (Bartlett)", sampler="sufficient", d=d,
                 T=2 * d, n=N, seeds=seeds, ours_s=ridge_s, ours_z=float(est.z(theory)),
                 numpy_s=None, flops_per_seed=ridge_refit_flops(d=d),
                 agree=abs(float(est.mean) - theory) <= Z * float(est.stderr) + 0.02 * theory)
    for row in (qr, ridge):
        row["gflops"] = row["flops_per_seed"] * row["seeds"] / row["ours_s"] / 1e9
        row["fraction_of_matmul"] = row["gflops"] * 1e9 / peak
    return _result("regression_flops", [qr, ridge], matmul_gflops=peak / 1e9)

