"""Generate -> verify -> train, simulated: twins of :mod:`theory.verification` (BMC, THEORY 5).

Same names and keyword arguments as the theory functions, plus a leading ``key``, ``seeds`` and
an optional ``batch_size``; each returns :class:`sim.Estimate`. Parameters broadcast: a grid is
a Python loop of :func:`sim.monte_carlo` calls whose traced parameters do not recompile.

Samplers (sufficient statistics where the law is known; raw data kept for the agreement tests):

* :func:`accuracy` (averaging classifier): N kept ~ Bin(n, f), K wrong ~ Bin(N, q), g1 ~ N(0, 1),
  R ~ chi2_{d-1}; accuracy on real data Phi(mu U/sqrt(U^2 + R)), U = mu (N - 2K)/sqrt(N) + g1.
  Cost independent of n and d. :func:`accuracy_raw` draws the n x d data, flips, verifies and
  averages.
* :func:`trained_accuracy`: raw data, then logistic or ridge least-squares regression fitted on
  the kept samples with ``steps`` of optax gradient descent; no finite-n theory, compared with
  :func:`theory.verification.accuracy_limit` at large n.
* :func:`iterated_error`: generations as a ``lax.scan``; the trained (averaging) classifier becomes
  the next generator, mislabelling at its exact error rate on real data.
* :func:`zipf_error`: kept counts per query are multinomial (sampled by
  :func:`sim.sampling.tree_counts`, cost O(N)); :func:`zipf_error_raw` draws T queries.

Accuracies are exact population accuracies on real data (Phi(w.mu/||w||)), not test-set counts.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from sim._montecarlo import Estimate, monte_carlo
from sim.sampling import tree_counts
from theory.domain import choice, param
from theory.verification import (
    validate_classifier,
    validate_kept,
    validate_verifier,
    validate_zipf,
    zipf_terms,
)

__all__ = [
    "LOSSES", "accuracy", "accuracy_proportional", "accuracy_raw", "effective_noise",
    "iterated_error", "kept_fraction", "trained_accuracy", "zipf_error", "zipf_error_raw",
]

LOSSES = ("logistic", "squared")


def _grid(one_seed: Callable, key, args: dict, *, static: tuple[str, ...], seeds: int,
          batch_size: int | None, extra_static: dict | None = None) -> Estimate:
    """monte_carlo at every point of the broadcast grid ``args``; names in ``static`` fix shapes."""
    shape = next(iter(args.values())).shape
    means, errs = [], []
    for idx in np.ndindex(shape):
        point = {k: v[idx] for k, v in args.items()}
        est = monte_carlo(
            one_seed, key, seeds=seeds, batch_size=batch_size,
            static={**{k: int(point[k]) for k in static}, **(extra_static or {})},
            params={k: float(v) for k, v in point.items() if k not in static})
        means.append(est.mean)
        errs.append(est.stderr)
    tail = np.shape(means[0])
    return Estimate(np.reshape(means, shape + tail), np.reshape(errs, shape + tail), int(seeds))


def _flip_and_verify(key, p, phi, psi, shape):
    """Wrong-label indicators (probability p) and keep decisions (phi if right, psi if wrong)."""
    kw, kk = jax.random.split(key)
    wrong = jax.random.bernoulli(kw, p, shape)
    kept = jax.random.bernoulli(kk, jnp.where(wrong, psi, phi), shape)
    return wrong, kept


# --- kept fraction and effective noise -----------------------------------------------------------

def _kept_one(key, *, p, phi, psi):
    return _flip_and_verify(key, p, phi, psi, ())[1].astype(jnp.zeros(()).dtype)


def kept_fraction(key, *, p, phi, psi, seeds: int, batch_size: int | None = None) -> Estimate:
    """Each seed generates one sample and reports whether the verifier kept it."""
    return _grid(_kept_one, key, validate_verifier(p, phi, psi), static=(), seeds=seeds,
                 batch_size=batch_size)


def _noise_one(key, *, p, phi, psi):
    def draw(state):
        k, _, _ = state
        k, sub = jax.random.split(k)
        wrong, kept = _flip_and_verify(sub, p, phi, psi, ())
        return k, wrong, kept

    _, wrong, _ = jax.lax.while_loop(lambda s: ~s[2], draw, (key, False, False))
    return wrong.astype(jnp.zeros(()).dtype)


def effective_noise(key, *, p, phi, psi, seeds: int, batch_size: int | None = None) -> Estimate:
    """Each seed generates samples until the verifier keeps one and reports whether its label is
    wrong (a ``lax.while_loop``; expected 1/kept_fraction draws)."""
    return _grid(_noise_one, key, validate_kept(p, phi, psi), static=(), seeds=seeds,
                 batch_size=batch_size)


# --- one generate -> verify -> train step (averaging classifier) ---------------------------------

def _kept_counts(key, n, right_kept, wrong_kept):
    """(right labels kept, wrong labels kept) among n generated: one multinomial draw over
    (right kept, wrong kept, discarded)."""
    shares = jnp.stack([right_kept, wrong_kept])
    counts = tree_counts(key, jnp.append(shares, jnp.clip(1 - shares.sum(), 0, 1)), n)
    return counts[0], counts[1]


def _averaging_accuracy(key, p, phi, psi, mu, d, n):
    """Sufficient-statistic draw of the averaging classifier's accuracy on real data."""
    kc, kg, kr = jax.random.split(key, 3)
    C, W = _kept_counts(kc, n, (1 - p) * phi, p * psi)
    N = C + W
    R = jnp.where(d > 1, jax.random.chisquare(kr, jnp.maximum(d - 1.0, 1.0)), 0.0)
    U = mu * (C - W) / jnp.sqrt(jnp.maximum(N, 1.0)) + jax.random.normal(kg)
    acc = jax.scipy.stats.norm.cdf(mu * U / jnp.sqrt(U**2 + R))
    return jnp.where(N > 0, acc, 0.5)


