# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= data/demo.duckdb
PORT ?= 8501
DEMO_VISITS ?= 1000000
# DuckDB's share of the app: keeps the app under 2 GB at 100M visits (README, Performance)
DUCKDB_MEMORY ?= 1GB

.PHONY: run test setup demo bench screenshots clean

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
	PEAKEND_DB=$(DB) PEAKEND_DUCKDB_MEMORY_LIMIT=$(DUCKDB_MEMORY) $(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DB) $(DB).wal
