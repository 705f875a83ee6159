# vsphere-nb — `make demo` and `make test` work on a fresh Debian machine with Python 3.11, as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# two workers (the machine has two cores); a file runs on one worker, so its fixtures are built once
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: install chromium demo test check bench chaos set-repo clean

# the virtualenv, re-installed when pyproject.toml changes
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## demo: start the simulator on the story fleet and JupyterLab on the runbook (vsphere-nb demo --voila: the app)
demo: $(STAMP)
	$(BIN)/vsphere-nb demo

# Debian's chromium for the real-browser tests (Playwright drives it; never `playwright install`)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

## check: lint, format, import contracts (the layering) and types
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## test: the checks, then the whole suite
test: $(STAMP) chromium check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: benchmarks against the simulator → benchmarks/results.md + results.json (about 6 minutes)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

## chaos: the 500-host chaos run (503s, drops, jitter, session expiry, restart, client killed + resumed)
chaos: $(STAMP)
	$(BIN)/python -m benchmarks.chaos

## set-repo: write the repository's GitHub path (REPO=owner/name) into the Binder badges and the project URLs
REPO_FILES := README.md binder/README.md pyproject.toml
set-repo:
	@[[ "$(REPO)" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$$ ]] || { echo "usage: make set-repo REPO=owner/name" >&2; exit 2; }
	@grep -q 'OWNER/REPO' $(REPO_FILES) || { echo "set-repo: no OWNER/REPO placeholder left in $(REPO_FILES)" >&2; exit 2; }
	sed -i 's#OWNER/REPO#$(REPO)#g' $(REPO_FILES)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info
