"""The exploration notebooks: each is executed top to bottom through a real Jupyter kernel.

Every notebook of ``notebooks/`` (jupytext percent format) is converted to a notebook, executed by
nbclient with this environment's ``python3`` kernel (working directory the repository root), and
must finish without an error and leave at least one PNG figure among its outputs. A final cell,
appended here, then moves every slider of every ``ipywidgets.interactive`` control one step,
redraws the theory through the control's own function, and presses every button (the simulation
reruns); a traceback from any of them fails the test.

A static test checks that each notebook has controls (ipywidgets) and plots theory lines
(``plot``/``loglog``/``semilogy``) over simulation markers (``errorbar``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
NAMES = [p.stem for p in NOTEBOOKS]
FAST = "regression_collapse"  # the one executed in the non-slow tier

EXERCISE = """
import ipywidgets as _widgets
import matplotlib.pyplot as _plt

def _step(w):
    if hasattr(w, "options"):
        values = [o[1] if isinstance(o, tuple) else o for o in w.options]
        i = values.index(w.value)
        w.value = values[i + 1 if i + 1 < len(values) else i - 1]
    elif isinstance(w, (_widgets.FloatSlider, _widgets.IntSlider)):
        w.value = w.value + w.step if w.value + w.step <= w.max else w.value - w.step
    elif isinstance(w, _widgets.FloatLogSlider):
        up = w.value * w.base ** w.step
        w.value = up if up <= w.base ** w.max else w.value / w.base ** w.step

_controls = [v for v in list(globals().values()) if isinstance(v, _widgets.interactive)]
_buttons = [v for v in list(globals().values()) if isinstance(v, _widgets.Button)]
for _c in _controls:
    for _w in _c.kwargs_widgets:
        _step(_w)
    _c.f(**_c.kwargs)
    _plt.close("all")
for _b in _buttons:
    _b.click()
    _plt.close("all")
print("controls", len(_controls), "buttons", len(_buttons))
"""


def _execute(path: Path, monkeypatch) -> tuple[object, float]:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("ipywidgets")
    import nbformat

    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(EXERCISE))
    # The kernel inherits this environment: the inline backend (so figures become outputs), the
    # suite's XLA flags and its compilation cache directory.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    cache = os.environ.get("COLLAPSE_JAX_CACHE") or str(ROOT / ".cache" / "jax-tests")
    monkeypatch.setenv("COLLAPSE_JAX_CACHE", cache)
    client = nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def _outputs(cells) -> list:
    return [o for c in cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _check(nb) -> None:
    errors = [o for o in _outputs(nb.cells) if o.output_type == "error"]
    assert not errors, "\n".join("\n".join(o.traceback) for o in errors)
    # figures of the notebook itself, not of the appended cell that moves the controls
    images = [o for o in _outputs(nb.cells[:-1]) if "image/png" in o.get("data", {})]
    assert images, "the notebook drew no figure"
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    counts = re.search(r"controls (\d+) buttons (\d+)", last)
    assert counts and int(counts[1]) >= 1 and int(counts[2]) >= 1, last


def test_every_notebook_is_listed():
    assert set(NAMES) == {"fitting", "keeping_real_data", "more_loops", "regression_collapse",
                          "verification", "zipf_tails"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_has_controls_and_plots_theory_over_simulation(path):
    source = path.read_text()
    assert "ipywidgets" in source and "interactive(" in source and "Button(" in source
    assert re.search(r"\.(plot|loglog|semilogy|semilogx)\(", source), "no theory line"
    assert ".errorbar(" in source, "no simulation markers"
    assert not re.search(r"THEORY", source), "cite the paper, not a private map"


def test_fast_notebook_executes_in_a_kernel(monkeypatch):
    nb, _ = _execute(ROOT / "notebooks" / f"{FAST}.py", monkeypatch)
    _check(nb)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != FAST],
                         ids=[n for n in NAMES if n != FAST])
def test_notebook_executes_in_a_kernel(path, monkeypatch):
    nb, _ = _execute(path, monkeypatch)
    _check(nb)
