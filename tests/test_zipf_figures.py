"""Every Zipf figure builds at scale "smoke", and the notebook runs top to bottom."""

import runpy
from pathlib import Path

import pytest

from paper_figures import FIGURES
from paper_figures.__main__ import render

ROOT = Path(__file__).resolve().parent.parent
NAMES = [name for name in FIGURES if name.startswith("zipf_")]


@pytest.mark.slow  # ~25 s on 2 shared cores: over this model's 100 s budget for `make test`
def test_zipf_figures_render_at_smoke_scale(tmp_path):
    assert len(NAMES) == 6
    paths = render(NAMES, scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert paths and all(Path(p).exists() and Path(p).stat().st_size > 0 for p in paths)


def test_zipf_notebook_runs(monkeypatch):
    monkeypatch.setenv("ZIPF_NOTEBOOK_SMALL", "1")
    namespace = runpy.run_path(str(ROOT / "notebooks" / "zipf_tails.py"), run_name="__main__")
    assert abs(namespace["est"].z(0).size - 3) == 0
