"""The same dbt project on Spark (dbt-spark, session method: in-process PySpark, local) and on
DuckDB, over the same Parquet lake: every mart equal (docs/scale-out.md).

A few days of the sample exports are ingested into a lake; the project is built on both
engines and every mart is compared row by row: integers and text exactly, money to the cent,
ratios and attribution credits to 1e-9. Then a restatement (one day's Google Ads figures
changed, one whole day restated to ZERO rows on every source) is processed by an incremental
Spark run of that window, and its incremental marts must equal a full rebuild of the restated lake: the
zero-row day is the trap of `insert_overwrite` (no partition written -> the old rows would
survive), handled by the spark__adwh_delete_window pre-hook.

On Spark the data-driven weights are written between two dbt selections by
orchestration/warehouse/spark.py (dbt-spark's session target runs no dbt Python model), the
way `adwh run` does it on Spark; all eight attribution models are compared.

The Spark tables are read from the Spark warehouse folder (Parquet, report_date partitions),
the way analysts' engines read them. One module, one JVM at a time (dbt's), so the suite's two
xdist workers never run two JVMs. Skipped only when Java or the `spark` extra is missing.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import ingest_partition
from orchestration.registry import ALL_SOURCES
from orchestration.sample.generate import generate
from orchestration.warehouse.dbt_args import vars_arg, window_vars
from orchestration.warehouse.spark import spark_phases
from tests.dbt.helpers import run_dbt as run_dbt_command
from tests.spark import require_spark

pytestmark = pytest.mark.spark

require_spark()


START = date(2024, 1, 1)
DAYS = 5
END = START + timedelta(days=DAYS - 1)
CHANGED_DAY = date(2024, 1, 3)  # Google Ads figures restated
EMPTY_DAY = date(2024, 1, 4)  # every source restated to zero rows

# Spark builds seeds and models only (time): the data tests and unit tests run on DuckDB (tests/dbt)
NO_TESTS = ["resource_type:test", "resource_type:unit_test"]

# the incremental marts (insert_overwrite by report_date on Spark)
INCREMENTAL = [
    "fct_ad_performance_daily",
    "mart_campaign_performance_daily",
    "mart_conversions_by_touch_type",
    "mart_video_performance_daily",
]
# the incremental intermediate tables (each replaces its window its own way: by report_date, with
# the e-mail differencing's trailing day, or from the window's first day on for GA4)
INCREMENTAL_INTERMEDIATE = [
    "int_meta_ads__conversions_pivoted",
    "int_email__snapshots_differenced",
    "int_ga4__sessions_classified",
    "int_ga4__conversions_deduplicated",
]

# every mart, and the rule-based credits (compared whole, rows sorted)
TABLES = [
    "marts.fct_ad_performance_daily",
    "marts.mart_campaign_performance_daily",
    "marts.mart_conversions_by_touch_type",
    "marts.mart_platform_claims_reconciliation",
    "marts.mart_video_performance_daily",
    "intermediate.int_attribution__credits_rule_based",
    "marts.mart_attribution",
    "marts.mart_attribution_channel_weights",
]


# ----------------------------------------------------------------------------- helpers
def run_dbt(work: Path, target: str, lake: Path, args: list[str]) -> None:
    spark_env = {"ADWH_SPARK_DIR": str(work / "spark"), "SPARK_LOCAL_IP": "127.0.0.1"}
    result = run_dbt_command(work, lake, work / "warehouse.duckdb", args, target=target, env=spark_env, timeout=900)
    assert result.returncode == 0, (
        f"dbt {' '.join(args)} on {target}:\n" + result.stdout[-8000:] + result.stderr[-3000:]
    )


def build_spark(work: Path, lake: Path, args: list[str]) -> None:
    """dbt on Spark as `adwh run` does it: the build without the weights, the weights solved
    in a process of its own, then what depends on them (orchestration/warehouse/spark.py)."""
    before, after = spark_phases(args)
    run_dbt(work, "spark", lake, before)
    env = dict(os.environ, ADWH_LAKE_DIR=str(lake), ADWH_SPARK_DIR=str(work / "spark"), SPARK_LOCAL_IP="127.0.0.1")
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.warehouse.spark", "weights"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=work,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    run_dbt(work, "spark", lake, after)


def read_duckdb(work: Path, table: str) -> tuple[list[str], list[tuple]]:
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    try:
        rel = con.sql(f"select * from {table}")
        return list(rel.columns), rel.fetchall()
    finally:
        con.close()


def read_spark(work: Path, table: str) -> tuple[list[str], list[tuple]]:
    """A Spark table from its warehouse folder (schema.db/table/, Parquet, hive partitions)."""
    schema, name = table.split(".")
    folder = work / "spark" / "warehouse" / f"{schema}.db" / name
    files = sorted(folder.rglob("*.parquet"))
    assert files, f"no Parquet files under {folder}"
    con = duckdb.connect()
    try:
        rel = con.sql(
            "select * from read_parquet(?, hive_partitioning = true, union_by_name = true)",
            params=[[str(f) for f in files]],
        )
        return list(rel.columns), rel.fetchall()
    finally:
        con.close()


def _key(value):
    return (value is None, str(value) if value is not None else "")


def assert_tables_equal(table: str, left: tuple[list[str], list[tuple]], right: tuple[list[str], list[tuple]]) -> int:
    """Same columns (order-free), same rows: text/dates/integers exactly, floats to 1e-9 relative
    (money columns additionally within half a cent: rounding both to cents could split a sum
    that differs in its 15th digit across a .005 boundary). Returns the row count."""
    left_cols, left_rows = left
    right_cols, right_rows = right
    assert sorted(left_cols) == sorted(right_cols), f"{table}: columns differ: {left_cols} vs {right_cols}"
    order = [right_cols.index(c) for c in left_cols]
    right_rows = [tuple(row[i] for i in order) for row in right_rows]
    assert len(left_rows) == len(right_rows), f"{table}: {len(left_rows)} rows on DuckDB, {len(right_rows)} on Spark"

    def sort_key(row):
        # floats rounded for ordering only (the comparison below is exact / to 1e-9)
        return tuple(_key(round(v, 6) if isinstance(v, float) else v) for v in row)

    for a, b in zip(sorted(left_rows, key=sort_key), sorted(right_rows, key=sort_key)):
        for col, x, y in zip(left_cols, a, b):
            where = f"{table}.{col}: DuckDB {x!r} vs Spark {y!r} in row {a}"
            if x is None or y is None:
                assert x is None and y is None, where
            elif isinstance(x, float) or isinstance(y, float):
                assert math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9), where
                if "spend" in col or "value" in col or col in ("cpc", "cpm", "cpa", "cost_per_view", "revenue"):
                    assert abs(float(x) - float(y)) < 0.005, where  # to the cent
            elif hasattr(x, "isoformat") or hasattr(y, "isoformat"):
                assert str(x) == str(y), where
            else:
                assert x == y, where
    return len(left_rows)


def restate(lake: Path) -> None:
    """CHANGED_DAY: every Google Ads row's clicks + 1; EMPTY_DAY: every raw table of every
    source rewritten with zero rows (the same schema), as a re-export with no activity."""
    for path in (lake / "raw" / "google_ads" / f"report_date={CHANGED_DAY}").glob("*.parquet"):
        table = pq.read_table(path)
        if "clicks" in table.column_names:
            at = table.column_names.index("clicks")
            table = table.set_column(at, table.schema.field(at), pc.add(table.column("clicks"), 1))
            pq.write_table(table, path)
    for source_dir in (lake / "raw").iterdir():
        for path in (source_dir / f"report_date={EMPTY_DAY}").glob("*.parquet"):
            pq.write_table(pq.read_schema(path).empty_table(), path)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("spark_lake")
    landing, lake_dir = root / "landing", root / "lake"
    generate(landing, START, END)
    lake = Lake(lake_dir)
    for source in ALL_SOURCES:
        for offset in range(DAYS):
            ingest_partition(source=source, day=START + timedelta(days=offset), landing_dir=landing, lake=lake)
    return lake_dir


@pytest.fixture(scope="module")
def built(lake, tmp_path_factory) -> dict[str, Path]:
    duck = tmp_path_factory.mktemp("on_duckdb")
    spark = tmp_path_factory.mktemp("on_spark")
    run_dbt(duck, "duckdb", lake, ["build"])
    build_spark(spark, lake, ["build", "--exclude", *NO_TESTS])
    return {"duckdb": duck, "spark": spark}


# ----------------------------------------------------------------------------- tests
def test_marts_equal_on_duckdb_and_spark(built):
    counts = {}
    for table in TABLES:
        counts[table] = assert_tables_equal(
            table, read_duckdb(built["duckdb"], table), read_spark(built["spark"], table)
        )
    # the comparison compared something: every table has rows, every rule-based model is there
    assert all(counts.values()), counts
    _, rows = read_spark(built["spark"], "intermediate.int_attribution__credits_rule_based")
    cols, _ = read_spark(built["spark"], "intermediate.int_attribution__credits_rule_based")
    models = {row[cols.index("model")] for row in rows}
    assert models == {"first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay"}
    cols, rows = read_spark(built["spark"], "marts.mart_attribution")
    assert {row[cols.index("model")] for row in rows} == models | {"markov", "shapley"}


def test_incremental_restatement_on_spark_equals_full_rebuild(built, lake, tmp_path):
    """Restate the lake (a changed day, a day with zero rows on every source) and run the
    incremental marts for that window on Spark, as a nightly does; they must equal a full
    rebuild of the restated lake (on DuckDB, shown equal to Spark's above), the zero-row day
    included. Only the incremental models are run (time): the rest are views or full tables."""
    # the Derby metastore records absolute table locations, so the warehouse is not copied:
    # the incremental run continues the Spark warehouse built above (read by the first test)
    spark_work = built["spark"]
    restated = tmp_path / "lake"
    shutil.copytree(lake, restated)
    restate(restated)

    before = read_spark(spark_work, "marts.mart_campaign_performance_daily")
    dates = {str(row[before[0].index("report_date")]) for row in before[1]}
    assert EMPTY_DAY.isoformat() in dates, "the day restated to zero rows had rows before"

    window = window_vars(CHANGED_DAY, EMPTY_DAY + timedelta(days=1))
    # the nightly as `adwh run` builds it: every model, the incremental ones over the window (the
    # GA4 and Meta intermediate tables they read are rebuilt from the restated lake too)
    build_spark(spark_work, restated, ["build", "--exclude", *NO_TESTS, *vars_arg(window)])

    duck_full = tmp_path / "duckdb_full"
    duck_full.mkdir()
    run_dbt(duck_full, "duckdb", restated, ["build", "--exclude", *NO_TESTS])
    for table in INCREMENTAL:
        assert_tables_equal(table, read_duckdb(duck_full, f"marts.{table}"), read_spark(spark_work, f"marts.{table}"))
    for table in INCREMENTAL_INTERMEDIATE:
        assert_tables_equal(
            table, read_duckdb(duck_full, f"intermediate.{table}"), read_spark(spark_work, f"intermediate.{table}")
        )

    after = read_spark(spark_work, "marts.mart_campaign_performance_daily")
    dates = {str(row[after[0].index("report_date")]) for row in after[1]}
    assert EMPTY_DAY.isoformat() not in dates
    assert CHANGED_DAY.isoformat() in dates
    # the changed day changed: Google Ads clicks of CHANGED_DAY went up by its row count
    cols, rows = after
    clicks = sum(
        r[cols.index("clicks")]
        for r in rows
        if str(r[cols.index("report_date")]) == CHANGED_DAY.isoformat() and r[cols.index("platform")] == "google_ads"
    )
    cols0, rows0 = before
    clicks0 = sum(
        r[cols0.index("clicks")]
        for r in rows0
        if str(r[cols0.index("report_date")]) == CHANGED_DAY.isoformat() and r[cols0.index("platform")] == "google_ads"
    )
    assert clicks > clicks0