def _accuracy_one(key, *, p, phi, psi, mu, d, n):
    return _averaging_accuracy(key, p, phi, psi, mu, d, n)


def accuracy(key, *, p, phi, psi, mu, d, n, seeds: int, batch_size: int | None = None) -> Estimate:
    """Accuracy on real data of the averaging classifier on the verified part of n generated
    samples (sufficient statistics; twin of :func:`theory.verification.accuracy`)."""
    return _grid(_accuracy_one, key, validate_classifier(p, phi, psi, mu, d, n), static=(),
                 seeds=seeds, batch_size=batch_size)


# twin of theory.verification.accuracy_proportional: the finite system that limit approximates
accuracy_proportional = accuracy


def _raw_data(key, p, phi, psi, mu, d, n):
    """n real inputs (mean mu e_1 for class +1), generator labels, verifier mask."""
    ky, kz, kv = jax.random.split(key, 3)
    y = jnp.where(jax.random.bernoulli(ky, 0.5, (n,)), 1.0, -1.0)
    x = jax.random.normal(kz, (n, d)).at[:, 0].add(mu * y)
    wrong, kept = _flip_and_verify(kv, p, phi, psi, (n,))
    return x, jnp.where(wrong, -y, y), kept.astype(x.dtype)


def _real_accuracy(w, mu):
    norm = jnp.linalg.norm(w)
    return jnp.where(norm > 0, jax.scipy.stats.norm.cdf(mu * w[0] / jnp.where(norm > 0, norm, 1)),
                     0.5)


def _accuracy_raw_one(key, *, d, n, p, phi, psi, mu):
    x, label, kept = _raw_data(key, p, phi, psi, mu, d, n)
    w = (kept * label) @ x / jnp.maximum(kept.sum(), 1.0)
    return _real_accuracy(w, mu)


def accuracy_raw(key, *, p, phi, psi, mu, d, n, seeds: int,
                 batch_size: int | None = None) -> Estimate:
    """As :func:`accuracy`, from the raw n x d data (memory and time grow with n d)."""
    return _grid(_accuracy_raw_one, key, validate_classifier(p, phi, psi, mu, d, n),
                 static=("d", "n"), seeds=seeds, batch_size=batch_size)


# --- trained classifiers (optax) -----------------------------------------------------------------

def _trained_one(key, *, d, n, loss, steps, p, phi, psi, mu, lam, learning_rate):
    x, label, kept = _raw_data(key, p, phi, psi, mu, d, n)
    weight = kept / jnp.maximum(kept.sum(), 1.0)

    def objective(w):
        margin = label * (x @ w)
        per = jax.nn.softplus(-margin) if loss == "logistic" else 0.5 * (1 - margin) ** 2
        return weight @ per + 0.5 * lam * w @ w

    opt = optax.sgd(learning_rate)

    def step(state, _):
        w, s = state
        updates, s = opt.update(jax.grad(objective)(w), s)
        return (optax.apply_updates(w, updates), s), None

    w0 = jnp.zeros(d, x.dtype)
    (w, _), _ = jax.lax.scan(step, (w0, opt.init(w0)), length=steps)
    return _real_accuracy(w, mu)


