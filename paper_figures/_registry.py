"""Figure registry: each figure module decorates its builder with :func:`figure`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from paper_figures._cache import Runner

Scale = Literal["smoke", "quick", "paper"]
SCALES: tuple[str, ...] = ("smoke", "quick", "paper")


def pick(scale: Scale, *, smoke, quick, paper):
    """The value for ``scale``: ``smoke`` is for the test suite, ``paper`` for the papers' sizes."""
    return {"smoke": smoke, "quick": quick, "paper": paper}[scale]


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    build: Callable[[Runner, Scale], MplFigure]


FIGURES: dict[str, FigureSpec] = {}


def figure(name: str, title: str):
    """Register ``build(run, scale) -> matplotlib Figure`` under ``name``."""

    def register(build):
        if name in FIGURES:
            raise ValueError(f"figure name {name!r} registered twice")
        FIGURES[name] = FigureSpec(name, title, build)
        return build

    return register
