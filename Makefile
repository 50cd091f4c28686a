# Every target sets up its own environment in .venv (only Python >= 3.11 and make are needed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed
LAB_STAMP  := $(VENV)/.lab-installed
SCALE  ?= quick
# Test processes (pytest-xdist): the suite is compile-bound and mostly single-threaded.
WORKERS ?= 2

.PHONY: test test-slow test-all figures bench bench-quick lint clean docs docs-full lab

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n $(WORKERS) -m "not slow"

test-slow: $(DOCS_STAMP) $(LAB_STAMP)  # the slow tier: docs build, browser check, notebook kernels
	$(PY) -m pytest -q -n $(WORKERS) -m slow

test-all: $(DOCS_STAMP) $(LAB_STAMP)
	$(PY) -m pytest -q -n $(WORKERS)

figures: $(STAMP)
	$(PY) -m paper_figures --scale $(SCALE)

bench: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) -m bench

bench-quick: $(STAMP)  # JSON on stdout (CI checks it parses)
	@OPENBLAS_NUM_THREADS=1 $(PY) -m bench --quick --json

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,docs]'
	touch $(DOCS_STAMP)

$(LAB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,lab]'
	touch $(LAB_STAMP)

docs: $(DOCS_STAMP)  # offline HTML in docs/_build/html; notebooks shown without executing them
	$(PY) -m sphinx -b html -W --keep-going docs docs/_build/html

docs-full: $(DOCS_STAMP)  # the same, executing every notebook while building
	NB_EXECUTION_MODE=force $(PY) -m sphinx -E -b html -W --keep-going docs docs/_build/html

lab: $(LAB_STAMP)  # JupyterLab on notebooks/: the .py files open as notebooks, paired with .ipynb
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) \
	  --ServerApp.contents_manager_class=jupytext.TextFileContentsManager \
	  --ContentsManager.formats=ipynb,py:percent

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .cache docs/_build docs/notebooks/generated
