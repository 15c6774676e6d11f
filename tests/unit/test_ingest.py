"""ingest_partition: counts add up, unchanged inputs are skipped, bad files fail the partition
without touching the published one, duplicates across files are quarantined."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pyarrow.parquet as pq
import pytest

from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import IngestError, ingest_partition
from tests.paths import HANDMADE_LANDING

FIXTURES = HANDMADE_LANDING
DAY = date(2024, 3, 2)


@pytest.fixture()
def landing(tmp_path):
    target = tmp_path / "landing" / "google_ads" / DAY.isoformat()
    shutil.copytree(FIXTURES / "google_ads" / DAY.isoformat(), target)
    return tmp_path / "landing"


def test_ingest_counts_and_lineage(landing, tmp_path):
    lake = Lake(tmp_path / "lake")
    report = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    assert report.status == "ingested"
    # search_stream.json: 1 record; ui_report.csv: 2 data lines (+2 Total lines, ignored)
    assert (report.records_read, report.rows_loaded, report.rows_quarantined) == (3, 3, 0)
    assert {f.name: f.records_read for f in report.files} == {"search_stream.json": 1, "ui_report.csv": 2}
    table = pq.read_table(lake.raw_dir("google_ads", DAY) / "ad_stats.parquet")
    assert sorted(table.column("source_file").to_pylist()) == [
        "google_ads/2024-03-02/search_stream.json",
        "google_ads/2024-03-02/ui_report.csv",
        "google_ads/2024-03-02/ui_report.csv",
    ]
    assert lake.row_count("google_ads", DAY, "rejects") == 0


def test_unchanged_inputs_are_skipped_and_changes_reingested(landing, tmp_path):
    lake = Lake(tmp_path / "lake")
    first = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    write_id = lake.read_manifest("google_ads", DAY)["write_id"]
    again = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    assert again.status == "unchanged"
    assert (again.records_read, again.rows_loaded) == (first.records_read, first.rows_loaded)
    assert lake.read_manifest("google_ads", DAY)["write_id"] == write_id  # nothing rewritten

    (landing / "google_ads" / DAY.isoformat() / "ui_report.csv").unlink()  # restated: the CSV is gone
    third = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    assert third.status == "ingested" and third.rows_loaded == 1
    assert lake.row_count("google_ads", DAY, "ad_stats") == 1


def test_unparseable_file_fails_partition_and_keeps_old_version(landing, tmp_path):
    lake = Lake(tmp_path / "lake")
    ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    (landing / "google_ads" / DAY.isoformat() / "search_stream.json").write_text('[{"results": [{"customer"')
    with pytest.raises(IngestError) as excinfo:
        ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    message = str(excinfo.value)
    assert "google_ads/2024-03-02/search_stream.json" in message and "line 1" in message
    assert lake.row_count("google_ads", DAY, "ad_stats") == 3  # the previous version is intact


def test_duplicate_across_files_is_quarantined(landing, tmp_path):
    folder = landing / "google_ads" / DAY.isoformat()
    shutil.copyfile(folder / "search_stream.json", folder / "search_stream_copy.json")
    lake = Lake(tmp_path / "lake")
    report = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    assert (report.records_read, report.rows_loaded, report.rows_quarantined) == (4, 3, 1)
    rejects = pq.read_table(lake.quarantine_dir("google_ads", DAY) / "rejects.parquet").to_pylist()
    assert rejects[0]["source_file"] == "google_ads/2024-03-02/search_stream_copy.json"
    assert "duplicate of google_ads/2024-03-02/search_stream.json record 1" in rejects[0]["reject_reason"]
    assert json.loads(rejects[0]["raw_record"])["ad_id"] == "40001"


def test_missing_folder_and_empty_folder(tmp_path):
    lake = Lake(tmp_path / "lake")
    landing = tmp_path / "landing"
    assert ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake).status == "missing"
    (landing / "google_ads" / DAY.isoformat()).mkdir(parents=True)
    (landing / "google_ads" / DAY.isoformat() / "notes.txt").write_text("hello")
    report = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    assert report.status == "ingested" and report.records_read == 0
    assert any("notes.txt" in w for w in report.warnings)
    assert lake.row_count("google_ads", DAY, "ad_stats") == 0 and lake.is_complete("google_ads", DAY)


def test_rows_without_names_are_loaded_with_one_warning_per_file(tmp_path):
    """A query that selects no names (only ids, currency, measures) must not empty the platform."""
    from tests.paths import PARSER_FIXTURES

    day = date(2024, 3, 5)
    folder = tmp_path / "landing" / "google_ads" / day.isoformat()
    folder.mkdir(parents=True)
    fixture = PARSER_FIXTURES / "google_ads" / "search_stream_ids_only_2024-03-05.json"
    shutil.copyfile(fixture, folder / "a.json")
    document = json.loads(fixture.read_text())
    for result in document[0]["results"]:  # the same rows for another account
        result["customer"]["id"] = "9999999999"
    (folder / "b.json").write_text(json.dumps(document))
    lake = Lake(tmp_path / "lake")
    report = ingest_partition(source="google_ads", day=day, landing_dir=tmp_path / "landing", lake=lake)
    assert (report.records_read, report.rows_loaded, report.rows_quarantined) == (6, 6, 0)
    name_warnings = [w for w in report.warnings if "NULL" in w]
    assert len(name_warnings) == 2  # one per file, not one per row
    assert name_warnings[0].startswith("a.json: ") and name_warnings[1].startswith("b.json: ")
    assert all("campaign.name (3)" in w for w in name_warnings)
    table = pq.read_table(lake.raw_dir("google_ads", day) / "ad_stats.parquet")
    assert table.column("campaign_name").null_count == 6 and table.column("customer_name").null_count == 6
    assert sum(table.column("impressions").to_pylist()) == 2 * 21_704
