"""The figures of the KDE, contaminated-source and iterated-learning models (the notebook:
tests/test_notebooks.py)."""

from pathlib import Path

import pytest

import paper_figures.more_loops  # noqa: F401  (registers the figures)
from paper_figures.__main__ import render
from paper_figures._registry import FIGURES

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("kde_variance", "contamination_risk", "bayes_iterated_learning")


def test_figures_registered():
    assert set(NAMES) <= set(FIGURES)


@pytest.mark.slow
def test_figures_render_at_smoke_scale(tmp_path):
    render(list(NAMES), scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert all((tmp_path / f"{n}.png").exists() for n in NAMES)