def trained_accuracy(key, *, p, phi, psi, mu, d, n, loss: str = "logistic", lam=1e-3,
                     steps: int = 300, learning_rate=0.5, seeds: int,
                     batch_size: int | None = None) -> Estimate:
    """Accuracy on real data of logistic (``loss="logistic"``) or ridge least-squares
    (``"squared"``, labels +-1) regression with penalty lam/2 ||w||^2, fitted to the kept samples by
    ``steps`` of full-batch gradient descent (optax.sgd). Its large-n limit is
    :func:`theory.verification.accuracy_limit`; no finite-n theory is claimed for it."""
    args = validate_classifier(p, phi, psi, mu, d, n)
    args["lam"] = np.broadcast_to(param("lam", lam, lo=0), args["p"].shape)
    args["learning_rate"] = np.broadcast_to(
        param("learning_rate", learning_rate, lo=0, lo_open=True), args["p"].shape)
    extra = {"loss": choice("loss", loss, LOSSES),
             "steps": int(param("steps", steps, lo=1, integer=True))}
    return _grid(_trained_one, key, args, static=("d", "n"), seeds=seeds, batch_size=batch_size,
                 extra_static=extra)


# --- iterated loop -------------------------------------------------------------------------------

def _iterated_one(key, *, generations, p, phi, psi, mu, d, n):
    def generation(err, k):
        acc = _averaging_accuracy(k, err, phi, psi, mu, d, n)
        nothing_kept = err * psi + (1 - err) * phi <= 0
        nxt = jnp.where(nothing_kept, err, 1 - acc)
        return nxt, nxt

    p0 = jnp.asarray(p, dtype=jnp.zeros(()).dtype)
    _, errs = jax.lax.scan(generation, p0, jax.random.split(key, generations))
    return jnp.concatenate([p0[None], errs])


def iterated_error(key, *, p, phi, psi, mu, d, n, generations, seeds: int,
                   batch_size: int | None = None) -> Estimate:
    """Error on real data of the generator at generations 0..``generations`` (last axis): each
    generation trains the averaging classifier on the verified data of n samples labelled by the
    previous one (which errs independently at its exact error rate); a ``lax.scan``."""
    args = validate_classifier(p, phi, psi, mu, d, n)
    G = int(param("generations", generations, lo=0, integer=True))
    return _grid(_iterated_one, key, args, static=(), seeds=seeds, batch_size=batch_size,
                 extra_static={"generations": G})


# --- memorising Zipf model -----------------------------------------------------------------------

def _zipf(N: int, beta):
    probs = jnp.arange(1, N + 1, dtype=jnp.zeros(()).dtype) ** -beta
    return probs / probs.sum()


def _zipf_one(key, *, N, T, beta, k, p, phi, psi):
    probs = _zipf(N, beta)
    r, q = zipf_terms(probs, k, p, phi, psi)
    kc, kb = jax.random.split(key)
    kept = tree_counts(kc, jnp.append(r, jnp.clip(1 - r.sum(), 0, 1)), T)[:N]
    wrong_latest = jax.random.bernoulli(kb, q)
    return probs @ jnp.where(kept > 0, wrong_latest, True).astype(probs.dtype)


def zipf_error(key, *, T, beta, N, k, p, phi, psi, seeds: int,
               batch_size: int | None = None) -> Estimate:
    """Memorising learner on the verified part of T generated pairs (twin of
    :func:`theory.verification.zipf_error`): kept counts per query are multinomial (cost O(N),
    independent of T); a query with kept answers is answered wrongly with probability q_i."""
    return _grid(_zipf_one, key, validate_zipf(T, beta, N, k, p, phi, psi), static=("N",),
                 seeds=seeds, batch_size=batch_size)


def _zipf_raw_one(key, *, N, T, beta, k, p, phi, psi):
    probs = _zipf(N, beta)
    kq, kr, kv = jax.random.split(key, 3)
    query = jax.random.categorical(kq, jnp.log(probs), shape=(T,))
    right = (query < k) & ~jax.random.bernoulli(kr, p, (T,))  # queries 0..k-1 are known
    kept = jax.random.bernoulli(kv, jnp.where(right, phi, psi), (T,))
    latest = jax.ops.segment_max(jnp.where(kept, jnp.arange(T), -1), query, num_segments=N)
    answered_right = (latest >= 0) & right[jnp.clip(latest, 0, T - 1)]
    return probs @ (~answered_right).astype(probs.dtype)


def zipf_error_raw(key, *, T, beta, N, k, p, phi, psi, seeds: int,
                   batch_size: int | None = None) -> Estimate:
    """As :func:`zipf_error`, drawing the T queries, answers and verifier decisions (the learner
    answers with the latest kept answer); cost grows with T."""
    return _grid(_zipf_raw_one, key, validate_zipf(T, beta, N, k, p, phi, psi),
                 static=("N", "T"), seeds=seeds, batch_size=batch_size)
