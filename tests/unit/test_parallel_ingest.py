"""Partitions ingested side by side in worker processes equal those ingested one by one
(orchestration/ingestion/parallel.py), errors still name their partition, and unchanged
partitions never start a worker."""

from __future__ import annotations

import gzip
import os
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.ingestion import parallel
from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import IngestError, ingest_partition, pending_bytes
from orchestration.sample.generate import generate
from orchestration.settings import SettingsError

START = date(2024, 3, 1)
DAYS = [START + timedelta(days=n) for n in range(4)]
SOURCES = ("ga4", "google_ads")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("parallel") / "landing"
    generate(root, DAYS[0], DAYS[-1], sources=SOURCES)
    return root


def _contents(lake: Lake, source: str, day: date) -> dict[str, list[dict]]:
    """Every Parquet table of the partition (raw and quarantine), as rows."""
    tables = {}
    for folder in (lake.raw_dir(source, day), lake.quarantine_dir(source, day)):
        for path in sorted(folder.glob("*.parquet")) if folder.exists() else []:
            tables[f"{folder.parent.parent.name}/{path.name}"] = pq.read_table(path).to_pylist()
    return tables


def _ingest(lake: Lake, landing: Path, source: str, workers: int) -> tuple[dict, dict]:
    """Ingest DAYS the way the ingest asset does: started days from their futures, the rest here."""
    reports, errors = {}, {}
    with parallel.parallel_ingest(source=source, days=DAYS, landing_dir=landing, lake=lake, workers=workers) as started:
        for day in DAYS:
            try:
                report = (
                    started[day].result()
                    if day in started
                    else ingest_partition(source=source, day=day, landing_dir=landing, lake=lake)
                )
            except IngestError as exc:
                errors[day] = str(exc)
                continue
            reports[day] = (report.status, report.records_read, report.rows_loaded, report.rows_quarantined)
    return reports, {"started": sorted(started), **({"errors": errors} if errors else {})}


@pytest.mark.parametrize("source", SOURCES)
def test_parallel_equals_serial(tmp_path, landing, source, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)  # sample files are small: make it pay
    serial, together = Lake(tmp_path / "serial"), Lake(tmp_path / "parallel")
    serial_reports, serial_info = _ingest(serial, landing, source, workers=1)
    parallel_reports, parallel_info = _ingest(together, landing, source, workers=2)
    assert serial_info == {"started": []}
    assert parallel_info == {"started": DAYS}  # every day went to a worker
    assert parallel_reports == serial_reports
    assert all(status == "ingested" and read > 0 for status, read, _, _ in serial_reports.values())
    for day in DAYS:
        assert _contents(together, source, day) == _contents(serial, source, day), day
        assert together.read_manifest(source, day)["fingerprint"] == serial.read_manifest(source, day)["fingerprint"]

    # a second run: every partition is current, so nothing is started and nothing rewritten
    assert all(pending_bytes(source=source, day=day, landing_dir=landing, lake=together) == 0 for day in DAYS)
    again, info = _ingest(together, landing, source, workers=2)
    assert info == {"started": []}
    assert {status for status, *_ in again.values()} == {"unchanged"}


def test_a_failing_partition_is_named_and_the_others_are_written(tmp_path, landing, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    broken_landing = tmp_path / "landing"
    for day in DAYS:
        (broken_landing / "ga4" / day.isoformat()).mkdir(parents=True)
        for path in (landing / "ga4" / day.isoformat()).iterdir():
            (broken_landing / "ga4" / day.isoformat() / path.name).write_bytes(path.read_bytes())
    bad_day = DAYS[2]
    bad_file = next((broken_landing / "ga4" / bad_day.isoformat()).glob("*.gz"))
    bad_file.write_bytes(bad_file.read_bytes()[:-40])  # a truncated gzip stream fails the whole file
    lake = Lake(tmp_path / "lake")
    reports, info = _ingest(lake, broken_landing, "ga4", workers=2)
    assert info["started"] == DAYS
    assert set(info["errors"]) == {bad_day}
    message = info["errors"][bad_day]
    assert "ga4" in message and bad_day.isoformat() in message and bad_file.name in message
    assert sorted(reports) == [day for day in DAYS if day != bad_day]
    assert lake.read_manifest("ga4", bad_day) is None  # nothing half-written
    assert all(lake.read_manifest("ga4", day) for day in reports)


def test_too_little_to_parse_stays_in_process(tmp_path, landing):
    # what is to parse is counted uncompressed (GA4 exports are gzip)
    for day in DAYS:
        files = list((landing / "ga4" / day.isoformat()).iterdir())
        assert files and all(path.name.endswith(".gz") for path in files)
        expected = sum(len(gzip.decompress(path.read_bytes())) for path in files)
        assert pending_bytes(source="ga4", day=day, landing_dir=landing, lake=Lake(tmp_path)) == expected
    # the sample days are far below PARALLEL_MIN_BYTES: no worker is started
    reports, info = _ingest(Lake(tmp_path / "lake"), landing, "ga4", workers=2)
    assert info == {"started": []} and len(reports) == len(DAYS)


def test_ingest_workers_setting():
    assert parallel.ingest_workers({"ADWH_INGEST_WORKERS": "3"}) == 3
    assert parallel.ingest_workers({}) == len(os.sched_getaffinity(0))
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(SettingsError, match="ADWH_INGEST_WORKERS"):
            parallel.ingest_workers({"ADWH_INGEST_WORKERS": bad})
