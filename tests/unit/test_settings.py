"""Settings from the environment: defaults, validation with the variable named."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.defs.schedules import nightly_run_request
from orchestration.settings import ALL_SOURCES, Settings, SettingsError


def test_defaults_under_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({})
    assert s.landing_dir == tmp_path / "data" / "landing"
    assert s.lake_dir == tmp_path / "data" / "lake"
    assert s.warehouse == tmp_path / "data" / "warehouse.duckdb"
    assert s.reporting_currency == "USD"
    assert s.start_date == date(2024, 1, 1)
    assert s.sources == ALL_SOURCES
    assert s.restatement_days == 28


def test_explicit_paths_are_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({"ADWH_LAKE_DIR": "rel/lake", "ADWH_SOURCES": "ga4, google_ads"})
    assert s.lake_dir == tmp_path / "rel" / "lake" and s.lake_dir.is_absolute()
    assert s.sources == ("google_ads", "ga4")  # canonical order


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"ADWH_SOURCES": "google_ads,tiktok"}, "ADWH_SOURCES"),
        ({"ADWH_REPORTING_CURRENCY": "usd"}, "ADWH_REPORTING_CURRENCY"),
        ({"ADWH_START_DATE": "01/01/2024"}, "ADWH_START_DATE"),
        ({"ADWH_RESTATEMENT_DAYS": "0"}, "ADWH_RESTATEMENT_DAYS"),
        ({"ADWH_DBT_TARGET": "postgres"}, "ADWH_DBT_TARGET"),
    ],
)
def test_invalid_settings_name_the_variable(env, variable):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(env)


def test_nightly_run_request_covers_restatement_window():
    s = Settings.from_env({"ADWH_RESTATEMENT_DAYS": "28", "ADWH_DATA_DIR": "/tmp/x"})
    request = nightly_run_request(s, date(2024, 3, 29))
    assert request.tags["dagster/asset_partition_range_start"] == "2024-03-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2024-03-28"
    assert request.run_key == "nightly-2024-03-29"


def test_nightly_run_request_clipped_to_start_date():
    s = Settings.from_env({"ADWH_START_DATE": "2024-03-20", "ADWH_DATA_DIR": "/tmp/x"})
    request = nightly_run_request(s, date(2024, 3, 29))
    assert request.tags["dagster/asset_partition_range_start"] == "2024-03-20"
    skip = nightly_run_request(s, date(2024, 3, 20))
    assert not hasattr(skip, "tags")  # a SkipReason: no report dates yet
