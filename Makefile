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

.PHONY: venv install run install-test browser-deps chromium test screenshots lint docs bench clean

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

install-test: $(VENV)/.installed-test browser-deps

# Test dependencies, and the example plugin of the plugin author guide once it exists.
$(VENV)/.installed-test: $(VENV)/.installed $(EXAMPLE_PLUGIN_FILES)
	$(BIN)/python -m pip install -q -e '.[test]' $(PLUGIN_EDITABLES) \
	  $$(if [ -f tests/example_plugin/setup.cfg ]; then printf ' -e %s' tests/example_plugin; fi)
	touch $@

# The sources compiled to bytecode first: the suite starts a few hundred `prodmanager` processes,
# and with PYTHONDONTWRITEBYTECODE set (as on CI machines) each would compile every module it imports
# again (compileall writes the files whatever that variable says; imports still read them).
test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m compileall -q -j 0 prodmanager plugins migrations tests > /dev/null
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests (tests/browser) drive Debian's Chromium through Playwright (never a browser that
# Playwright downloads) and inject axe-core, the npm package, into the pages.
CHROMIUM ?= /usr/bin/chromium
AXE_VERSION ?= 4.14.1
NPM_DIR := .cache/npm
AXE_STAMP := $(NPM_DIR)/.axe-core-$(AXE_VERSION)

browser-deps: chromium $(AXE_STAMP)

# As root (a container, CI) the Debian package is installed when it is missing; otherwise, or when
# apt-get fails, say so loudly: the browser tests then skip, and fail in CI (CI=true).
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium package for the browser tests"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
	    || echo "*** WARNING: apt-get could not install chromium: the browser tests will not run (they fail with CI=true)" >&2; \
	else \
	  echo "*** WARNING: $(CHROMIUM) is missing: install Debian's chromium package (apt-get install chromium) or the browser tests will not run (they fail with CI=true)" >&2; \
	fi

$(AXE_STAMP):
	@mkdir -p $(NPM_DIR)
	@if command -v npm >/dev/null; then \
	  npm install --prefix $(NPM_DIR) --no-audit --no-fund --no-save --loglevel=error axe-core@$(AXE_VERSION) && touch $@ \
	    || echo "*** WARNING: npm could not install axe-core@$(AXE_VERSION): the browser tests will not run (they fail with CI=true)" >&2; \
	else \
	  echo "*** WARNING: npm is missing: install it (apt-get install npm) or the browser tests will not run (they fail with CI=true)" >&2; \
	fi

# Rewrites the screenshots of docs/images (used by docs/user-guide.md) from the browser tests.
screenshots: install-test
	PM_TEST_SCREENSHOTS=1 $(BIN)/python -m pytest -n 0 -q tests/browser

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
	  tests/example_plugin/build tests/example_plugin/*.egg-info .pytest_cache .ruff_cache .cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
