"""Landing writes: atomic on a file system, one PUT on S3 (a real S3-compatible server on
loopback), identical content untouched, and ingest reading an s3:// landing folder."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import ingest_partition
from orchestration.pull import landing
from orchestration.pull.landing import REPLACED, UNCHANGED, WRITTEN, write_landing_file
from orchestration.settings import Settings, SettingsError
from tests.pull import data
from tests.pull.s3 import clear_fsspec_cache, list_keys, s3_server

DAY = date(2024, 3, 3)
BUCKET = "adwh-landing"


def _mailchimp_export() -> bytes:
    from orchestration.pull.http import dumps

    return dumps([{"reports": data.mailchimp_reports(), "total_items": 2}])


def test_local_write_is_atomic_and_skips_identical_content(tmp_path, monkeypatch):
    status, path = write_landing_file(tmp_path, "mailchimp", DAY, "a.json", b"one")
    assert status == WRITTEN and path.read_bytes() == b"one"
    mtime = path.stat().st_mtime_ns
    assert write_landing_file(tmp_path, "mailchimp", DAY, "a.json", b"one")[0] == UNCHANGED
    assert path.stat().st_mtime_ns == mtime

    renames = []
    real_replace = os.replace
    monkeypatch.setattr(
        landing.os, "replace", lambda a, b: renames.append((Path(a).name, Path(b).name)) or real_replace(a, b)
    )
    assert write_landing_file(tmp_path, "mailchimp", DAY, "a.json", b"two")[0] == REPLACED
    ((temp_name, final_name),) = renames
    assert temp_name.startswith(".a.json.") and temp_name.endswith(".tmp") and final_name == "a.json"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    write_landing_file(tmp_path, "mailchimp", DAY, "a.json", b"old")

    def broken(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(landing.os, "replace", broken)
    with pytest.raises(OSError):
        write_landing_file(tmp_path, "mailchimp", DAY, "a.json", b"new")
    folder = tmp_path / "mailchimp" / DAY.isoformat()
    assert (folder / "a.json").read_bytes() == b"old"
    assert [p.name for p in folder.iterdir()] == ["a.json"]


def test_s3_landing_write_and_ingest(tmp_path, monkeypatch):
    with s3_server(BUCKET) as env:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        clear_fsspec_cache()
        settings = Settings.from_env({"ADWH_DATA_DIR": str(tmp_path), "ADWH_LANDING_DIR": f"s3://{BUCKET}/landing"})
        assert str(settings.landing_dir) == f"s3://{BUCKET}/landing"
        export = _mailchimp_export()
        assert write_landing_file(settings.landing_dir, "mailchimp", DAY, "mailchimp_us21.json", export)[0] == WRITTEN
        assert write_landing_file(settings.landing_dir, "mailchimp", DAY, "mailchimp_us21.json", export)[0] == UNCHANGED
        assert list_keys(env, BUCKET) == {"landing/mailchimp/2024-03-03/mailchimp_us21.json": export}

        lake = Lake(tmp_path / "lake")
        first = ingest_partition(source="mailchimp", day=DAY, landing_dir=settings.landing_dir, lake=lake)
        assert (first.status, first.records_read, first.rows_loaded) == ("ingested", 2, 2)
        assert (
            ingest_partition(source="mailchimp", day=DAY, landing_dir=settings.landing_dir, lake=lake).status
            == "unchanged"
        )
        missing = ingest_partition(
            source="mailchimp", day=date(2024, 3, 1), landing_dir=settings.landing_dir, lake=lake
        )
        assert missing.status == "missing"
    clear_fsspec_cache()


def test_a_lake_on_object_storage_is_refused_with_the_reason(tmp_path):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"ADWH_DATA_DIR": str(tmp_path), "ADWH_LAKE_DIR": "s3://bucket/lake"})
    assert "httpfs" in str(caught.value) and "ADWH_LANDING_DIR may be an s3://" in str(caught.value)
