# adwh — the two commands of the README: `make demo` (main job) and `make test` (tests).
# Both create the virtual environment in .venv/ from the lock file when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.adwh-installed

.PHONY: demo test venv dev lock clean docs benchmark

demo: $(STAMP)
	$(BIN)/adwh demo

test: $(STAMP)
	$(BIN)/pytest

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "adwh needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The Dagster UI on http://127.0.0.1:3000 with the same persistent instance `adwh run` uses.
dev: $(STAMP)
	mkdir -p data/dagster_home && cp -n dagster.yaml data/dagster_home/dagster.yaml || true
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(BIN)/dagster dev -h 127.0.0.1 -p 3000

# dbt docs site (models, columns, lineage) into dbt_project/target/.
docs: $(STAMP)
	cd dbt_project && ADWH_LAKE_DIR=$(CURDIR)/data/lake ADWH_WAREHOUSE=$(CURDIR)/data/warehouse.duckdb \
		../$(BIN)/dbt docs generate --profiles-dir .. --project-dir .

# Speed/memory of the data-driven attribution on 1M synthetic journeys -> data/benchmark/attribution.md
benchmark: $(STAMP)
	$(BIN)/adwh benchmark --journeys 1000000

# Re-resolve the pinned dependency tree (needs the venv for uv).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf data dbt_project/target dbt_project/logs
