# dayafter: two commands set everything up on a fresh machine (Python >= 3.11, pip, make).
#   make run   prints the comparison of the built-in northern-iraq scenarios, then starts the workbench
#              (dayafter serve on 127.0.0.1; it prints the address, no browser needed)
#   make test  runs the whole test suite (after `make deps`: the Debian and npm packages the tests
#              need, installed when run as root, otherwise named; the tests that need them then skip)
# and for the edit-test loop:
#   make test-fast  ruff and the tests not marked slow or e2e (under 2 minutes on 2 cores)
#   make test-long  the long statistical runs (marked long) whose short versions make test runs
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# compiled test modules (and their rewritten asserts) are cached between runs even where the shell
# sets PYTHONDONTWRITEBYTECODE: about 10 CPU-s of every run's collection on 2 workers
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test test-fast test-long deps docs typecheck lint bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,mip,distributed,report,web,docs]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/dayafter plan compare --case northern-iraq --all-scenarios
	$(BIN)/dayafter serve --case northern-iraq

# pytest's exit 5 (no test collected) fails on purpose: a run that tests nothing is not a pass
PYTEST_RUN = rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; exit $$rc

deps:
	bash tools/setup-system.sh

# mypy over all of src/dayafter as configured in pyproject.toml ([tool.mypy]: the files, and the
# strict per-module section for the core and the engines)
typecheck: $(STAMP)
	$(BIN)/mypy

# worksteal: a worker that runs out of tests takes the other's pending ones, so one long test at
# the end of a queue does not leave a core idle
XDIST = -n 2 --dist worksteal

# everything but the long statistical runs (marked long: their short versions run here)
test: $(STAMP) deps
	$(BIN)/ruff check src tests bench tools
	$(BIN)/lint-imports
	$(MAKE) typecheck
	$(BIN)/python -m pytest $(XDIST) -m "not long" $(PYTEST_ARGS); $(PYTEST_RUN)

test-long: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m long $(PYTEST_ARGS); $(PYTEST_RUN)

# the fast loop: no slow or browser tests; --durations shows any test that creeps up, and the
# conftest names unmarked tests over 10 s (mark them slow)
test-fast: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not e2e" --durations=5 $(PYTEST_ARGS); $(PYTEST_RUN)

# the API reference from the docstrings; --strict: a broken reference or a bad docstring fails it
docs: $(STAMP)
	cp CHANGELOG.md docs/changelog.md
	$(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python bench/metrics.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
