"""The DuckDB-SQL floor: ``floor_google_ads.sql`` run on the landing files, timed, and its
result compared with the dbt fact built by the pipeline from the same files.

The floor is what the engine alone costs for the Google Ads rows of the unified fact (the
source with both a JSON and a CSV format): DuckDB's JSON and CSV readers, the seeds' channel
mapping and FX rates, no Python parsing, no validation, no dbt, no Dagster. Its rows must equal
the pipeline's: the comparison (both directions of ``EXCEPT``, doubles rounded to 1e-9) makes
the floor an honest lower bound, not a different computation.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from orchestration.settings import REPO_ROOT

SQL_PATH = Path(__file__).with_name("floor_google_ads.sql")
FACT_COLUMNS = (
    "report_date",
    "platform",
    "channel",
    "account_id",
    "account_name",
    "account_timezone",
    "campaign_id",
    "campaign_name",
    "campaign_type",
    "ad_group_id",
    "ad_group_name",
    "ad_id",
    "currency",
    "spend",
    "spend_reporting",
    "impressions",
    "clicks",
    "all_clicks",
    "conversions_click_through",
    "conversions_view_through",
    "conversion_value_click_through",
)
DOUBLE_COLUMNS = (
    "spend",
    "spend_reporting",
    "conversions_click_through",
    "conversions_view_through",
    "conversion_value_click_through",
)


def floor_sql(landing: Path, *, reporting_currency: str = "USD", max_staleness: int = 7) -> str:
    """The script with its placeholders filled (plain replacement: the SQL has braces of its own)."""
    values = {
        "{landing}": Path(landing).as_posix(),
        "{seeds}": (REPO_ROOT / "seeds").as_posix(),
        "{reporting_currency}": reporting_currency,
        "{max_staleness}": str(int(max_staleness)),
    }
    sql = SQL_PATH.read_text()
    for placeholder, value in values.items():
        sql = sql.replace(placeholder, value)
    return sql


def run_floor(landing: Path, out: Path, *, threads: int = 2, reporting_currency: str = "USD") -> dict:
    """Run the floor on ``landing`` into ``out`` (Parquet); seconds, rows and input bytes."""
    files = [
        *Path(landing).glob("google_ads/*/search_stream_*.json"),
        *Path(landing).glob("google_ads/*/ui_report.csv"),
    ]
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"set threads = {int(threads)}")
        statements = [
            part for part in floor_sql(landing, reporting_currency=reporting_currency).split(";\n") if part.strip()
        ]
        has_csv = any(f.suffix == ".csv" for f in files)
        started = time.perf_counter()
        for statement in statements:
            if "create or replace table floor_csv" in statement and not has_csv:
                # no UI CSV day in the range (DuckDB refuses a glob without files): an empty table
                statement = "create or replace table floor_csv as select * from floor_api limit 0"
            con.execute(statement)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        con.execute(f"copy floor_fact to '{tmp.as_posix()}' (format parquet)")
        seconds = time.perf_counter() - started
        tmp.replace(out)
        (rows,) = con.execute("select count(*) from floor_fact").fetchone()
    finally:
        con.close()
    input_bytes = sum(f.stat().st_size for f in files)
    return {
        "seconds": round(seconds, 3),
        "rows": int(rows),
        "input_files": len(files),
        "input_bytes": input_bytes,
        "rows_per_second": round(rows / seconds, 1) if seconds else None,
        "mb_per_second": round(input_bytes / 1e6 / seconds, 2) if seconds else None,
        "output": str(out),
    }


def _projection(relation: str) -> str:
    cells = [f"round({c}, 9) as {c}" if c in DOUBLE_COLUMNS else c for c in FACT_COLUMNS]
    return f"select {', '.join(cells)} from {relation}"


def compare_with_fact(floor_parquet: Path, warehouse: Path) -> dict:
    """Rows of the floor not in the dbt fact's Google Ads rows and vice versa (0 and 0 = equal)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{Path(warehouse).as_posix()}' as wh (read_only)")
        floor = _projection(f"read_parquet('{Path(floor_parquet).as_posix()}')")
        fact = _projection("wh.marts.fct_ad_performance_daily where platform = 'google_ads'")
        (only_floor,) = con.execute(f"select count(*) from ({floor} except all {fact})").fetchone()
        (only_fact,) = con.execute(f"select count(*) from ({fact} except all {floor})").fetchone()
        (fact_rows,) = con.execute(f"select count(*) from ({fact})").fetchone()
    finally:
        con.close()
    return {
        "fact_rows": int(fact_rows),
        "rows_only_in_floor": int(only_floor),
        "rows_only_in_fact": int(only_fact),
        "equal": only_floor == 0 and only_fact == 0,
    }
