"""`adwh bench --tier tiny` end to end (the CI smoke test of issue 11; no timing is asserted).

Checks the report's structure, that the rows the benchmark measured in the lake are the records
the sample generator writes for the same tier (generated again here, independently of the
benchmark's own data), and that the DuckDB-SQL floor's fact rows equal the dbt fact's on the same
landing files (read here from the warehouse and the floor's Parquet, not from the report)."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from orchestration.bench.floor import DOUBLE_COLUMNS, FACT_COLUMNS
from orchestration.bench.tiers import START, TIERS
from orchestration.cli import main
from orchestration.registry import ALL_SOURCES
from orchestration.sample.generate import generate

pytestmark = pytest.mark.e2e

TIER = TIERS["tiny"]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    mp = pytest.MonkeyPatch()
    mp.setenv("ADWH_DATA_DIR", str(root / "data"))
    out = root / "out"
    docs = root / "docs" / "benchmarks.md"
    try:
        assert main(["bench", "--tier", "tiny", "--out", str(out), "--docs", str(docs)]) == 0
    finally:
        mp.undo()
    report = json.loads((out / "bench-report.json").read_text())
    return {"root": root, "out": out, "docs": docs, "report": report}


def test_report_has_every_measurement(bench):
    report = bench["report"]
    assert report["tier"]["name"] == "tiny"
    assert set(report["histories"]) == {str(TIER.short_days), str(TIER.long_days)}
    for history in report["histories"].values():
        backfill = history["backfill"]
        assert set(backfill["per_source"]) == set(ALL_SOURCES)
        assert backfill["wall_seconds"] > 0 and backfill["peak_rss_bytes"] > 0
        for kind in ("nightly_unchanged", "nightly_restated"):
            run = history[kind]
            assert len(run["repeats"]) == TIER.repeats
            assert run["report_dates"][1] == (START + timedelta(days=history["history_days"])).isoformat()
            assert set(run["phases"]["ingest_per_source"]) == set(ALL_SOURCES)
            assert run["phases"]["publish_seconds"] > 0
            # dbt's own run_results.json was found: every model of the fact chain is timed
            assert "fct_ad_performance_daily" in run["dbt"]["models"] and run["dbt"]["tests_count"] > 0
    long = report["histories"][str(TIER.long_days)]
    assert "fct_ad_performance_daily" in long["full_rebuild"]["dbt"]["models"]
    assert long["floor"]["rows"] > 0
    exact = report["attribution"]["exact_markov"]
    assert abs(sum(exact["shares"].values()) - 1.0) < 1e-9
    names = [t["target"] for t in report["targets"]]
    assert len(names) == 9 and all(t["goal"] for t in report["targets"])
    page = (bench["out"] / "benchmarks.md").read_text()
    assert page == bench["docs"].read_text()
    for name in names:
        assert name in page
    assert "## Nightly run" in page and "## The DuckDB-SQL floor (Google Ads)" in page
    try:
        import matplotlib  # noqa: F401  (the optional bench extra draws the chart)
    except ImportError:
        assert "no chart: matplotlib is not installed" in page
    else:
        assert (bench["out"] / "benchmarks-nightly.png").stat().st_size > 0
        assert "](benchmarks-nightly.png)" in page


def test_measured_rows_are_the_generated_records(bench, tmp_path):
    """Each source's rows in the lake (raw tables + quarantine) after the long backfill are the
    records the generator writes for those days, counted by generating them again."""
    report = bench["report"]
    long = report["histories"][str(TIER.long_days)]
    last = START + timedelta(days=TIER.long_days)  # generated with the new day, as the benchmark does
    summary = generate(tmp_path / "landing", START, last, scale=TIER.scale)
    assert summary.records == long["generated_records"]
    # the backfill covers the history days only: the new day's records are counted separately
    new_day = generate(tmp_path / "new", last, last, scale=TIER.scale)
    # ... as the generator writes a day independently of the range's start (its docstring)
    for source in ALL_SOURCES:
        measured = long["backfill"]["per_source"][source]["rows"]
        expected = summary.records[source] - new_day.records[source]
        assert measured == expected, (source, measured, expected)


def _rows(con, relation: str) -> list[tuple]:
    cells = [f"round({c}, 9)" if c in DOUBLE_COLUMNS else c for c in FACT_COLUMNS]
    return sorted(con.execute(f"select {', '.join(cells)} from {relation}").fetchall(), key=repr)


def test_floor_fact_equals_dbt_fact(bench):
    long = bench["report"]["histories"][str(TIER.long_days)]
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{long['warehouse']}' as wh (read_only)")
        fact = _rows(con, "wh.marts.fct_ad_performance_daily where platform = 'google_ads'")
        floor = _rows(con, f"read_parquet('{long['floor']['output']}')")
    finally:
        con.close()
    assert len(fact) > 0
    assert floor == fact
    assert long["floor"]["comparison"]["equal"] is True
