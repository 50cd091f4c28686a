"""Every regression figure runs at a small scale (the notebook: tests/test_notebooks.py). The
four figures together take about a minute of compilation, so they run in the slow tier."""

import pytest

from paper_figures import FIGURES
from paper_figures.__main__ import render

NAMES = [n for n in FIGURES if n.startswith("regression_")]


@pytest.mark.slow
def test_regression_figures_render_at_smoke_scale(tmp_path):
    assert len(NAMES) == 4
    written = render(NAMES, scale="smoke", out=tmp_path, cache=tmp_path / "cache", quiet=True)
    assert all(p.stat().st_size > 10_000 for p in written)
    assert all((tmp_path / f"{n}.pdf").exists() for n in NAMES)


def test_cache_resumes_and_detects_damage(tmp_path):
    from paper_figures._cache import Runner
    from sim import regression as S

    run = Runner(tmp_path)
    kw = dict(d=4, T=12, T0=10, n=1, sigma=1.0, sigma0=1.0, seeds=8)
    first = run(S.ols_test_error, seed=3, **kw)
    again = Runner(tmp_path)
    assert again(S.ols_test_error, seed=3, **kw).mean == first.mean and again.hits == 1
    (entry,) = tmp_path.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])  # damage it
    fresh = Runner(tmp_path)
    assert fresh(S.ols_test_error, seed=3, **kw).mean == first.mean and fresh.hits == 0

