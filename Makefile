# Two commands: `make demo` (install, run the main job) and `make test` (install, run tests).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test validate lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tumorsim demo --out results/demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs/tools scripts
	$(BIN)/mypy src/tumorsim
	$(BIN)/pytest

validate: $(STAMP)
	$(BIN)/tumorsim validate --out results/validate

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py --patients 100000 --years 20 --seed 1 --out docs/performance.md
	$(BIN)/python benchmarks/bench_solvers.py --out docs/performance.md

clean:
	rm -rf $(VENV) results
