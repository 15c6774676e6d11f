"""Freshness and quarantine counts per source, read from a lake the real ingestion wrote
(hand-written exports, one cross-file duplicate quarantined), and shown in the report."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date

import pytest

from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import ingest_partition
from orchestration.report import build_report
from orchestration.report.lake_status import read_lake_status
from tests.paths import HANDMADE_LANDING

D1, D2 = date(2024, 3, 1), date(2024, 3, 2)


@pytest.fixture()
def handmade_lake(tmp_path):
    landing = tmp_path / "landing"
    for source in ("google_ads", "meta_ads"):
        shutil.copytree(HANDMADE_LANDING / source, landing / source)
    folder = landing / "google_ads" / D2.isoformat()
    shutil.copyfile(folder / "search_stream.json", folder / "search_stream_copy.json")  # one duplicate record
    lake = Lake(tmp_path / "lake")
    reports = [
        ingest_partition(source=source, day=day, landing_dir=landing, lake=lake)
        for source in ("google_ads", "meta_ads")
        for day in (D1, D2)
    ]
    (lake.root / "raw" / "meta_ads" / "report_date=2024-03-03").mkdir()  # no manifest: not published, not counted
    return lake, reports


def test_lake_status_counts_rows_and_reasons(handmade_lake):
    lake, reports = handmade_lake
    status = read_lake_status(lake.root)
    assert sorted(status) == ["google_ads", "meta_ads"]
    google, meta = status["google_ads"], status["meta_ads"]
    assert (google.partitions, google.first_report_date, google.last_report_date) == (2, D1, D2)
    assert meta.partitions == 2 and meta.last_report_date == D2
    assert google.rows_quarantined == 1 and google.partitions_with_rejects == 1
    assert google.records_read == google.rows_loaded + google.rows_quarantined
    assert google.records_read == sum(r.records_read for r in reports[:2])
    assert meta.rows_quarantined == 0 and not meta.reasons
    ((reason, count),) = google.reasons.items()
    assert count == 1 and reason.startswith("duplicate of google_ads/2024-03-02/search_stream.json record 1")
    assert google.last_ingested_at and google.last_ingested_at.startswith("20")


def test_missing_lake_is_empty(tmp_path):
    assert read_lake_status(tmp_path / "nowhere") == {}


def test_report_shows_quarantine_counts_and_reasons(handmade_lake, built, tmp_path):
    lake, _ = handmade_lake
    report = build_report(built.analyst_db, tmp_path / "r.html", lake_dir=lake.root)
    page = report.path.read_text()
    fig = json.loads(re.search(r'data-figure="quarantine_by_source">(.*?)</script>', page, re.S).group(1))
    (trace,) = fig["data"]
    got = dict(zip(trace["x"], trace["y"], strict=True))
    assert got["google_ads"] == 1 and got["meta_ads"] == 0
    assert "Top reject reasons" in page and "duplicate of google_ads/2024-03-02/search_stream.json record 1" in page
