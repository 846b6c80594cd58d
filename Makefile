# Every target creates .venv when it is missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test typecheck lint bench bench-full reliability soak demo screenshots check-chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[demo]'
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-screenshots: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[screenshots]'
	touch $@ $(VENV)/.installed-demo $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/paperboy run

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks --sizes 10000,100000

bench-full: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks --sizes 10000,100000,1000000

# Runs the reliability tests and rewrites RELIABILITY.md with what they measured.
reliability: $(VENV)/.installed-test
	PAPERBOY_RELIABILITY_REPORT=1 $(BIN)/python -m pytest tests/test_reliability_*.py

soak: $(VENV)/.installed-test
	PAPERBOY_SOAK=1 $(BIN)/python -m pytest -m soak

# The real bot in a simulated Discord, shown at the address it prints; Ctrl-C stops it.
# DEMO_PORT=8765 picks the port (default: any free one).
DEMO_PORT ?= 0
demo: $(VENV)/.installed-demo
	@$(BIN)/python -m demo --port $(DEMO_PORT)

# Rewrites the PNGs under docs/ from the demo; needs Chromium (CHROMIUM=/path to choose).
CHROMIUM ?= $(firstword $(foreach name,chromium chromium-browser google-chrome google-chrome-stable,$(shell command -v $(name) 2>/dev/null)))
screenshots: check-chromium $(VENV)/.installed-screenshots
	$(BIN)/python -m demo.screenshots --chromium "$(CHROMIUM)"

check-chromium:
	@test -n "$(CHROMIUM)" || { echo "make screenshots needs Chromium and found none. Install it (Debian/Ubuntu: sudo apt-get install chromium) or name it: make screenshots CHROMIUM=/path/to/chromium" >&2; exit 2; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
