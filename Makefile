# Two commands: `make demo` and `make test`. Each creates .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCALES := src/stagematch/locale
CATALOGUES := $(wildcard $(LOCALES)/*/LC_MESSAGES/stagematch.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: demo test lint typecheck pytest docs clean messages fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,bench,dist,serve]"
	touch $(STAMP)

# Translations: the .po files are the source (committed); the .mo files are built from them.
$(LOCALES)/%/LC_MESSAGES/stagematch.mo: $(LOCALES)/%/LC_MESSAGES/stagematch.po $(STAMP)
	$(BIN)/pybabel compile --statistics -D stagematch -i $< -o $@

# After adding or changing marked strings: extract them and merge them into every .po, where the
# new ones wait for their translation (tests/test_i18n.py fails until they have one).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k lazy_text --no-location --sort-output \
		--project stagematch -o $(LOCALES)/stagematch.pot src/stagematch
	$(BIN)/pybabel update -D stagematch -i $(LOCALES)/stagematch.pot -d $(LOCALES) \
		--no-fuzzy-matching --ignore-obsolete
	rm $(LOCALES)/stagematch.pot

demo: $(STAMP) $(COMPILED)
	$(BIN)/stagematch demo --out out/demo

# The documentation site, offline, into out/site (the generated pages are refreshed first).
docs: $(STAMP)
	$(BIN)/python tools/data_format.py docs
	$(BIN)/python -m stagematch.serve.openapi docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(COMPILED)
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck pytest

# The fuzzed loaders at length (1,000 broken datasets per form); make test runs 50 per form.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -n 2 -q tests/io/test_fuzz_loaders.py

clean:
	rm -rf $(VENV) out build dist .pytest_cache .mypy_cache .ruff_cache
