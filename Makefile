# Set-up and development tasks. `make run` and `make test` are all a new user needs (README.md).

VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8080
PYTEST_ARGS ?= -n auto

BIN := $(VENV)/bin
# The plugins folder changes when a plugin is added or removed, so a new plugin triggers an install
# even when its files are older than the stamp; a changed setup.cfg or pyproject.toml does too.
PLUGIN_FILES := $(wildcard plugins) $(wildcard plugins/*/setup.cfg plugins/*/pyproject.toml)
EXAMPLE_PLUGIN_FILES := $(wildcard tests/example_plugin/setup.cfg tests/example_plugin/pyproject.toml)

.PHONY: venv install run install-test test lint docs bench clean

venv: $(BIN)/python

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "ProdManager needs Python >= 3.11; run: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(VENV)/.installed

# "-e plugins/x" for every first-party plugin folder (one with a setup.cfg), found by the shell at
# each run. Every pip run names them all: pip does not let an installed development version
# (1.0.0.dev0) satisfy another package's requirement, but it takes the ones named on its command line.
PLUGIN_EDITABLES = $$(for dir in plugins/*/; do if [ -f "$${dir}setup.cfg" ]; then printf ' -e %s' "$${dir%/}"; fi; done)

$(VENV)/.installed: $(BIN)/python setup.py setup.cfg pyproject.toml $(PLUGIN_FILES)
	$(BIN)/python -m pip install -q -e . $(PLUGIN_EDITABLES)
	touch $@

run: install
	$(BIN)/prodmanager serve --config development.ini --host $(HOST) --port $(PORT)

install-test: $(VENV)/.installed-test

# Test dependencies, and the example plugin of the plugin author guide once it exists.
$(VENV)/.installed-test: $(VENV)/.installed $(EXAMPLE_PLUGIN_FILES)
	$(BIN)/python -m pip install -q -e '.[test]' $(PLUGIN_EDITABLES) \
	  $$(if [ -f tests/example_plugin/setup.cfg ]; then printf ' -e %s' tests/example_plugin; fi)
	touch $@

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The benchmark (docs/performance.md); not part of `make test`. BENCH_ARGS, e.g.
# BENCH_ARGS="--sizes medium,large --backends sqlite --duration 5".
BENCH_ARGS ?= --sizes medium,large --backends sqlite,postgresql --duration 10

bench: install
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -q wrk >/dev/null; \
	  else echo "make bench needs wrk: sudo apt-get install wrk (Debian/Ubuntu) or brew install wrk" >&2; exit 1; fi; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

$(VENV)/.installed-docs: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install -q 'mkdocs-material>=9.5,<10'
	touch $@

docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) site build dist *.egg-info plugins/*/build plugins/*/*.egg-info \
	  tests/example_plugin/build tests/example_plugin/*.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
