"""Generate -> verify -> train, simulated: twins of :mod:`theory.verification` (Feng et al., arXiv
2406.07515; docs/theory/verification.md),
declared on the sweep engine (:mod:`sim._engine`).

Each twin takes the theory function's keyword arguments plus a leading ``key``, ``seeds`` and
``options`` (a :class:`sim.RunOptions`) and returns :class:`sim.Estimate` of the theory's shape.

Samplers (sufficient statistics where the law is known; ``RunOptions(sampler="raw")`` draws the
data themselves, the reference the tests compare against):

* :func:`accuracy` (averaging classifier): N kept ~ Bin(n, f), K wrong ~ Bin(N, q), g1 ~ N(0, 1),
  R ~ chi2_{d-1}; accuracy on real data Phi(mu U/sqrt(U^2 + R)), U = mu (N - 2K)/sqrt(N) + g1.
  Cost independent of n and d; every (p, phi, psi, mu, d, n) is traced, so a whole sweep is one
  program. The raw sampler draws the n x d data, flips, verifies and averages. The theory's
  :func:`theory.verification.accuracy_proportional` is the proportional limit of the same finite
  system, so its twin simulates that finite system.
* :func:`trained_accuracy` (in ``SIM_ONLY``): raw data, then logistic or ridge least-squares
  regression fitted on the kept samples with ``steps`` of optax gradient descent; compared with
  :func:`theory.verification.accuracy_limit` at large n.
* :func:`iterated_error`: generations as a ``lax.scan``; the trained (averaging) classifier becomes
  the next generator, mislabelling at its exact error rate on real data.
* :func:`zipf_error`: kept counts per query are multinomial (sampled by
  :func:`sim.sampling.tree_counts`, cost O(N)); the raw sampler draws the T queries.

Shapes that follow a parameter (the raw data's n x d, the vocabulary N, the raw sampler's T, the
number of generations) are rounded up with :func:`sim._engine.bucket`; the padding is masked
(rows and columns of zeros, zero-probability queries, draws beyond T not counted) or never read,
so it does not change the law. Accuracies are exact population accuracies on real data
(Phi(w.mu/||w||)), not test-set counts.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

import theory.verification as TV
from sim._engine import SAMPLERS, Run, RunOptions, Twin, bucket, sweep, twin
from sim._montecarlo import Estimate
from sim.sampling import tree_counts
from theory.domain import Grid, choice, param

__all__ = [
    "LOSSES", "SIM_ONLY", "accuracy", "accuracy_proportional", "effective_noise",
    "iterated_error", "kept_fraction", "trained_accuracy", "zipf_error",
]

LOSSES = ("logistic", "squared")

#: Public simulators without a theory twin in :mod:`theory.verification`, with the reason.
SIM_ONLY = {
    "trained_accuracy": "gradient-descent-trained logistic / ridge classifiers have no finite-n "
                        "theory here; their large-n limit is theory.verification.accuracy_limit",
}


def _flip_and_verify(key, p, phi, psi, shape):
    """Wrong-label indicators (probability p) and keep decisions (phi if right, psi if wrong)."""
    kw, kk = jax.random.split(key)
    wrong = jax.random.bernoulli(kw, p, shape)
    kept = jax.random.bernoulli(kk, jnp.where(wrong, psi, phi), shape)
    return wrong, kept


def _traced_point(names: tuple[str, ...]):
    """Every parameter traced: one program for the whole sweep."""

    def point(values: dict, grid: Grid, sampler: str) -> Run:
        return Run({}, {k: values[k] for k in names})

    return point


# --- kept fraction and effective noise -----------------------------------------------------------

def _kept_one(key, *, p, phi, psi):
    return _flip_and_verify(key, p, phi, psi, ())[1].astype(jnp.zeros(()).dtype)


kept_fraction = twin(Twin(
    theory=TV.kept_fraction, validate=TV.validate_verifier, one_seed=_kept_one,
    point=_traced_point(("p", "phi", "psi")),
    doc="Each seed generates one sample and reports whether the verifier kept it."))


def _noise_one(key, *, p, phi, psi):
    def draw(state):
        k, _, _ = state
        k, sub = jax.random.split(k)
        wrong, kept = _flip_and_verify(sub, p, phi, psi, ())
        return k, wrong, kept

    _, wrong, _ = jax.lax.while_loop(lambda s: ~s[2], draw, (key, False, False))
    return wrong.astype(jnp.zeros(()).dtype)


effective_noise = twin(Twin(
    theory=TV.effective_noise, validate=TV.validate_kept, one_seed=_noise_one,
    point=_traced_point(("p", "phi", "psi")),
    doc="""Each seed generates samples until the verifier keeps one and reports whether its label
    is wrong (a ``lax.while_loop``; expected 1/kept_fraction draws)."""))


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


def _raw_data(key, p, phi, psi, mu, *, d, n, rows: int, cols: int):
    """``rows`` x ``cols`` real inputs (mean mu e_1 for class +1; columns >= d zero), generator
    labels, and the verifier's mask (rows >= n never kept): the data of n samples in dimension d,
    zero-padded."""
    ky, kz, kv = jax.random.split(key, 3)
    y = jnp.where(jax.random.bernoulli(ky, 0.5, (rows,)), 1.0, -1.0)
    x = jax.random.normal(kz, (rows, cols)).at[:, 0].add(mu * y)
    x = jnp.where(jnp.arange(cols) < d, x, 0.0)
    wrong, kept = _flip_and_verify(kv, p, phi, psi, (rows,))
    kept = kept & (jnp.arange(rows) < n)
    return x, jnp.where(wrong, -y, y), kept.astype(x.dtype)


def _real_accuracy(w, mu):
    norm = jnp.linalg.norm(w)
    return jnp.where(norm > 0, jax.scipy.stats.norm.cdf(mu * w[0] / jnp.where(norm > 0, norm, 1)),
                     0.5)


def _accuracy_one(key, *, raw_n: int, raw_d: int, p, phi, psi, mu, d, n):
    """One seed of the averaging classifier's accuracy: sufficient statistics, or (``raw_n``) the
    raw data padded to ``raw_n`` x ``raw_d``."""
    if not raw_n:
        return _averaging_accuracy(key, p, phi, psi, mu, d, n)
    x, label, kept = _raw_data(key, p, phi, psi, mu, d=d, n=n, rows=raw_n, cols=raw_d)
    w = (kept * label) @ x / jnp.maximum(kept.sum(), 1.0)
    return _real_accuracy(w, mu)


_CLASSIFIER = ("p", "phi", "psi", "mu", "d", "n")


def _accuracy_point(values: dict, grid: Grid, sampler: str) -> Run:
    raw = sampler == "raw"
    static = dict(raw_n=bucket(values["n"]) if raw else 0,
                  raw_d=bucket(values["d"]) if raw else 0)
    return Run(static, {k: values[k] for k in _CLASSIFIER})


_ACCURACY_DOC = """Each seed draws the sufficient statistics of the kept data: the numbers of
right and wrong labels kept (one multinomial draw), g1 ~ N(0, 1) and R ~ chi2_{d-1}, and returns
Phi(mu U/sqrt(U^2 + R)), U = mu (C - W)/sqrt(C + W) + g1 (1/2 when nothing is kept); cost
independent of n and d. ``sampler="raw"`` draws the n x d data, flips and verifies the labels and
averages y x over the kept samples (memory and time grow with n d)."""

accuracy = twin(Twin(
    theory=TV.accuracy, validate=TV.validate_classifier, one_seed=_accuracy_one,
    point=_accuracy_point, samplers=SAMPLERS, doc=_ACCURACY_DOC))

accuracy_proportional = twin(Twin(
    theory=TV.accuracy_proportional, validate=TV.validate_classifier, one_seed=_accuracy_one,
    point=_accuracy_point, samplers=SAMPLERS,
    doc="The finite system at the same (p, phi, psi, mu, d, n), simulated exactly as "
        ":func:`accuracy`: the theory is its proportional limit (n, d -> inf with d/n fixed), "
        f"within O(1/n) of it. {_ACCURACY_DOC}"))


# --- trained classifiers (optax) -----------------------------------------------------------------

def _trained_one(key, *, raw_n: int, raw_d: int, loss: str, steps: int, p, phi, psi, mu, d, n,
                 lam, learning_rate):
    x, label, kept = _raw_data(key, p, phi, psi, mu, d=d, n=n, rows=raw_n, cols=raw_d)
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

    w0 = jnp.zeros(raw_d, x.dtype)
    (w, _), _ = jax.lax.scan(step, (w0, opt.init(w0)), length=steps)
    return _real_accuracy(w, mu)


def _validate_trained(*, p, phi, psi, mu, d, n, loss, lam, steps, learning_rate) -> Grid:
    """:func:`theory.verification.validate_classifier`, a penalty ``lam`` >= 0 and a step size
    ``learning_rate`` > 0 (broadcast); options ``loss`` (one of ``LOSSES``) and ``steps``, one
    integer >= 1."""
    grid = TV.validate_classifier(p=p, phi=phi, psi=psi, mu=mu, d=d, n=n)
    steps = param("steps", steps, lo=1, integer=True)
    if steps.ndim:
        raise ValueError(f"steps must be one integer >= 1 (not broadcast), got {steps!r}")
    return Grid(dict(grid.arrays, lam=param("lam", lam, lo=0),
                     learning_rate=param("learning_rate", learning_rate, lo=0, lo_open=True)),
                dict(loss=choice("loss", loss, LOSSES), steps=int(steps)))


def _trained_point(values: dict, grid: Grid, sampler: str) -> Run:
    static = dict(raw_n=bucket(values["n"]), raw_d=bucket(values["d"]),
                  loss=grid.options["loss"], steps=grid.options["steps"])
    return Run(static, {k: values[k] for k in (*_CLASSIFIER, "lam", "learning_rate")})


_TRAINED = Twin(theory=None, validate=_validate_trained, one_seed=_trained_one,
                point=_trained_point, samplers=SAMPLERS)


def trained_accuracy(key: jax.Array, *, p, phi, psi, mu, d, n, loss: str = "logistic", lam=1e-3,
                     steps: int = 300, learning_rate=0.5, seeds: int,
                     options: RunOptions | None = None) -> Estimate:
    """Accuracy on real data of logistic (``loss="logistic"``) or ridge least-squares
    (``"squared"``, labels +-1) regression with penalty lam/2 ||w||^2, fitted to the kept samples
    of n generated ones by ``steps`` of full-batch gradient descent (optax.sgd), averaged over
    ``seeds``. Its large-n limit is :func:`theory.verification.accuracy_limit`; no finite-n
    theory is claimed for it (``SIM_ONLY``). The data are always drawn raw (a trained classifier
    has no sufficient statistics): both samplers are this one. Parameters broadcast except
    ``loss`` and ``steps``. The curation setting of Feng et al., arXiv 2406.07515
    (docs/theory/verification.md).

    Args:
        key: a JAX random key.
        p: the generator's label-error probability, in [0, 1].
        phi: probability that the verifier keeps a correctly labelled sample, in [0, 1].
        psi: probability that the verifier keeps a wrongly labelled sample, in [0, 1].
        mu: signal strength, > 0.
        d: dimension, an integer >= 1.
        n: samples generated, an integer >= 1.
        loss: ``"logistic"`` or ``"squared"``.
        lam: the ridge penalty, >= 0.
        steps: gradient steps, an integer >= 1.
        learning_rate: the optax.sgd step size, > 0.
        seeds: number of independent runs, an integer >= 1.
        options: a :class:`sim.RunOptions` (batching, memory, devices), or None.

    Returns:
        An :class:`sim.Estimate` (mean, stderr, seeds) of the accuracy on real data.
    """
    return sweep(_TRAINED, key, seeds=seeds, options=options, p=p, phi=phi, psi=psi, mu=mu, d=d,
                 n=n, loss=loss, lam=lam, steps=steps, learning_rate=learning_rate)


# --- iterated loop -------------------------------------------------------------------------------

def _iterated_one(key, *, generations: int, p, phi, psi, mu, d, n):
    """Generator errors at generations 0..generations; generation g uses ``fold_in(key, g)``."""

    def generation(err, g):
        acc = _averaging_accuracy(jax.random.fold_in(key, g), err, phi, psi, mu, d, n)
        nothing_kept = err * psi + (1 - err) * phi <= 0
        nxt = jnp.where(nothing_kept, err, 1 - acc)
        return nxt, nxt

    p0 = jnp.asarray(p, dtype=jnp.zeros(()).dtype)
    _, errs = jax.lax.scan(generation, p0, jnp.arange(1, generations + 1))
    return jnp.concatenate([p0[None], errs])


def _iterated_point(values: dict, grid: Grid, sampler: str) -> Run:
    G = grid.options["generations"]
    return Run(dict(generations=bucket(G)), {k: values[k] for k in _CLASSIFIER},
               read=(slice(0, G + 1),))


iterated_error = twin(Twin(
    theory=TV.iterated_error, validate=TV.validate_iterated, one_seed=_iterated_one,
    point=_iterated_point,
    doc="""Error on real data of the generator at generations 0..``generations`` (last axis):
    each generation trains the averaging classifier on the verified data of n samples labelled by
    the previous one (which errs independently at its exact error rate), drawn by the sufficient
    statistics of :func:`accuracy`; a ``lax.scan``. The theory is the proportional-limit
    recursion; generation 1 is exactly 1 - :func:`theory.verification.accuracy`."""))


# --- memorising Zipf model -----------------------------------------------------------------------

def _zipf(N, beta, size: int):
    """Zipf(beta) probabilities of queries 1..N, zero-padded to ``size``."""
    ranks = jnp.arange(1, size + 1, dtype=jnp.zeros(()).dtype)
    probs = jnp.where(ranks <= N, ranks ** -beta, 0.0)
    return probs / probs.sum()


def _zipf_one(key, *, size: int, raw_T: int, T, beta, N, k, p, phi, psi):
    """Test error of the memorising learner (queries padded to ``size``): kept counts per query
    by one multinomial draw, or (``raw_T``) ``raw_T`` drawn pairs of which the first T count."""
    probs = _zipf(N, beta, size)
    if raw_T:
        kq, kr, kv = jax.random.split(key, 3)
        logits = jnp.where(probs > 0, jnp.log(jnp.where(probs > 0, probs, 1.0)), -jnp.inf)
        query = jax.random.categorical(kq, logits, shape=(raw_T,))
        right = (query < k) & ~jax.random.bernoulli(kr, p, (raw_T,))  # queries 0..k-1 are known
        kept = jax.random.bernoulli(kv, jnp.where(right, phi, psi), (raw_T,))
        kept = kept & (jnp.arange(raw_T) < T)
        latest = jax.ops.segment_max(jnp.where(kept, jnp.arange(raw_T), -1), query,
                                     num_segments=size)
        answered_right = (latest >= 0) & right[jnp.clip(latest, 0, raw_T - 1)]
        return probs @ (~answered_right).astype(probs.dtype)
    r, q = TV.zipf_terms(probs, k, p, phi, psi)
    kc, kb = jax.random.split(key)
    kept = tree_counts(kc, jnp.append(r, jnp.clip(1 - r.sum(), 0, 1)), T)[:size]
    wrong_latest = jax.random.bernoulli(kb, q)
    return probs @ jnp.where(kept > 0, wrong_latest, True).astype(probs.dtype)


def _zipf_point(values: dict, grid: Grid, sampler: str) -> Run:
    static = dict(size=bucket(values["N"]),
                  raw_T=bucket(max(values["T"], 1)) if sampler == "raw" else 0)
    return Run(static, {k: values[k] for k in ("T", "beta", "N", "k", "p", "phi", "psi")})


zipf_error = twin(Twin(
    theory=TV.zipf_error, validate=TV.validate_zipf, one_seed=_zipf_one, point=_zipf_point,
    samplers=SAMPLERS,
    doc="""Memorising learner on the verified part of T generated pairs: kept counts per query
    are multinomial (one draw of :func:`sim.sampling.tree_counts`, cost O(N), independent of T);
    a query with kept answers is answered wrongly with probability q_i. ``sampler="raw"`` draws
    the T queries, answers and verifier decisions (the learner answers with the latest kept
    answer); cost grows with T."""))
