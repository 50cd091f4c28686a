"""``python -m bench --json`` prints valid JSON even when results hold NumPy values."""

import json

import jax.numpy as jnp
import numpy as np

import bench
from bench import Result
from bench.__main__ import main


def _fake_result() -> Result:
    return Result("fake", np.float64(0.5), np.float64(2.0), np.bool_(True), {
        "z": np.float64(-1.5), "n": np.int64(7), "curve": np.arange(3.0), "ok": np.bool_(False),
        "jax": jnp.ones(2), "rows": [{"agree": np.bool_(True), "d": np.int32(4)}],
    })


def test_result_as_dict_is_json_serialisable():
    d = json.loads(json.dumps(_fake_result().as_dict()))
    assert d["agree"] is True and d["ok"] is False and d["speedup"] == 4.0
    assert d["n"] == 7 and d["curve"] == [0.0, 1.0, 2.0] and d["jax"] == [1.0, 1.0]
    assert d["rows"] == [{"agree": True, "d": 4}]


def test_cli_json_output_parses(monkeypatch, capsys):
    monkeypatch.setitem(bench.BENCHMARKS, "fake", lambda quick: _fake_result())
    assert main(["fake", "--quick", "--json"]) == 0
    (d,) = json.loads(capsys.readouterr().out)
    assert d["name"] == "fake" and d["agree"] is True and isinstance(d["wall_s"], float)
