#!/bin/sh
# adwh housekeeping (docs/deploy.md, "Logs"): delete what every run leaves behind once it is old.
#   - dbt's folder per dbt invocation, $ADWH_DATA_DIR/dbt/adwh_dbt-<run>-<hash>/ (~15 MB each:
#     manifest copy, compiled SQL, run_results.json, its dbt.log; before 2026-12 they were written
#     to <dbt project>/target/, still pruned here)
#   - Dagster's captured stdout/stderr per run, $DAGSTER_HOME/storage/<run id>/ (the UI's "raw
#     compute logs"; the structured event log stays in PostgreSQL)
# Run daily by adwh-housekeeping.timer as user adwh. Never touches the warehouse, the analyst
# snapshot, the lake, the landing folder, or dbt's own target/manifest.json.
set -eu

ROOT=${ADWH_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
DAGSTER_HOME=${DAGSTER_HOME:-/var/lib/adwh/dagster_home}
ADWH_DATA_DIR=${ADWH_DATA_DIR:-/var/lib/adwh/data}
DBT_RUN_DAYS=${ADWH_KEEP_DBT_RUN_DAYS:-14}
COMPUTE_LOG_DAYS=${ADWH_KEEP_COMPUTE_LOG_DAYS:-30}

prune() {  # prune <folder> <name pattern> <days>
    [ -d "$1" ] || return 0
    find "$1" -mindepth 1 -maxdepth 1 -type d -name "$2" -mtime "+$3" -print -exec rm -rf {} +
}

prune "$ADWH_DATA_DIR/dbt" 'adwh_dbt-*' "$DBT_RUN_DAYS"
prune "$ROOT/dbt_project/target" 'adwh_dbt-*' "$DBT_RUN_DAYS"
prune "$DAGSTER_HOME/storage" '*' "$COMPUTE_LOG_DAYS"
