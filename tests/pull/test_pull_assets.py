"""The Dagster side: pull assets exist only for sources with credentials, sit upstream of their
ingest assets, fail a source's partitions with the clients' one-line errors after writing the
rest, and re-pull each source's own restatement window in the nightly run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.partitions import daily_partitions
from orchestration.defs.pull import build_pull_asset, pull_asset_key, pulled_sources
from orchestration.defs.resources import platform_credentials
from orchestration.defs.schedules import NIGHTLY_DATE_TAG, nightly_run_request
from orchestration.pull import PLATFORMS, platform
from orchestration.settings import Settings
from tests.pull import data
from tests.pull.conftest import pull_env

ALL_PULL_VARS = sorted({name for source in PLATFORMS for name in platform(source).TRIGGER_VARS})


def _settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "ADWH_DATA_DIR": str(tmp_path / "data"),
            "ADWH_LANDING_DIR": str(tmp_path / "landing"),
            "ADWH_LAKE_DIR": str(tmp_path / "lake"),
            "ADWH_START_DATE": "2024-01-01",
            **extra,
        }
    )


@pytest.fixture
def clean_env(monkeypatch):
    for name in set(ALL_PULL_VARS) | set(data.TOKENS) | {"ADWH_PULL_SOURCES"}:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_source_pulls_when_its_token_is_set(tmp_path, clean_env):
    settings = _settings(tmp_path)
    assert pulled_sources(settings) == ()
    clean_env.setenv("ADWH_MAILCHIMP_API_KEY", data.TOKENS["ADWH_MAILCHIMP_API_KEY"])
    clean_env.setenv("ADWH_GOOGLE_ADS_REFRESH_TOKEN", data.TOKENS["ADWH_GOOGLE_ADS_REFRESH_TOKEN"])
    assert pulled_sources(settings) == ("google_ads", "mailchimp")
    assert pulled_sources(_settings(tmp_path, ADWH_SOURCES="meta_ads,mailchimp")) == ("mailchimp",)
    clean_env.setenv("ADWH_PULL_SOURCES", "mailchimp")
    assert pulled_sources(settings) == ("mailchimp",)
    clean_env.setenv("ADWH_PULL_SOURCES", "none")
    assert pulled_sources(settings) == ()
    clean_env.setenv("ADWH_PULL_SOURCES", "ga4")
    with pytest.raises(ValueError, match="ADWH_PULL_SOURCES names ga4"):
        pulled_sources(settings)


def test_the_graph_has_pull_assets_upstream_of_ingest_only_with_credentials(tmp_path, clean_env):
    from orchestration.definitions import build_definitions

    settings = _settings(tmp_path, ADWH_SOURCES="google_ads,meta_ads,mailchimp,klaviyo")
    without = build_definitions(settings).resolve_asset_graph()
    assert not [k for k in without.get_all_asset_keys() if k.path[0].startswith("pull_")]
    assert without.get(dg.AssetKey(["raw", "mailchimp", "campaign_snapshots"])).parent_keys == set()

    for name, value in data.TOKENS.items():
        clean_env.setenv(name, value)
    graph = build_definitions(settings).resolve_asset_graph()
    for source in ("google_ads", "meta_ads", "mailchimp", "klaviyo"):
        assert graph.has(pull_asset_key(source))
    assert graph.get(dg.AssetKey(["raw", "google_ads", "ad_stats"])).parent_keys == {pull_asset_key("google_ads")}
    assert graph.get(dg.AssetKey(["quarantine", "klaviyo", "rejects"])).parent_keys == {pull_asset_key("klaviyo")}


def test_linkedin_pulls_when_its_token_is_set_and_the_token_is_a_redacted_secret(tmp_path, clean_env):
    from orchestration.definitions import build_definitions
    from orchestration.security import redact

    settings = _settings(tmp_path, ADWH_SOURCES="linkedin_ads,mailchimp")
    assert pulled_sources(settings) == ()
    token = "li-test-token-0123456789"
    clean_env.setenv("ADWH_LINKEDIN_ACCESS_TOKEN", token)
    assert pulled_sources(settings) == ("linkedin_ads",)
    graph = build_definitions(settings).resolve_asset_graph()
    assert graph.has(pull_asset_key("linkedin_ads"))
    assert not graph.has(pull_asset_key("mailchimp"))
    analytics = [k for k in graph.get_all_asset_keys() if k.path[:2] == ["raw", "linkedin_ads"]]
    assert analytics and all(graph.get(k).parent_keys == {pull_asset_key("linkedin_ads")} for k in analytics)
    assert token not in redact(f"GET /rest/adAnalytics Authorization: Bearer {token}")
    # bound to its environment variable (dg.EnvVar: Dagster shows the name, never the value)
    assert set(platform_credentials().as_env()) == {"ADWH_LINKEDIN_ACCESS_TOKEN"}


def _materialize(settings: Settings, sources, start: str, end: str, tags=None):
    partitions = daily_partitions(settings)
    assets = [build_pull_asset(source, settings, partitions) for source in sources]
    return dg.materialize(
        assets,
        resources={"platform_credentials": platform_credentials()},
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end, **(tags or {})},
        raise_on_error=False,
    )


def test_one_failing_account_fails_its_source_only_after_the_rest_is_written(tmp_path, clean_env, google, meta):
    for name, value in pull_env(google=google, meta=meta, ADWH_GOOGLE_ADS_CUSTOMER_IDS="1111111111,4444444444").items():
        clean_env.setenv(name, value)
    settings = _settings(tmp_path)
    result = _materialize(settings, ["google_ads", "meta_ads"], "2024-03-01", "2024-03-02")
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["pull_google_ads"]
    message = failures[0].step_failure_data.error.message
    assert "2 Google Ads account-day(s) could not be pulled" in message
    assert "Google Ads account 4444444444 2024-03-01: HTTP 403: PERMISSION_DENIED" in message
    landing = settings.landing_dir
    assert (landing / "google_ads" / "2024-03-02" / "google_ads_1111111111.json").exists()
    assert not (landing / "google_ads" / "2024-03-01" / "google_ads_4444444444.json").exists()
    assert (landing / "meta_ads" / "2024-03-02" / "meta_ads_act_101.json").exists()
    for event in result.all_events:
        for secret in data.TOKENS.values():
            assert secret not in str(event.message or "")


def test_nightly_run_re_pulls_each_sources_own_window(tmp_path, clean_env, google, meta):
    for name, value in pull_env(google=google, meta=meta).items():
        clean_env.setenv(name, value)
    settings = _settings(tmp_path, ADWH_RESTATEMENT_DAYS="3", ADWH_RESTATEMENT_DAYS_META_ADS="1")
    request = nightly_run_request(settings, date(2024, 3, 4))
    assert request.tags["dagster/asset_partition_range_start"] == "2024-03-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2024-03-03"
    assert request.tags[NIGHTLY_DATE_TAG] == "2024-03-04"
    result = _materialize(settings, ["google_ads", "meta_ads"], "2024-03-01", "2024-03-03", tags=dict(request.tags))
    assert result.success
    meta_days = sorted(
        {json.loads(p.form["time_range"])["since"] for p in meta.requests_to("/act_101/insights", "POST")}
    )
    assert meta_days == ["2024-03-03"]  # a 1-day window: yesterday only
    assert len(google.requests_to("searchStream")) == 6  # 3 days x 2 customers
    assert not (settings.landing_dir / "meta_ads" / "2024-03-01").exists()


def test_incomplete_configuration_fails_the_pull_with_the_missing_variables(tmp_path, clean_env):
    clean_env.setenv("ADWH_META_ACCESS_TOKEN", data.TOKENS["ADWH_META_ACCESS_TOKEN"])
    result = _materialize(_settings(tmp_path), ["meta_ads"], "2024-03-01", "2024-03-01")
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "Meta Ads: the Meta Ads pull needs ADWH_META_AD_ACCOUNT_IDS (not set)" in message
