"""The instance's pooled SQLite event log (orchestration/instance_storage.py): configured by the
repo's dagster.yaml, stores exactly what Dagster's own SQLite event log reads, keeps a bounded
number of files open, and loses nothing when its process is killed."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.cli import dagster_instance
from orchestration.instance_storage import MAX_OPEN_SHARDS, PooledSqliteEventLogStorage, pooled_instance_ref
from orchestration.settings import Settings
from tests.paths import REPO

DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04")


@dg.asset(partitions_def=DAYS, check_specs=[dg.AssetCheckSpec("positive", asset="daily_count")])
def daily_count(context):
    yield dg.Output(1, metadata={"day": context.partition_key})
    yield dg.AssetCheckResult(passed=True, check_name="positive")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _log_entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=logging.INFO,
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
        step_key=None,
        job_name=None,
        dagster_event=None,
    )


def _summary(storage) -> dict:
    """What the three runs left in an event log, read through Dagster's own SQLite class."""
    key = dg.AssetKey("daily_count")
    records = storage.fetch_materializations(key, limit=10).records
    checks = storage.get_asset_check_execution_history(dg.AssetCheckKey(key, "positive"), limit=20)
    return {
        "partitions": sorted(record.partition_key for record in records),
        "checks": sorted((str(check.partition), check.status.value) for check in checks),
        "run_events": sorted(
            sorted(
                str(entry.dagster_event_type)
                for entry in storage.get_logs_for_run(record.run_id)
                if entry.is_dagster_event
            )
            for record in records
        ),
    }


def _three_runs(instance: dg.DagsterInstance) -> type:
    try:
        for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
            assert dg.materialize([daily_count], instance=instance, partition_key=day).success
        return type(instance.event_log_storage)
    finally:
        instance.dispose()


def test_adwh_instance_uses_it_and_stores_what_dagsters_own_storage_would(home, tmp_path):
    settings = Settings.from_env({"ADWH_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(home)})
    with dagster_instance(settings) as instance:  # what adwh run opens
        assert _three_runs(instance) is PooledSqliteEventLogStorage
    plain_home = tmp_path / "plain_home"  # the same dagster.yaml, opened by Dagster itself
    plain_home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", plain_home / "dagster.yaml")
    assert _three_runs(dg.DagsterInstance.from_config(str(plain_home))) is SqliteEventLogStorage

    readers = [SqliteEventLogStorage(str(folder / "history" / "runs")) for folder in (home, plain_home)]
    try:
        pooled, plain = (_summary(reader) for reader in readers)
    finally:
        for reader in readers:
            reader.dispose()
    assert pooled["partitions"] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert {partition for partition, _ in pooled["checks"]} >= {"2024-01-01", "2024-01-02", "2024-01-03"}
    assert all("RUN_SUCCESS" in " ".join(events) for events in pooled["run_events"])
    assert pooled == plain


def test_only_the_default_sqlite_storage_is_replaced(tmp_path):
    sqlite_home = tmp_path / "sqlite"
    sqlite_home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", sqlite_home / "dagster.yaml")
    ref = pooled_instance_ref(InstanceRef.from_dir(str(sqlite_home)))
    assert (ref.storage_data.module_name, ref.storage_data.class_name) == (
        "orchestration.instance_storage",
        "PooledSqliteStorage",
    )
    postgres_home = tmp_path / "postgres"  # the production instance: PostgreSQL, never touched
    postgres_home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", postgres_home / "dagster.yaml")
    before = InstanceRef.from_dir(str(postgres_home))
    assert before.storage_data.class_name == "DagsterPostgresStorage"
    assert pooled_instance_ref(before) == before


def test_connections_commit_with_synchronous_normal(tmp_path):
    pooled = PooledSqliteEventLogStorage(str(tmp_path / "pooled"))
    plain = SqliteEventLogStorage(str(tmp_path / "plain"))
    try:
        with pooled.index_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        with plain.index_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL, Dagster's default
    finally:
        pooled.dispose()
        plain.dispose()


def test_open_run_shards_are_bounded_and_an_evicted_one_reopens(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    try:
        run_ids = [f"run{i:02d}" for i in range(MAX_OPEN_SHARDS + 4)]
        for run_id in run_ids:
            storage.store_event(_log_entry(run_id, f"hello from {run_id}"))
        assert len(storage._engines) == MAX_OPEN_SHARDS
        assert run_ids[0] not in storage._engines  # least recently used, closed
        storage.store_event(_log_entry(run_ids[0], "again"))
        messages = [entry.user_message for entry in storage.get_logs_for_run(run_ids[0])]
        assert messages == [f"hello from {run_ids[0]}", "again"]
        assert len(storage._engines) == MAX_OPEN_SHARDS
    finally:
        storage.dispose()
    assert storage._engines == {}


def test_events_committed_before_a_kill_survive(tmp_path):
    """The process is SIGKILLed with its connections open (no close, no checkpoint)."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.unit.test_instance_storage import _log_entry
        from orchestration.instance_storage import PooledSqliteEventLogStorage
        storage = PooledSqliteEventLogStorage({str(tmp_path)!r})
        for i in range(50):
            storage.store_event(_log_entry("killed", f"event {{i}}"))
        print("stored", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout.strip() == "stored"
    assert (tmp_path / "killed.db-wal").exists()  # the commits are in the WAL, never checkpointed
    reader = SqliteEventLogStorage(str(tmp_path))
    try:
        messages = [entry.user_message for entry in reader.get_logs_for_run("killed")]
    finally:
        reader.dispose()
    assert messages == [f"event {i}" for i in range(50)]
