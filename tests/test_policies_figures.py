"""Figures of the data policies (replace, accumulate, mix, weighted) run at small scale (the
notebook: tests/test_notebooks.py)."""

from pathlib import Path

import pytest

import paper_figures.policies  # noqa: F401  (registers the figures)
from paper_figures.__main__ import render
from paper_figures._registry import FIGURES

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # about 85 s on two shared cores (one compilation per figure point)
def test_figures_render_at_smoke_scale(tmp_path):
    names = [n for n in FIGURES if n.startswith("policies_")]
    assert len(names) == 6
    render(names, scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert all((tmp_path / f"{n}.png").exists() for n in names)

