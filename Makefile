# dojang: two commands on a fresh clone. `make demo` runs the story, `make test` checks everything.
# Each sets up what it needs by itself: a virtual environment with the locked dependencies.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

CHAIN_STAMP := node_modules/.installed

.PHONY: demo test lint types layers unit bench lock clean chain-tools contract

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# solc and anvil from npm (package-lock.json pins them); anvil's binary ships in its platform package.
$(CHAIN_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

chain-tools: $(CHAIN_STAMP)

# Rebuild contracts/LogAnchor.json with the pinned solc (a test checks the committed one matches).
contract: $(STAMP) $(CHAIN_STAMP)
	$(BIN)/python tools/build_contract.py

demo: $(STAMP)
	rm -rf demo-out
	$(BIN)/dojang demo --out demo-out

test: $(STAMP) $(CHAIN_STAMP) lint types layers
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools

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
	rm -rf $(VENV) node_modules demo-out build *.egg-info src/*.egg-info
