# dojang: two commands on a fresh clone. `make demo` runs the story, `make test` checks everything.
# Each sets up what it needs by itself: a virtual environment with the locked dependencies.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint types layers unit bench lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

demo: $(STAMP)
	rm -rf demo-out
	$(BIN)/dojang demo --out demo-out

test: $(STAMP) lint types layers
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

types: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/dojang bench

# Re-pin the lock after changing dependency ranges in pyproject.toml.
lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml requirements-build.in --extra dev \
		--generate-hashes --python-version 3.11 --universal -o requirements.lock

clean:
	rm -rf $(VENV) demo-out build *.egg-info src/*.egg-info
