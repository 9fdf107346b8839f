# Two commands on a fresh machine (Python 3.11, pip, gcc, make): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKS := $(dir $(wildcard rulesets/*/pack.yaml tests/packs/*/pack.yaml examples/*/src/*/pack/pack.yaml))

.PHONY: demo test fuzz bench bench-1m schemas clean

$(STAMP): pyproject.toml examples/acme-fatigue/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,camera,report]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/site/demo.py

test: $(STAMP)
	$(BIN)/patuh lint $(PACKS)
	$(BIN)/patuh test $(PACKS)
	$(BIN)/python -m pytest

# The property-based tests with many more examples than `make test` runs (tests/conftest.py).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_properties.py

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-enable -m "not slow"

bench-1m: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-enable -m slow

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks

schemas: $(STAMP)
	$(BIN)/python -m patuh.models schemas
