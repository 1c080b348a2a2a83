# Two commands: `make demo` and `make test`. Each creates .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,bench,dist,serve]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/stagematch demo --out out/demo

# The documentation site, offline, into out/site (the generated pages are refreshed first).
docs: $(STAMP)
	$(BIN)/python -m stagematch.schema docs
	$(BIN)/python -m stagematch.serve.openapi docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) out build dist .pytest_cache .mypy_cache .ruff_cache
