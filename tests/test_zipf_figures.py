"""Every Zipf figure builds at scale "smoke" (the notebook: tests/test_notebooks.py)."""

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

