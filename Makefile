# adwh — the two commands of the README: `make demo` (main job) and `make test` (tests).
# Both create the virtual environment in .venv/ from the lock file when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.adwh-installed
SPARK_STAMP := $(VENV)/.adwh-spark-installed
BENCH_STAMP := $(VENV)/.adwh-bench-installed

.PHONY: demo test test-fast lint lint-py lint-sql lint-defs venv venv-spark venv-bench dev lock clean docs report benchmark bench

demo: $(STAMP)
	$(BIN)/adwh demo

# The linters, then every test on two workers (one test file per worker at a time: the
# module-scoped warehouses are built once). CI runs exactly this (.ci/run). The Spark tests
# (tests/spark/) need the `spark` extra (installed here) and Java from the OS.
test: lint $(SPARK_STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

# The inner loop: unit tests + every dbt unit test (models built empty), well under 2 minutes.
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile tests/unit tests/dbt_unit

lint: lint-py lint-sql lint-defs

lint-py: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# sqlfluff renders the models with dbt's templater (needs only paths, no data; dbt opens an
# empty DuckDB file in data/lint/, so the folder must exist).
lint-sql: $(STAMP)
	mkdir -p $(CURDIR)/data/lint
	ADWH_LAKE_DIR=$(CURDIR)/data/lint/lake ADWH_WAREHOUSE=$(CURDIR)/data/lint/warehouse.duckdb \
		$(BIN)/sqlfluff lint dbt_project

# Loads every module of orchestration/defs/ the way Dagster does.
lint-defs: $(STAMP)
	ADWH_DATA_DIR=$(CURDIR)/data/lint VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH \
		$(BIN)/dg check defs

venv: $(STAMP)

# The optional `spark` extra (dbt-spark[session], pyspark) on top of the default install:
# requirements-spark.lock pins only what it adds. `make demo` never installs it.
venv-spark: $(SPARK_STAMP)

$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock
	touch $(SPARK_STAMP)

# The optional `bench` extra (ChannelAttribution, matplotlib) for `adwh bench`:
# requirements-bench.lock pins only what it adds.
venv-bench: $(BENCH_STAMP)

$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $(BENCH_STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "adwh needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The Dagster UI on http://127.0.0.1:3000 with the same persistent instance `adwh run` uses.
# Stops on SIGTERM (and Ctrl-C) within seconds: `exec` replaces the recipe's shell by dagster,
# so the SIGTERM that make forwards to its child reaches `dagster dev` itself, which stops its
# webserver, daemon and code servers. `dagster dev` handles SIGTERM like SIGINT, so an ignored
# SIGINT inherited from a background start (`make dev &` in a script) would make it ignore
# SIGTERM too: the python wrapper restores SIGINT's default before exec'ing dagster.
# DAGSTER_GRPC_SHUTDOWN_GRACE_PERIOD: the code servers give calls in flight 10 s, not Dagster's
# default 60 s, so a stop during a schedule tick still ends within seconds (deploy/systemd/).
# DEV_HOST / DEV_PORT / DEV_HOME override the address and the instance (tests/deploy/).
DEV_HOST ?= 127.0.0.1
DEV_PORT ?= 3000
DEV_HOME ?= $(CURDIR)/data/dagster_home
dev: $(STAMP)
	mkdir -p $(DEV_HOME) && cp -n dagster.yaml $(DEV_HOME)/dagster.yaml || true
	DAGSTER_HOME=$(DEV_HOME) DAGSTER_GRPC_SHUTDOWN_GRACE_PERIOD=10 exec $(BIN)/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		$(BIN)/dagster dev -h $(DEV_HOST) -p $(DEV_PORT)

# dbt docs site (every model, column, seed, source, the report's exposure, semantic models and
# metrics; lineage): generated against the built warehouse into dbt_project/target/, then served
# on http://127.0.0.1:$(DOCS_PORT) only (Ctrl-C stops it). Run `make demo` first for the catalog.
DOCS_PORT ?= 8080
DBT_DOCS_ENV = ADWH_LAKE_DIR=$(CURDIR)/data/lake ADWH_WAREHOUSE=$(CURDIR)/data/warehouse.duckdb
docs: $(STAMP)
	cd dbt_project && $(DBT_DOCS_ENV) ../$(BIN)/dbt docs generate --profiles-dir .. --project-dir .
	@echo "dbt docs on http://127.0.0.1:$(DOCS_PORT) (Ctrl-C stops)"
	cd dbt_project && $(DBT_DOCS_ENV) ../$(BIN)/dbt docs serve --profiles-dir .. --project-dir . \
		--host 127.0.0.1 --port $(DOCS_PORT) --no-browser

# The static, offline HTML report of the analyst snapshot -> <data dir>/report.html (docs/report.md),
# opened in the desktop's browser when there is one.
report: $(STAMP)
	$(BIN)/adwh report
	@out="$${ADWH_DATA_DIR:-data}/report.html"; \
	if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && command -v xdg-open >/dev/null 2>&1; then xdg-open "$$out"; \
	elif [ "$$(uname)" = Darwin ]; then open "$$out"; \
	else echo "open $$out in a browser"; fi

# Speed/memory of the data-driven attribution on 1M synthetic journeys -> data/benchmark/attribution.md
benchmark: $(STAMP)
	$(BIN)/adwh benchmark --journeys 1000000

# Re-resolve the pinned dependency tree (needs the venv for uv).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf data dbt_project/target dbt_project/logs

# The performance benchmark (docs/benchmarks.md): BENCH_TIER=tiny|small|medium, data under
# data/bench/<tier>/, the page rewritten in docs/. Installs the optional `bench` extra first
# (ChannelAttribution and the chart).
BENCH_TIER ?= small
bench: $(BENCH_STAMP)
	$(BIN)/adwh bench --tier $(BENCH_TIER) --out data/bench/$(BENCH_TIER) --docs docs/benchmarks.md
