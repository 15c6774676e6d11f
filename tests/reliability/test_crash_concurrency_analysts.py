"""Crash safety, concurrency and the analyst snapshot, with real `adwh` processes.

Synchronisation is by files and messages only: a process pauses at a documented test
hook (orchestration/testhooks.py) and writes a file; the test waits for that file (or for
the dbt subprocess and the warehouse's write-ahead log), then kills the process group
with SIGKILL or releases it. No sleeps are tuned to timing.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from tests.reliability.helpers import (
    END,
    START,
    assert_same_tables,
    dbt_log_of,
    lock_is_free,
    make_workspace,
    read_tables,
)

pytestmark = pytest.mark.e2e


def _lock(ws):
    return ws.warehouse.with_name(ws.warehouse.name + ".run.lock")


def _run_statuses(ws) -> list[tuple]:
    instance = DagsterInstance.from_config(str(ws.home))
    try:
        records = instance.get_run_records()
        return sorted((r.start_time or 0, r.end_time or 0, r.dagster_run.status, r.dagster_run.run_id) for r in records)
    finally:
        instance.dispose()


def test_sigkill_during_ingestion_then_rerun_equals_clean_run(tmp_path, generated_landing, clean_run):
    _, reference = clean_run
    ws = make_workspace(tmp_path, generated_landing)
    point = "ingest:meta_ads:2024-01-01"
    proc = ws.start(
        "run",
        "--start",
        START.isoformat(),
        "--end",
        END.isoformat(),
        log="killed",
        extra_env={"ADWH_TEST_PAUSE_AT": point},
    )
    paused = ws.hooks / "paused-ingest_meta_ads_2024-01-01"
    proc.wait_until(paused.exists, "ingestion paused after writing meta_ads 2024-01-01")
    proc.kill_group()

    # the kill left: the lock free, the written partition complete, nothing published
    assert lock_is_free(_lock(ws))
    assert (ws.lake / "raw" / "meta_ads" / "report_date=2024-01-01" / "_manifest.json").exists()
    assert not (ws.lake / "raw" / "meta_ads" / "report_date=2024-01-02").exists()
    assert not ws.analyst.exists()

    rerun = ws.run(log="rerun")
    assert rerun.popen.returncode == 0, rerun.output()[-4000:]
    assert "had died" in rerun.err.read_text()  # the killed run was marked failed
    assert_same_tables(read_tables(ws.analyst), reference)
    assert_same_tables(read_tables(ws.warehouse), reference)
    statuses = [s[2] for s in _run_statuses(ws)]
    assert statuses == [DagsterRunStatus.FAILURE, DagsterRunStatus.SUCCESS]


def test_sigkill_during_dbt_then_rerun_equals_clean_run(tmp_path, generated_landing, clean_run):
    _, reference = clean_run
    ws = make_workspace(tmp_path, generated_landing)
    proc = ws.start("run", "--start", START.isoformat(), "--end", END.isoformat(), log="killed")

    def dbt_is_writing() -> bool:
        """dbt build is running and has committed at least one table (mid-build)."""
        log = dbt_log_of(proc, ws.env)
        if log is None or not log.exists():
            return False
        text = log.read_text(errors="replace")
        committed = "OK created sql table model" in text or "OK created sql incremental model" in text
        return committed and any("dbt" in c and " build " in c for c in proc.descendants_cmdlines())

    proc.wait_until(dbt_is_writing, "dbt build writing the warehouse")
    proc.kill_group()
    assert not proc.descendants_cmdlines(), "dbt survived the kill"
    assert "Finished dbt command" not in proc.output()

    assert lock_is_free(_lock(ws))
    con = duckdb.connect(str(ws.warehouse))  # DuckDB's own lock is released, the WAL replays
    con.close()
    assert not ws.analyst.exists()

    # Without releasing the dead run's pool slot this re-run would wait forever
    # ("Step blocked by limit for pool adwh_warehouse").
    rerun = ws.run(log="rerun")
    assert rerun.popen.returncode == 0, rerun.output()[-4000:]
    assert "had died" in rerun.err.read_text()
    assert_same_tables(read_tables(ws.analyst), reference)
    assert_same_tables(read_tables(ws.warehouse), reference)


def _restate_google_ads(ws, day: date, extra_impressions: int) -> None:
    folder = ws.landing / "google_ads" / day.isoformat()
    path = sorted(folder.glob("*.json"))[0]
    batches = json.loads(path.read_text())
    metrics = batches[0]["results"][0]["metrics"]
    metrics["impressions"] = str(int(metrics.get("impressions", "0")) + extra_impressions)
    path.write_text(json.dumps(batches))


def _google_impressions(rows_by_table, day: date) -> int:
    return sum(r[1] for r in rows_by_table if r[0] == day)


def test_two_runs_queue_and_analysts_read_the_last_complete_run(tmp_path, generated_landing, clean_run):
    _, reference = clean_run
    ws = make_workspace(tmp_path, generated_landing)
    first = ws.run(log="first")
    assert first.popen.returncode == 0, first.output()[-4000:]
    published = read_tables(ws.analyst)
    assert_same_tables(published, reference)
    sql = (
        "select report_date, sum(impressions) from marts.fct_ad_performance_daily "
        "where platform = 'google_ads' group by 1 order by 1"
    )
    before = ws.query(sql)
    assert before.returncode == 0, before.stderr

    # a restatement of 2024-01-02 lands; run A (the nightly) and run B (a backfill) start together
    _restate_google_ads(ws, END, 1000)
    a = ws.start(
        "run",
        "--start",
        START.isoformat(),
        "--end",
        END.isoformat(),
        log="a",
        extra_env={"ADWH_TEST_PAUSE_AT": "publish"},
    )
    a.wait_until((ws.hooks / "paused-publish").exists, "run A built the warehouse and is about to publish")
    b = ws.start("run", "--start", END.isoformat(), "--end", END.isoformat(), log="b")
    b.wait_until(lambda: "waiting for the warehouse lock" in b.err.read_text(), "run B queued behind run A")

    # During the run: the warehouse holds A's new build, analysts still see the last complete run.
    during = ws.query(sql)
    assert during.returncode == 0, during.stderr
    assert during.stdout == before.stdout
    assert_same_tables(read_tables(ws.analyst), published)  # any DuckDB client, read-only
    for write in (
        "create table marts.scratch as select 1 as x",
        "delete from marts.fct_ad_performance_daily",
        "insert into marts.fct_ad_performance_daily select * from marts.fct_ad_performance_daily",
    ):
        refused = ws.query(write)
        assert refused.returncode == 2 and "read-only" in refused.stderr, refused.stderr
    with pytest.raises(duckdb.Error, match="read-only"):
        con = duckdb.connect(str(ws.analyst), read_only=True)
        try:
            con.execute("drop table marts.fct_ad_performance_daily")
        finally:
            con.close()

    (ws.hooks / "release-publish").write_text("")
    assert a.wait() == 0, a.output()[-4000:]
    assert b.wait() == 0, b.output()[-4000:]

    # both succeeded, one after the other (B started after A ended: they queued)
    runs = _run_statuses(ws)
    assert [r[2] for r in runs] == [DagsterRunStatus.SUCCESS] * 3
    assert runs[1][1] <= runs[2][0], runs

    # the restatement replaced the old value everywhere downstream (not added next to it)
    after = ws.query(sql)
    old = dict(line.split(",") for line in before.stdout.strip().splitlines()[1:])
    new = dict(line.split(",") for line in after.stdout.strip().splitlines()[1:])
    assert int(float(new[END.isoformat()])) == int(float(old[END.isoformat()])) + 1000
    assert new[START.isoformat()] == old[START.isoformat()]
    fct_rows = len(read_tables(ws.analyst)["marts.fct_ad_performance_daily"])
    assert fct_rows == len(reference["marts.fct_ad_performance_daily"])
    assert lock_is_free(_lock(ws))
