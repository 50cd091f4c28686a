"""The figure results cache: keyed by code version, ``--fresh`` recomputes and overwrites."""

import json

import jax
import numpy as np
import pytest

import paper_figures._cache as C
from paper_figures._cache import Runner, code_version


def fake_simulator(key, *, n: int):
    """A stand-in simulator: cheap, deterministic in (key, n), and counts its calls."""
    fake_simulator.calls += 1
    return np.arange(n, dtype=float) + float(jax.random.uniform(key))


fake_simulator.calls = 0


def _entry_meta(cache_dir) -> dict:
    (entry,) = cache_dir.glob("*.npz")
    with np.load(entry) as data:
        return json.loads(str(data["__meta__"]))


def test_code_version_is_a_stable_sha256():
    version = code_version()
    assert len(version) == 64 and int(version, 16) >= 0
    assert code_version() is version  # computed once per process


def test_changed_code_version_is_a_miss_same_version_a_hit(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "code_version", lambda: "a" * 64)
    calls = fake_simulator.calls
    first = Runner(tmp_path)(fake_simulator, seed=1, n=3)
    assert fake_simulator.calls == calls + 1
    assert _entry_meta(tmp_path)["code"] == "a" * 64
    assert _entry_meta(tmp_path)["config"]["code"] == "a" * 64

    same = Runner(tmp_path)
    np.testing.assert_array_equal(same(fake_simulator, seed=1, n=3), first)
    assert same.hits == 1 and fake_simulator.calls == calls + 1

    monkeypatch.setattr(C, "code_version", lambda: "b" * 64)
    changed = Runner(tmp_path)
    np.testing.assert_array_equal(changed(fake_simulator, seed=1, n=3), first)
    assert changed.hits == 0 and fake_simulator.calls == calls + 2
    assert len(list(tmp_path.glob("*.npz"))) == 2  # one entry per code version


def test_fresh_recomputes_and_overwrites(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "code_version", lambda: "c" * 64)
    Runner(tmp_path)(fake_simulator, seed=2, n=2)
    (entry,) = tmp_path.glob("*.npz")
    created = entry.stat().st_mtime_ns
    calls = fake_simulator.calls

    fresh = Runner(tmp_path, fresh=True)
    fresh(fake_simulator, seed=2, n=2)
    assert fresh.hits == 0 and fake_simulator.calls == calls + 1
    (rewritten,) = tmp_path.glob("*.npz")
    assert rewritten == entry and rewritten.stat().st_mtime_ns >= created

    again = Runner(tmp_path)
    again(fake_simulator, seed=2, n=2)
    assert again.hits == 1 and fake_simulator.calls == calls + 1


@pytest.mark.parametrize(("argv", "fresh"), [([], False), (["--fresh"], True)])
def test_cli_fresh_flag_reaches_the_runner(argv, fresh, tmp_path, monkeypatch):
    import paper_figures.__main__ as cli
    from paper_figures import FIGURES

    name = next(iter(FIGURES))
    seen = {}
    monkeypatch.setattr(cli, "render", lambda names, **kw: seen.update(names=names, **kw))
    assert cli.main([*argv, name, "--cache", str(tmp_path)]) == 0
    assert seen["names"] == [name] and seen["fresh"] is fresh and seen["cache"] == tmp_path
