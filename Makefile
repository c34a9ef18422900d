# Two commands on a fresh machine: `make run` and `make test`. Each creates .venv on first use
# and installs vagus with its development extras; a changed pyproject.toml reinstalls.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit bench clean

# The last install is test data only, read in place and never imported: HeartPy's finger PPG with
# motion, e2epyppg's 20 Hz wrist PPG and systole's clean 25-minute 1000 Hz ECG. Without their
# dependencies (matplotlib, torch, tensorflow, ...), which reading a CSV or .npy does not need.
$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "vagus needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps heartpy==1.2.7 e2epyppg==0.0.9 systole==0.3.1
	@touch $(STAMP)

# The web app on http://127.0.0.1:8000 with the default journal (SQLite in the vagus home) and
# the default sensor (the replay of the bundled recording); it prints the address. Ctrl+C stops it.
run: $(STAMP)
	$(BIN)/vagus serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/hrv_vs_neurokit2.py
	$(BIN)/python benchmarks/streaming.py
	$(BIN)/python benchmarks/ecg_vs_peers.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
