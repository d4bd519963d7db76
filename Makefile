# Limber: `make run` sets up and starts the bot, `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1

.PHONY: setup index run console test test-all typecheck lint audit lock benchmark evaluate report clean

setup: $(VENV)/.installed

# CPU torch goes in first and pinned: an unpinned install would pull a multi-GB CUDA build.
# requirements.lock pins every other package to the versions the tests ran with.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

# A rebuild is published only when it passes the check set (README "The rebuild check");
# `make index CHECK=` builds without it (a corpus with no check set of its own yet).
CHECK ?= tests/data/eval.jsonl
index: setup
	$(BIN)/python scripts/build_index.py --if-stale $(if $(CHECK),--check $(CHECK))

run: index
	$(BIN)/python -m bot

console: index
	$(BIN)/python -m bot console

# The inner loop leaves out the tests marked slow; `make test-all` (and CI) runs every test.
# Both run in WORKERS processes (pytest-xdist); WORKERS=0 runs in this one.
WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -n $(WORKERS) -m "not slow"

test-all: setup
	$(BIN)/python -m pytest -n $(WORKERS)

lint: setup typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over bot/, index/, limber/ and scripts/ (pyproject.toml [tool.mypy]).
typecheck: setup
	$(BIN)/python -m mypy

# Known vulnerabilities in the locked dependencies: exit 1 when any is found, 2 when some
# (or all) packages could not be audited (scripts/audit.py says which).
audit: setup
	$(BIN)/python scripts/audit.py requirements.lock

# Re-pin after changing dependencies in pyproject.toml.
lock: setup
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock

evaluate: index
	$(BIN)/python scripts/evaluate.py tests/data/eval.jsonl --ablation --curve

# What went unanswered in the last week (DAYS=30 for a month; HTML=report.html for the page).
DAYS ?= 7
report: setup
	$(BIN)/python -m bot report --days $(DAYS) $(if $(HTML),--html $(HTML))

benchmark: index
	$(BIN)/python scripts/benchmark.py

clean:
	rm -rf var/index .pytest_cache .ruff_cache
