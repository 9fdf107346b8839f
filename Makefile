# Two commands on a fresh machine (Python 3.11, pip, gcc, make): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKS := $(dir $(wildcard rulesets/*/pack.yaml tests/packs/*/pack.yaml examples/*/src/*/pack/pack.yaml))

.PHONY: demo serve test typecheck fuzz bench bench-1m schemas clean system-packages

$(STAMP): pyproject.toml examples/acme-fatigue/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,camera,report,postgresql,serve]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/site/demo.py
	$(BIN)/python examples/zero-accident/demo.py
	$(BIN)/python examples/csms-principal/demo.py
	$(BIN)/python examples/smk3/demo.py

# The HTTP service on the demo's store (make demo first), with the demo's tokens (examples/site/tokens.yaml).
serve: $(STAMP)
	$(BIN)/patuh serve --store sqlite:///examples/site/out/store.db --tokens examples/site/tokens.yaml \
		--evidence examples/site/out/evidence --config examples/site/config.yaml

# Lint, types, every pack through `patuh lint`, then pytest: the suite, every pack's tests as
# items (the built-in packs held to 100 % of their rules) and the benchmarks at their smallest,
# spread over TEST_WORKERS processes (pytest-xdist; TEST_WORKERS=0: one process).
TEST_WORKERS ?= 2
test: $(STAMP) system-packages
	$(BIN)/ruff check engine detectors plugins rulesets schemas tests benchmarks examples
	$(MAKE) --no-print-directory typecheck
	$(BIN)/patuh lint $(PACKS)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --patuh-min-coverage 100

# Debian's Chromium (the audit report's browser test) and PostgreSQL (the store's tests), with
# apt-get when missing; where they cannot be installed those tests skip, saying why.
system-packages:
	@tools/system-packages.sh

# mypy, strict on the engine (settings: [tool.mypy] in pyproject.toml). mypy cannot follow
# setuptools' package-dir mapping, so .typecheck/patuh lays the repo out as the installed package
# in symlinks: each module of engine/, and cli, detectors, plugins, rulesets, schemas.
typecheck: $(STAMP)
	rm -rf .typecheck/patuh
	mkdir -p .typecheck/patuh
	ln -s $(addprefix ../../,$(wildcard engine/*.py) engine/cli engine/migrations detectors plugins rulesets schemas) .typecheck/patuh/
	$(BIN)/python -m mypy

# The property-based tests with many more examples than `make test` runs (tests/conftest.py).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_properties.py

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-enable -m "not slow"

bench-1m: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-enable -m slow

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks .typecheck

schemas: $(STAMP)
	$(BIN)/python -m patuh.models schemas
