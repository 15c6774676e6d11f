"""The Dagster definitions load, form one connected graph, and snapshot their asset keys."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import ALL_ASSETS_JOB, build_definitions
from orchestration.settings import Settings
from orchestration.warehouse import WAREHOUSE_POOL

# Snapshot of every asset key (change deliberately: analysts and operators rely on these names).
ALL_KEYS = sorted(
    [
        "analyst_snapshot",
        "intermediate/int_ad_performance__platforms_unioned",
        "intermediate/int_attribution__credits_data_driven",
        "intermediate/int_attribution__credits_rule_based",
        "intermediate/int_attribution__channel_weights_solved",
        "intermediate/int_attribution__markov_transitions_counted",
        "intermediate/int_attribution__paths_built",
        "intermediate/int_attribution__shapley_channel_sets_counted",
        "intermediate/int_email__snapshots_differenced",
        "intermediate/int_ga4__conversions_deduplicated",
        "intermediate/int_ga4__sessions_classified",
        "intermediate/int_meta_ads__conversions_aggregated_by_window",
        "intermediate/int_meta_ads__conversions_pivoted",
        "marts/fct_ad_performance_daily",
        "marts/mart_attribution",
        "marts/mart_attribution_channel_weights",
        "marts/mart_campaign_performance_daily",
        "marts/mart_conversions_by_touch_type",
        "marts/mart_platform_claims_reconciliation",
        "marts/mart_video_performance_daily",
        "marts/time_spine_daily",
        "quarantine/ga4/rejects",
        "quarantine/google_ads/rejects",
        "quarantine/klaviyo/rejects",
        "quarantine/linkedin_ads/rejects",
        "quarantine/mailchimp/rejects",
        "quarantine/meta_ads/rejects",
        "raw/ga4/event_params",
        "raw/ga4/events",
        "raw/google_ads/ad_stats",
        "raw/klaviyo/campaign_snapshots",
        "raw/linkedin_ads/ad_accounts",
        "raw/linkedin_ads/ad_analytics",
        "raw/linkedin_ads/ad_campaigns",
        "raw/linkedin_ads/creatives",
        "raw/linkedin_ads/elements",
        "raw/mailchimp/campaign_snapshots",
        "raw/meta_ads/ad_actions",
        "raw/meta_ads/ad_insights",
        "seeds/channel_mapping",
        "seeds/fx_rates",
        "seeds/meta_conversion_action_types",
        "seeds/metric_definitions",
        "staging/stg_ga4__events",
        "staging/stg_google_ads__ad_stats",
        "staging/stg_klaviyo__campaign_snapshots",
        "staging/stg_linkedin_ads__ad_accounts",
        "staging/stg_linkedin_ads__ad_analytics",
        "staging/stg_linkedin_ads__ad_campaigns",
        "staging/stg_linkedin_ads__creatives",
        "staging/stg_mailchimp__campaign_snapshots",
        "staging/stg_meta_ads__ad_actions",
        "staging/stg_meta_ads__ad_insights",
    ]
)


def _settings(tmp_path, sources: str) -> Settings:
    return Settings.from_env({"ADWH_DATA_DIR": str(tmp_path / "data"), "ADWH_SOURCES": sources})


def _keys(defs: dg.Definitions) -> set[str]:
    return {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}


def test_asset_keys_snapshot(tmp_path):
    defs = build_definitions(_settings(tmp_path, "google_ads,meta_ads,linkedin_ads,mailchimp,klaviyo,ga4"))
    assert sorted(_keys(defs)) == ALL_KEYS
    assert defs.resolve_job_def(ALL_ASSETS_JOB) is not None
    assert defs.resolve_schedule_def("nightly").cron_schedule == "0 2 * * *"


def test_graph_is_connected_sources_to_staging(tmp_path):
    defs = build_definitions(_settings(tmp_path, "google_ads,meta_ads,linkedin_ads,mailchimp,klaviyo,ga4"))
    graph = defs.resolve_asset_graph()
    by_name = {key.path[-1]: key for key in graph.get_all_asset_keys()}
    parents = graph.get(by_name["stg_google_ads__ad_stats"]).parent_keys
    assert dg.AssetKey(["raw", "google_ads", "ad_stats"]) in parents
    parents = graph.get(by_name["stg_meta_ads__ad_actions"]).parent_keys
    assert dg.AssetKey(["raw", "meta_ads", "ad_actions"]) in parents
    parents = graph.get(by_name["stg_linkedin_ads__ad_analytics"]).parent_keys
    assert dg.AssetKey(["raw", "linkedin_ads", "ad_analytics"]) in parents
    parents = graph.get(by_name["int_ad_performance__platforms_unioned"]).parent_keys
    assert {
        by_name[f"stg_linkedin_ads__{t}"] for t in ("ad_analytics", "ad_accounts", "ad_campaigns", "creatives")
    } <= parents
    # the ingest assets are real (materialisable) assets, not external stubs
    assert graph.get(dg.AssetKey(["raw", "google_ads", "ad_stats"])).is_materializable


def test_every_asset_is_daily_partitioned_and_warehouse_writers_share_pool(tmp_path):
    defs = build_definitions(_settings(tmp_path, "google_ads,meta_ads,linkedin_ads,mailchimp,klaviyo,ga4"))
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition), key
    pools = {}
    for assets_def in defs.assets:
        if isinstance(assets_def, dg.AssetsDefinition):
            for op_def in [assets_def.node_def]:
                pools[assets_def.node_def.name] = getattr(op_def, "pool", None)
    assert pools["adwh_dbt"] == WAREHOUSE_POOL
    assert pools["analyst_snapshot"] == WAREHOUSE_POOL
    assert pools["ingest_google_ads"] is None  # ingestion never opens the warehouse


def test_switched_off_sources_leave_the_graph(tmp_path):
    defs = build_definitions(_settings(tmp_path, "google_ads,mailchimp"))
    keys = _keys(defs)
    assert not any("meta_ads" in k or "linkedin_ads" in k or "klaviyo" in k or "ga4" in k for k in keys), sorted(keys)
    assert "raw/google_ads/ad_stats" in keys and "raw/mailchimp/campaign_snapshots" in keys
    assert {"marts/fct_ad_performance_daily", "marts/mart_campaign_performance_daily"} <= keys


def test_each_set_of_sources_parses_into_its_own_manifest(tmp_path):
    """Two processes with different ADWH_SOURCES (parallel workers, two workspaces) must not
    read each other's manifest: a run whose manifest lacked a model dbt then built failed with
    KeyError 'model.adwh.stg_ga4__events' inside dagster-dbt."""
    import json

    from orchestration.defs.dbt import dbt_project, ensure_manifest

    every = _settings(tmp_path, "")
    no_ga4 = _settings(tmp_path, "google_ads,meta_ads,mailchimp,klaviyo")
    assert dbt_project(every).manifest_path != dbt_project(no_ga4).manifest_path

    full = ensure_manifest(dbt_project(every), every)
    assert "model.adwh.stg_ga4__events" in full["nodes"]
    reduced = ensure_manifest(dbt_project(no_ga4), no_ga4)
    assert "model.adwh.stg_ga4__events" not in reduced["nodes"]
    # the first set's manifest on disk is untouched by the second parse
    on_disk = json.loads(dbt_project(every).manifest_path.read_text())
    assert on_disk["nodes"]["model.adwh.stg_ga4__events"]["config"]["enabled"] is True
    assert "model.adwh.stg_ga4__events" in ensure_manifest(dbt_project(every), every)["nodes"]


def test_spark_step_3_by_exclusion_selects_what_dbt_selects_for_the_weights_descendants(tmp_path):
    """On Spark the dbt asset builds in three steps (orchestration/warehouse/spark.py). Step 3
    goes through dagster-dbt, which joins a runtime --select to the run's selection as a union,
    so it is expressed by exclusion alone. Checked against dbt's own selector: ``dbt ls`` of
    the weights' descendants (``--select W+ --exclude W``) must equal ``dbt ls`` of the whole
    project (``fqn:*``, what a full run selects) minus the step's exclusions, among the
    resources ``dbt build`` runs."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from orchestration.defs.dbt import dbt_project, ensure_manifest
    from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT
    from orchestration.warehouse.dbt_args import source_vars, vars_arg
    from orchestration.warehouse.spark import WEIGHTS_MODEL, dagster_after_phase

    settings = _settings(tmp_path, "")
    manifest = ensure_manifest(dbt_project(settings), settings)
    vars_ = vars_arg(source_vars(settings.sources))
    step3 = dagster_after_phase(["ls", *vars_, "--exclude", "resource_type:unit_test"], manifest)
    env = {
        **os.environ,
        "ADWH_WAREHOUSE": str(tmp_path / "ls.duckdb"),
        "ADWH_LAKE_DIR": str(tmp_path / "lake"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    dbt = str(Path(sys.executable).parent / "dbt")

    def ls(args: list[str]) -> set[str]:
        out = subprocess.run(
            [dbt, *args, "--profiles-dir", str(REPO_ROOT), "--project-dir", str(DBT_PROJECT_DIR)]
            + ["--output", "json", "--output-keys", "unique_id", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        ids = {json.loads(line)["unique_id"] for line in out.stdout.splitlines() if line.startswith("{")}
        return {uid for uid in ids if uid.split(".")[0] in ("model", "seed", "test", "snapshot")}  # what build runs

    expected = ls(
        ["ls", *vars_, "--select", f"{WEIGHTS_MODEL}+", "--exclude", WEIGHTS_MODEL, "resource_type:unit_test"]
    )
    assert "model.adwh.mart_attribution" in expected  # the weights feed the attribution mart
    assert ls([*step3, "--select", "fqn:*"]) == expected
