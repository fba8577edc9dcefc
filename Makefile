# Two front doors: `make serve` runs the app, `make test` runs everything CI runs.
# Both do all set-up on a fresh machine (virtualenv, install, database build).

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install build serve dev test test-fast lint fmt schema browser-deps vendor clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# setuptools' editable build prints a generic notice about same-named folders on every
	@# install (the app/ folder is the package): keep the set-up output to what matters.
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

build: install
	$(BIN)/reward-atlas build

serve: install
	$(BIN)/reward-atlas serve --host $(HOST) --port $(PORT)

# While editing data/taxonomy/: each saved change is rebuilt and served (a broken edit keeps
# the last good data and shows its problems on every page).
dev: install
	$(BIN)/reward-atlas serve --reload --host $(HOST) --port $(PORT)

# Browser tests drive the system's Chromium (Debian package `chromium`); install it if missing.
browser-deps:
	@sh scripts/ensure-chromium.sh

test: install browser-deps
	$(BIN)/reward-atlas validate
	$(BIN)/reward-atlas fmt --check
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not browser"

lint: install
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/ruff format --check app tests benchmarks

fmt: install
	$(BIN)/reward-atlas fmt

schema: install
	$(BIN)/reward-atlas schema

vendor:
	sh scripts/vendor.sh

bench: install
	$(BIN)/python benchmarks/build_bench.py

clean:
	rm -rf var test-artifacts .pytest_cache
