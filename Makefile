# Every target sets up its own environment in .venv (only Python >= 3.11 and make are needed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SCALE  ?= quick

.PHONY: test test-all figures bench bench-quick lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-all: $(STAMP)
	$(PY) -m pytest -q

figures: $(STAMP)
	$(PY) -m paper_figures --scale $(SCALE)

bench: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) -m bench

bench-quick: $(STAMP)  # JSON on stdout (CI checks it parses)
	@OPENBLAS_NUM_THREADS=1 $(PY) -m bench --quick --json

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .cache
