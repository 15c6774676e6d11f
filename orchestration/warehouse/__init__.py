"""Dagster-free warehouse helpers: dbt arguments, the run lock, the analyst snapshot, the exact attribution solves."""

# Every asset that opens the DuckDB warehouse for writing runs in this Dagster pool;
# dagster.yaml limits it to one slot, so runs queue instead of failing on the file lock.
WAREHOUSE_POOL = "adwh_warehouse"
