"""One engine for every simulator twin: a quantity is declared once, its sweep comes from here.

A :class:`Twin` declares a quantity: the theory function (its name, keyword arguments and
docstring), the validator the theory function itself uses, the one-seed simulator, and a
``point`` function saying, for one grid point, which values fix the compiled program's shapes
(``static``, rounded into buckets with :func:`bucket` so nearby values share a program), which are
traced, and which entry of the one-seed output is the quantity (``read``). :func:`twin` turns the
declaration into the public simulator, with the theory function's keyword arguments plus
``seeds`` and ``options`` (a :class:`RunOptions`).

A sweep (:func:`sweep`):

1. validates and broadcasts the arguments with the theory twin's validator;
2. maps every grid point to its run; points whose runs coincide (those that differ only in what is
   read, e.g. the generation ``n`` of a chain that records every generation) share one run;
3. groups the runs by their static values: each group is one compiled program, whose batch is the
   runs' traced values times the seeds, flattened into one axis, chunked by the memory budget and
   sharded over the devices (:func:`sim._montecarlo.sample_items`);
4. summarises each run over its seeds and reads every grid point's entry, into an
   :class:`Estimate` of the theory's shape.

Random keys: **common random numbers**. Seed ``s`` of every grid point uses
``jax.random.fold_in(key, s)``: the errors along a plotted curve are positively correlated, so
differences and slopes along it are estimated with less noise, points that differ only in what is
read share their simulation exactly, and no number depends on how the grid is grouped, bucketed or
chunked. (A test that needs independent points passes independent keys.)
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from sim._montecarlo import Estimate, sample_items, summarize
from theory.domain import Grid

__all__ = ["SAMPLERS", "Grid", "Run", "RunOptions", "Twin", "bucket", "pow2", "sweep", "twin"]

#: The samplers a twin may offer: ``"sufficient"`` draws the sufficient statistics of the data
#: (cost independent of the sample sizes); ``"raw"`` draws the data themselves (the reference the
#: sufficient sampler is tested against).
SAMPLERS = ("sufficient", "raw")


@dataclass(frozen=True)
class RunOptions:
    """How a simulation runs; no option changes the law of the result, and none but ``sampler``
    changes its numbers for a given key.

    Args:
        batch_size: work items (grid points times seeds) per device per chunk; ``None`` sizes
            chunks from the memory budget.
        memory_budget: bytes per device a chunk may use (default: :func:`sim.set_memory_budget`'s,
            else :func:`sim.default_memory_budget`).
        devices: the devices sharing the batch (default: all visible).
        sampler: ``"sufficient"`` (default) or ``"raw"``, the raw-data reference sampler, for the
            twins that declare one.
    """

    batch_size: int | None = None
    memory_budget: int | None = None
    devices: tuple[Any, ...] | None = None
    sampler: str = "sufficient"

    def __post_init__(self) -> None:
        if self.batch_size is not None and (isinstance(self.batch_size, bool)
                                            or int(self.batch_size) != self.batch_size
                                            or self.batch_size < 1):
            raise ValueError(f"batch_size must be an integer >= 1 or None, got "
                             f"{self.batch_size!r}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(map(repr, SAMPLERS))}; got "
                             f"{self.sampler!r}")
        if self.devices is not None:
            object.__setattr__(self, "devices", tuple(self.devices))


@dataclass(frozen=True)
class Run:
    """What one grid point runs: ``static`` values (hashable; they fix the program), ``traced``
    values (scalars or arrays of a shape fixed by ``static``; vectorised over the grid), and the
    entry ``read`` of the one-seed output (an index tuple; ``()`` reads all of it)."""

    static: Mapping[str, Any]
    traced: Mapping[str, Any]
    read: tuple = ()

    def program(self) -> tuple:
        return tuple(sorted(self.static.items()))

    def identity(self) -> tuple:
        values = tuple(sorted((k, np.shape(v), np.asarray(v, np.float64).tobytes())
                              for k, v in self.traced.items()))
        return self.program(), values


@dataclass(frozen=True)
class Twin:
    """A quantity declared once.

    Args:
        theory: the theory function; the twin takes its name and keyword arguments. ``None``
            for a simulator without a theory twin (run with :func:`sweep`, not :func:`twin`).
        validate: ``validate(**kwargs) -> Grid``, the validator the theory function itself uses.
        one_seed: module-level ``one_seed(key, **static, **traced) -> array``.
        point: ``point(values, grid, sampler) -> Run`` for one grid point (``values``: the
            point's scalars; ``grid``: the whole :class:`theory.domain.Grid`, for its options and
            for shapes shared by the sweep, such as a chain's length ``grid.max("n")``).
        samplers: the samplers this twin offers (``"raw"`` where a raw-data reference exists).
        doc: how the twin simulates the quantity (its docstring, after a reference to the theory).
    """

    theory: Callable[..., np.ndarray] | None
    validate: Callable[..., Grid]
    one_seed: Callable[..., jax.Array]
    point: Callable[[dict, Grid, str], Run]
    samplers: tuple[str, ...] = ("sufficient",)
    doc: str = ""


def pow2(value: float, *, minimum: int = 1) -> int:
    """The smallest power of two >= ``value`` and >= ``minimum`` (a power of two): the coarsest
    buckets, for sizes whose padding costs little (vocabularies, sampler capacities)."""
    return bucket(value, octave_steps=1, minimum=minimum)


def bucket(value: float, *, octave_steps: int = 8, minimum: int = 4) -> int:
    """The smallest shape size >= ``value`` on a grid of ``octave_steps`` sizes per doubling
    (at most 1/``octave_steps`` of padding), and at least ``minimum``; sizes up to
    ``2 * octave_steps`` are powers of two.

    Shapes that change with a parameter value (a chain's length, a vocabulary, a sample count
    held as data) are rounded with it, so nearby values share one compiled program; what the
    padding adds is masked or never read.
    """
    v = max(math.ceil(value), int(minimum), 1)
    if v <= 2 * octave_steps:
        return 1 << (v - 1).bit_length()
    step = 1 << ((v - 1).bit_length() - octave_steps.bit_length())  # octave / octave_steps
    return -(-v // step) * step


def _sampler(options: RunOptions, declared: Sequence[str], name: str) -> str:
    if options.sampler not in declared:
        raise ValueError(f"sampler must be one of {', '.join(map(repr, declared))} for {name}; "
                         f"got {options.sampler!r}")
    return options.sampler


def sweep(decl: Twin, key: jax.Array, *, seeds: int, options: RunOptions | None = None,
          **kwargs: Any) -> Estimate:
    """Estimate ``decl``'s quantity at every point of its broadcast arguments (module docstring).

    Returns an :class:`Estimate` of the theory's shape (plus the trailing axes of what is read).
    """
    options = RunOptions() if options is None else options
    if not isinstance(options, RunOptions):
        raise ValueError(f"options must be a sim.RunOptions, got {options!r}")
    if isinstance(seeds, bool) or int(seeds) != seeds or seeds < 2:
        raise ValueError(f"seeds must be an integer >= 2, got {seeds!r}")
    seeds = int(seeds)
    name = decl.one_seed.__name__ if decl.theory is None else decl.theory.__name__
    sampler = _sampler(options, decl.samplers, name)
    grid = decl.validate(**kwargs)
    runs = [decl.point(values, grid, sampler) for values in grid.points()]
    unique: dict[tuple, Run] = {}
    for run in runs:
        unique.setdefault(run.identity(), run)
    groups: dict[tuple, list[Run]] = {}
    for run in unique.values():
        groups.setdefault(run.program(), []).append(run)
    results: dict[tuple, Estimate] = {}
    for members in groups.values():
        names = sorted(members[0].traced)
        traced = {n: np.array([r.traced[n] for r in members], dtype=np.float64) for n in names}
        samples = sample_items(decl.one_seed, key, seeds=seeds, static=dict(members[0].static),
                               traced=traced, batch_size=options.batch_size,
                               memory_budget=options.memory_budget, devices=options.devices)
        for j, run in enumerate(members):
            results[run.identity()] = summarize(samples[j])
    picked = [(results[r.identity()].mean[r.read], results[r.identity()].stderr[r.read])
              for r in runs]
    tail = np.shape(picked[0][0])
    shape = grid.shape + tail
    return Estimate(np.reshape([m for m, _ in picked], shape),
                    np.reshape([s for _, s in picked], shape), seeds)


def _signature(theory: Callable) -> inspect.Signature:
    params = [inspect.Parameter("key", inspect.Parameter.POSITIONAL_ONLY,
                                annotation="jax.Array")]
    for p in inspect.signature(theory).parameters.values():
        if p.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{theory.__qualname__}: theory parameters must be keyword-only")
        params.append(p)
    params.append(inspect.Parameter("seeds", inspect.Parameter.KEYWORD_ONLY, annotation="int"))
    params.append(inspect.Parameter("options", inspect.Parameter.KEYWORD_ONLY, default=None,
                                    annotation="RunOptions | None"))
    return inspect.Signature(params, return_annotation="Estimate")


def twin(decl: Twin) -> Callable[..., Estimate]:
    """The public simulator of ``decl``: ``f(key, **theory_kwargs, seeds, options=None)``."""
    signature = _signature(decl.theory)
    defaults = {n: p.default for n, p in signature.parameters.items()
                if p.default is not inspect.Parameter.empty and n != "options"}
    theory_names = set(inspect.signature(decl.theory).parameters)

    @functools.wraps(decl.theory, assigned=("__name__", "__qualname__"))
    def simulate(key: jax.Array, /, *, seeds: int, options: RunOptions | None = None,
                 **kwargs: Any) -> Estimate:
        unknown = sorted(set(kwargs) - theory_names)
        if unknown:
            raise TypeError(f"{decl.theory.__name__}() got unexpected keyword argument(s) "
                            f"{', '.join(unknown)}")
        missing = sorted(theory_names - set(kwargs) - set(defaults))
        if missing:
            raise TypeError(f"{decl.theory.__name__}() missing keyword argument(s) "
                            f"{', '.join(missing)}")
        return sweep(decl, key, seeds=seeds, options=options, **{**defaults, **kwargs})

    simulate.__signature__ = signature  # type: ignore[attr-defined]
    simulate.__doc__ = (f"Monte Carlo twin of :func:`{decl.theory.__module__}."
                        f"{decl.theory.__name__}` (same arguments, plus ``key``, ``seeds`` and "
                        f"``options``); returns an :class:`sim.Estimate`.\n\n"
                        f"{inspect.cleandoc(decl.doc)}\n\nSamplers: "
                        f"{', '.join(decl.samplers)}.")
    simulate.twin = decl  # type: ignore[attr-defined]
    simulate.__module__ = decl.one_seed.__module__
    return simulate
