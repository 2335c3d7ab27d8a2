# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= data/demo.duckdb
PORT ?= 8501
DEMO_VISITS ?= 1000000
# DuckDB's share of the app: keeps the app under 2 GB at 100M visits (README, Performance)
DUCKDB_MEMORY ?= 1GB
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-fast lint browser-deps services-deps check setup demo bench screenshots clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "PeakEnd needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || { echo "Installing python3-venv"; \
		apt-get install -y -qq python3-venv >/dev/null || \
		{ echo "Please install python3-venv (sudo apt-get install python3-venv)"; exit 1; }; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

$(DB): | $(BIN)/.installed
	$(BIN)/python -m peakend demo --visits $(DEMO_VISITS) --seed 7 --out $(DB)

demo: $(DB)

run: $(BIN)/.installed $(DB)
	PEAKEND_DB=$(DB) PEAKEND_DUCKDB_MEMORY_LIMIT=$(DUCKDB_MEMORY) $(BIN)/python -m peakend serve --port $(PORT)

# The browser tests need Debian's Chromium and CJK fonts (Playwright can't download its own
# browser here); the brief's PDFs need pango (WeasyPrint) and their tests poppler-utils
# (pdftoppm, pdftotext): installed when we run as root, else the one command to run is named.
BROWSER_DEBS := chromium fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0
browser-deps:
	@if [ -x $(CHROMIUM) ] && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' && command -v pdftoppm >/dev/null \
		&& command -v pdftotext >/dev/null && ldconfig -p | grep -q libpangoft2-1.0; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's $(BROWSER_DEBS) for the browser and PDF tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_DEBS) >/dev/null; \
	else \
		echo "The browser and PDF tests need Chromium, CJK fonts, pango and poppler. Run: sudo apt-get install -y $(BROWSER_DEBS)"; \
		echo "(or 'make test-fast' for the suite without the browser tests)"; exit 1; \
	fi

# The DuckLake tests run on a temporary Postgres cluster started by the fixtures
# (tests/services.py): Debian's postgresql, installed when we run as root, else the one
# command to run is named. Their S3 server (moto) comes from requirements-dev.txt.
services-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's postgresql for the DuckLake tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "The DuckLake tests need Postgres (initdb, pg_ctl). Run: sudo apt-get install -y postgresql"; \
		echo "(or 'make test-fast', where they skip)"; exit 1; \
	fi

# The house rules, before any test: the import boundaries of peakend/ (.importlinter:
# Streamlit only in the UI modules, DuckDB only in the warehouse, features apart), ruff
# (lint and format) and mypy on peakend/ (pyproject.toml), sqlfluff on queries/ (.sqlfluff).
lint: $(BIN)/.installed
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check peakend
	$(BIN)/ruff format --check peakend
	$(BIN)/mypy
	$(BIN)/sqlfluff lint queries --processes 2

# PYTHONDONTWRITEBYTECODE (set on some machines) would make pytest rewrite every test
# module's asserts again in each worker on every run: about 19 s of a 47 s collection.
test: $(BIN)/.installed lint browser-deps services-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2

# Everything but the browser tests, for a quick round while working.
test-fast: $(BIN)/.installed lint
	PYTHONDONTWRITEBYTECODE= PEAKEND_TEST_FAST=1 $(BIN)/python -m pytest -n 2 -m "not browser"

# Every rollup of the database against the visits (README, "Checking a database").
check: $(BIN)/.installed
	$(BIN)/python -m peakend check --db $(DB)

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DB) $(DB).wal
