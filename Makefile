# Two commands do all the set-up on a fresh machine:
#   make demo   # venv + install + demo corpus + dashboards on http://localhost:5006
#   make test   # venv + install with test extras + the whole test suite (unit, notebooks, browser)
# Also: make bench (benchmarks -> benchmarks/RESULTS.md), make lock (refresh requirements/lock.txt).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5006
ADDRESS ?= localhost
# make demo DATA_DIR=/path/to/recordings  (one folder, or several separated by spaces) adds "Local files"
DATA_DIR ?=
LOCK   := requirements/lock.txt
# Tests keep their caches (demo corpus, streamed data) inside the checkout; the demo build is locked,
# so parallel test workers wait for one build instead of racing.
TEST_ENV := GLUE_CACHE_DIR=$(CURDIR)/.cache/glue MPLBACKEND=Agg
PYTEST_ARGS ?=

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
  PIP_INSTALL = $(BIN)/python -m pip install --disable-pip-version-check -q
else
  PIP_INSTALL = $(UV) pip install -q --python $(BIN)/python
endif

.PHONY: demo test bench install install-test chromium lock clean help

help:
	@sed -n '1,6p' Makefile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCK)
	$(PIP_INSTALL) -c $(LOCK) -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP_INSTALL) -c $(LOCK) -e ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/glue-widgets demo build
	$(BIN)/glue-widgets serve --port $(PORT) --address $(ADDRESS) $(foreach d,$(DATA_DIR),--data-dir "$(d)")

# Debian's chromium for the browser tests; skipped (with the reason printed) where apt cannot run.
chromium:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium could not be installed: browser tests will skip"; \
	else echo "chromium missing and apt-get unavailable (not root): browser tests will skip; run 'sudo apt-get install -y chromium' to enable them"; fi

# pytest's exit code 5 (no tests collected) is a failure here, never a silent pass.
test: install-test chromium
	$(TEST_ENV) $(BIN)/python -m pytest tests notebooks --nbmake --nbmake-timeout=300 $(PYTEST_ARGS); \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

bench: install-test
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done
	$(BIN)/python benchmarks/_record.py

lock:
	uv pip compile pyproject.toml --extra test --extra binder --python-version 3.11 -q -o $(LOCK)
	uv pip compile pyproject.toml --extra binder --python-version 3.11 -q --no-header -o binder/requirements.txt
	sed -i '1i # Pinned runtime + Binder environment, generated from pyproject.toml by `make lock`.' binder/requirements.txt

clean:
	rm -rf $(VENV) .cache test-artifacts
