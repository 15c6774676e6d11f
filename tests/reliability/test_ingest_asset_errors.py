"""The ingest asset turns every error into a partition failure naming source, date and
cause (never a bare traceback), redacts secrets, and writes the other partitions."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg

import orchestration.defs.ingest as ingest_defs
from orchestration.defs.partitions import daily_partitions
from orchestration.ingestion.lake import Lake
from orchestration.settings import Settings
from tests.paths import HANDMADE_LANDING

E2E_LANDING = HANDMADE_LANDING
TOKEN = "EAAGfakeMetaAccessToken0123456789ZZ"


def _settings(tmp_path: Path) -> Settings:
    shutil.copytree(E2E_LANDING, tmp_path / "landing")
    return Settings.from_env(
        {
            "ADWH_DATA_DIR": str(tmp_path / "data"),
            "ADWH_LANDING_DIR": str(tmp_path / "landing"),
            "ADWH_LAKE_DIR": str(tmp_path / "lake"),
            "ADWH_START_DATE": "2024-01-01",
        }
    )


def _materialize(settings: Settings, source: str):
    asset = ingest_defs.build_ingest_asset(source, settings, daily_partitions(settings))
    return dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": "2024-03-01", "dagster/asset_partition_range_end": "2024-03-02"},
        raise_on_error=False,
    )


def _failure_message(result) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures
    return failures[0].step_failure_data.error.message


def test_unexpected_error_names_source_date_and_cause(tmp_path, monkeypatch):
    settings = _settings(tmp_path)
    real = ingest_defs.ingest_partition

    def flaky(*, source, day, landing_dir, lake):
        if day == date(2024, 3, 1):
            raise OSError(28, "No space left on device")
        return real(source=source, day=day, landing_dir=landing_dir, lake=lake)

    monkeypatch.setattr(ingest_defs, "ingest_partition", flaky)
    result = _materialize(settings, "mailchimp")
    assert not result.success
    message = _failure_message(result)
    assert "mailchimp 2024-03-01: unexpected OSError" in message and "No space left on device" in message
    # the other partition was written
    assert Lake(settings.lake_dir).is_complete("mailchimp", date(2024, 3, 2))
    assert not Lake(settings.lake_dir).is_complete("mailchimp", date(2024, 3, 1))


def test_failure_messages_are_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("ADWH_META_ACCESS_TOKEN", TOKEN)
    settings = _settings(tmp_path)
    bad = settings.landing_dir / "meta_ads" / "2024-03-01" / "zz_error.json"
    bad.write_text('{"error": {"message": "Invalid OAuth access token ' + TOKEN + '", "code": 190}}')
    result = _materialize(settings, "meta_ads")
    assert not result.success
    message = _failure_message(result)
    assert "zz_error.json" in message and "***" in message and TOKEN not in message
    for event in result.all_events:
        assert TOKEN not in str(event.message or "")
