"""The quarantine-rate check: thresholds from the environment, the rate per partition, a
partition above the fail rate is not written and fails the ingest step, the WARN / blocking
ERROR check results (orchestration/ingestion/quality.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

import orchestration.defs.ingest as ingest_defs
from orchestration.defs.partitions import daily_partitions
from orchestration.ingestion import quality
from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import IngestError, QuarantineRateError, ingest_partition
from orchestration.settings import Settings, SettingsError

DAY = date(2024, 3, 1)
T = quality.QuarantineThresholds()


def _result(ad: int, *, bad: bool = False) -> dict:
    return {
        "customer": {"id": "1111111111", "currencyCode": "USD", "descriptiveName": "Acme"},
        "campaign": {"id": "201", "name": "Brand", "advertisingChannelType": "SEARCH"},
        "adGroup": {"id": "3001", "name": "Exact"},
        "adGroupAd": {"ad": {"id": str(40000 + ad)}},
        "metrics": {"impressions": "12a" if bad else "100", "clicks": "3"},
        "segments": {"date": DAY.isoformat()},
    }


def _landing(root: Path, good: int, bad: int, name: str = "search_stream.json", day: date = DAY) -> Path:
    folder = root / "landing" / "google_ads" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    results = [_result(n) for n in range(good)] + [_result(1000 + n, bad=True) for n in range(bad)]
    for r in results:
        r["segments"]["date"] = day.isoformat()
    (folder / name).write_text(json.dumps([{"results": results}]))
    return root / "landing"


# --------------------------------------------------------------------------- settings
def test_thresholds_default_and_from_the_environment():
    assert quality.quarantine_thresholds({}) == quality.QuarantineThresholds(0.01, 0.20, 20)
    env = {"ADWH_QUARANTINE_WARN_RATE": "0.05", "ADWH_QUARANTINE_FAIL_RATE": "0.5", "ADWH_QUARANTINE_MIN_RECORDS": "0"}
    assert quality.quarantine_thresholds(env) == quality.QuarantineThresholds(0.05, 0.5, 0)


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"ADWH_QUARANTINE_FAIL_RATE": "20%"}, "ADWH_QUARANTINE_FAIL_RATE"),
        ({"ADWH_QUARANTINE_FAIL_RATE": "1.5"}, "ADWH_QUARANTINE_FAIL_RATE"),
        ({"ADWH_QUARANTINE_WARN_RATE": "nan"}, "ADWH_QUARANTINE_WARN_RATE"),
        ({"ADWH_QUARANTINE_WARN_RATE": "0.5", "ADWH_QUARANTINE_FAIL_RATE": "0.1"}, "ADWH_QUARANTINE_WARN_RATE"),
        ({"ADWH_QUARANTINE_MIN_RECORDS": "-1"}, "ADWH_QUARANTINE_MIN_RECORDS"),
    ],
)
def test_invalid_thresholds_name_the_variable(env, variable):
    with pytest.raises(SettingsError, match=variable):
        quality.quarantine_thresholds(env)


# --------------------------------------------------------------------------- the rate
def test_reasons_are_grouped_without_their_values():
    kinds = [
        quality.reason_kind("field 'metrics.impressions': not an integer: '12a'"),
        quality.reason_kind("field 'metrics.impressions': not an integer: '7b'"),
        quality.reason_kind(
            "field 'segments.date': record is for 2024-02-29 but the file is in the folder of 2024-03-01"
        ),
        quality.reason_kind("field 'Ad ID': required value is missing ('--')"),
        quality.reason_kind("field 'actions[2].7d_click': not a number: 'two'"),
        quality.reason_kind("duplicate of record 3 (same key (1, 2))"),
    ]
    assert kinds[0] == kinds[1] == "field 'metrics.impressions': not an integer"
    assert kinds[2] == "field 'segments.date': record is for <date> but the file is in the folder of <date>"
    assert kinds[3] == "field 'Ad ID': required value is missing"
    assert kinds[4] == "field 'actions[].7d_click': not a number"
    assert kinds[5] == "duplicate of record N"
    top = quality.top_reasons(
        [
            ("field 'x': not an integer: '1a'", "f record 2"),
            ("field 'x': not an integer: 'b'", "f record 5"),
            ("field 'y': negative value: '-1'", "f record 7"),
        ]
    )
    assert top[0] == {"reason": "field 'x': not an integer", "count": 2, "example": "f record 2"}


@pytest.mark.parametrize(
    "read, loaded, quarantined, duplicates, level",
    [
        (100, 100, 0, 0, "ok"),
        (100, 99, 1, 0, "ok"),  # 1 % is not above 1 %
        (100, 98, 2, 0, "warn"),
        (100, 80, 20, 0, "warn"),  # 20 % is not above 20 %
        (100, 79, 21, 0, "fail"),
        (10, 1, 9, 0, "warn"),  # fewer than 20 records: a rate is not evidence enough...
        (3, 0, 3, 0, "fail"),  # ...unless nothing loaded at all
        (2, 1, 1, 0, "warn"),
        (0, 0, 0, 0, "ok"),
        (200, 100, 100, 100, "ok"),  # the same rows exported twice: nothing is lost
        (200, 100, 100, 50, "fail"),  # 50 counted of 200 = 25 %
    ],
)
def test_levels(read, loaded, quarantined, duplicates, level):
    a = quality.assess(
        source="google_ads",
        report_date="2024-03-01",
        records_read=read,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        cross_file_duplicates=duplicates,
        thresholds=T,
    )
    assert a.level == level


# --------------------------------------------------------------------------- ingest_partition
def test_a_mostly_quarantined_partition_is_not_written_and_the_message_says_why(tmp_path):
    lake = Lake(tmp_path / "lake")
    landing = _landing(tmp_path, good=30, bad=0)
    assert ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake).rows_loaded == 30
    write_id = lake.read_manifest("google_ads", DAY)["write_id"]

    _landing(tmp_path, good=5, bad=25)  # the restated export: 25 of 30 rows unloadable
    with pytest.raises(QuarantineRateError) as info:
        ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    assert isinstance(info.value, IngestError)
    message = str(info.value)
    for part in (
        "google_ads",
        "2024-03-01",
        "83.3%",
        "25 of 30",
        "ADWH_QUARANTINE_FAIL_RATE",
        "20.0%",
        "25 × field 'metrics.impressions': not an integer",
        "search_stream.json record 6",
        "previous version",
    ):
        assert part in message, (part, message)
    assert lake.read_manifest("google_ads", DAY)["write_id"] == write_id  # the previous version stays
    assert lake.row_count("google_ads", DAY, "ad_stats") == 30


def test_thresholds_can_be_given_and_come_from_the_environment(tmp_path, monkeypatch):
    lake = Lake(tmp_path / "lake")
    landing = _landing(tmp_path, good=5, bad=25)
    loose = quality.QuarantineThresholds(0.01, 0.9, 20)
    report = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake, thresholds=loose)
    assert (report.rows_loaded, report.rows_quarantined) == (5, 25)
    assert report.reject_reasons[0]["count"] == 25
    monkeypatch.setenv("ADWH_QUARANTINE_FAIL_RATE", "0.5")
    with pytest.raises(QuarantineRateError, match="ADWH_QUARANTINE_FAIL_RATE = 50.0%"):
        ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake, force=True)


def test_the_same_rows_exported_twice_are_not_counted(tmp_path):
    lake = Lake(tmp_path / "lake")
    landing = _landing(tmp_path, good=30, bad=0, name="a.json")
    _landing(tmp_path, good=30, bad=0, name="b.json")
    report = ingest_partition(source="google_ads", day=DAY, landing_dir=landing, lake=lake)
    assert (report.records_read, report.rows_loaded, report.rows_quarantined) == (60, 30, 30)
    assert report.cross_file_duplicates == 30


# --------------------------------------------------------------------------- the asset and its check
def _settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "ADWH_DATA_DIR": str(tmp_path / "data"),
            "ADWH_LANDING_DIR": str(tmp_path / "landing"),
            "ADWH_LAKE_DIR": str(tmp_path / "lake"),
            "ADWH_START_DATE": "2024-01-01",
        }
    )


def _materialize(settings: Settings, *, downstream_ran: list | None = None):
    ingest = ingest_defs.build_ingest_asset("google_ads", settings, daily_partitions(settings))
    assets = [ingest]
    if downstream_ran is not None:

        @dg.asset(
            deps=[ingest_defs.raw_asset_key("google_ads", "ad_stats")],
            partitions_def=daily_partitions(settings),
            backfill_policy=dg.BackfillPolicy.single_run(),
        )
        def downstream():
            downstream_ran.append(True)

        assets.append(downstream)
    return dg.materialize(
        assets,
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": "2024-03-01", "dagster/asset_partition_range_end": "2024-03-02"},
        raise_on_error=False,
    )


def _check(result, name=ingest_defs.QUARANTINE_CHECK):
    [evaluation] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == name
    ]
    return evaluation


def test_check_passes_then_warns_above_the_warn_rate(tmp_path):
    settings = _settings(tmp_path)
    _landing(tmp_path, good=30, bad=0, day=date(2024, 3, 1))
    _landing(tmp_path, good=30, bad=0, day=date(2024, 3, 2))
    result = _materialize(settings)
    assert result.success and _check(result).passed

    _landing(tmp_path, good=28, bad=2, day=date(2024, 3, 2))  # 6.7 %: a WARN, still published
    result = _materialize(settings)
    assert result.success
    check = _check(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "google_ads 2024-03-02: 6.7%" in check.description and "not an integer" in check.description


def test_above_the_fail_rate_the_step_fails_and_nothing_downstream_runs(tmp_path):
    settings = _settings(tmp_path)
    _landing(tmp_path, good=30, bad=0, day=date(2024, 3, 1))
    _landing(tmp_path, good=2, bad=28, day=date(2024, 3, 2))
    ran: list = []
    result = _materialize(settings, downstream_ran=ran)
    assert not result.success and ran == []
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "google_ads 2024-03-02: 93.3% of the records read were quarantined (28 of 30)" in message
    assert "field 'metrics.impressions': not an integer" in message
    lake = Lake(settings.lake_dir)
    assert (
        lake.is_complete("google_ads", date(2024, 3, 1)) and lake.read_manifest("google_ads", date(2024, 3, 2)) is None
    )


def test_a_published_partition_above_a_lowered_fail_rate_blocks_downstream(tmp_path, monkeypatch):
    settings = _settings(tmp_path)
    _landing(tmp_path, good=30, bad=0, day=date(2024, 3, 1))
    _landing(tmp_path, good=24, bad=6, day=date(2024, 3, 2))  # 20 %: published (WARN)
    assert _materialize(settings).success
    monkeypatch.setenv("ADWH_QUARANTINE_FAIL_RATE", "0.1")  # unchanged inputs, stricter threshold
    ran: list = []
    result = _materialize(settings, downstream_ran=ran)
    check = _check(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert (
        "google_ads 2024-03-02: 20.0%" in check.description and "ADWH_QUARANTINE_FAIL_RATE = 10.0%" in check.description
    )
    assert ran == [] and not result.success


def test_an_invalid_threshold_fails_the_step_naming_the_variable(tmp_path, monkeypatch):
    settings = _settings(tmp_path)
    _landing(tmp_path, good=3, bad=0)
    monkeypatch.setenv("ADWH_QUARANTINE_FAIL_RATE", "twenty")
    result = _materialize(settings)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "ADWH_QUARANTINE_FAIL_RATE" in failure.step_failure_data.error.message
