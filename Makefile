# One entry point for people and CI. Everything installs into .venv/ with pinned versions.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PACKAGES := -e services/core -e services/api -e services/ingest -e services/devstack -e clients/python

.PHONY: setup run test test-unit lint bench bench-throughput bench-formats clean tools

setup: $(STAMP)

$(STAMP): constraints.txt requirements-dev.txt services/*/pyproject.toml clients/python/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		$(PACKAGES) -r requirements-dev.txt
	@touch $@

tools: setup
	@bash scripts/install-tools.sh

## run: the whole service on loopback with embedded defaults (Ctrl-C stops it)
run: setup
	@exec $(BIN)/python -m ingest_devstack

## test: lint, then unit, integration (real Redis, SeaweedFS, Celery) and end-to-end tests
test: setup tools lint
	$(BIN)/python -m pytest

test-unit: setup
	$(BIN)/python -m pytest tests/unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy services clients tests bench

bench: setup
	$(BIN)/python -m bench.quality.run
	$(BIN)/python -m bench.dedup.run

## bench-throughput: the real stack over HTTP (ARGS='--quick' smoke run, '--docs N', '--long')
bench-throughput: setup
	$(BIN)/python -m bench.throughput $(ARGS)

## bench-formats: documents/s and CPU ms per document of each upload format, offline (ARGS='--docs N')
bench-formats: setup
	$(BIN)/python -m bench.formats $(ARGS)

clean:
	rm -rf var/run var/test
