# The doors everyone uses: make run, make test, make lint, make bench.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export FLASK_APP := wsgi.py

.PHONY: run test pytest lint bench translations extract-messages install install-test chromium wrk load clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Compiles the Swedish catalogue (the .mo files are build output, not kept in git).
translations: install
	@$(BIN)/pybabel compile -f -d portal/translations

## Re-extracts the marked strings and merges them into the Swedish catalogue.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-output \
	  -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations

## Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## wrk, the load generator of the server bench (Debian's package).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the server bench"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

run: translations
	@mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask load-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install-test translations chromium
	$(BIN)/pytest $(PYTEST_ARGS)

## The suite alone, once `make test` has installed what it needs (.ci/run runs two at once).
pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

## Style, and the boundaries between the packages (the contracts in pyproject.toml).
lint: install-test
	$(BIN)/ruff check portal tests bench migrations/env.py
	$(BIN)/ruff format --check portal tests bench
	$(BIN)/lint-imports

## In-process figures, then the server bench (`make bench BENCH_ARGS=server` for that alone).
bench: install-test translations wrk
	$(BIN)/python -m bench $(BENCH_ARGS)

$(VENV)/.installed-load: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[load]'
	@touch $@

## Simulated suppliers against gunicorn, PostgreSQL and Redis; every acknowledged save must be
## stored (LOAD_USERS, LOAD_SECONDS, BENCH_DATABASE_URL, LOAD_REDIS_URL: see bench/load.py).
load: $(VENV)/.installed-load translations
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) instance .pytest_cache
