"""`adwh demo`-style run over generated data: the CLI end to end, marts checked against sums
computed straight from the generated export files (a second, independent reading)."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.e2e

DAYS = 8
START = date(2024, 1, 1)


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    mp = pytest.MonkeyPatch()
    for var in (
        "ADWH_LANDING_DIR",
        "ADWH_LAKE_DIR",
        "ADWH_WAREHOUSE",
        "ADWH_ANALYST_DB",
        "ADWH_SOURCES",
        "ADWH_START_DATE",
    ):
        mp.delenv(var, raising=False)
    mp.setenv("ADWH_DATA_DIR", str(root / "data"))
    mp.setenv("DAGSTER_HOME", str(home))
    yield root / "data"
    mp.undo()


def _query(data: Path, sql: str):
    con = duckdb.connect(str(data / "analyst.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_demo_prints_headlines_and_marts_are_filled(demo_env, capsys):
    assert main(["demo", "--days", str(DAYS)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    # a healthy run is quiet: no WARNING on the terminal, none in the run's log (the demo logs
    # Dagster at WARNING and above to data/logs/demo-run.log)
    assert "WARNING" not in out and "WARNING" not in captured.err
    log = (demo_env / "logs" / "demo-run.log").read_text()
    assert [line for line in log.splitlines() if " - WARNING - " in line] == []
    assert "Video: view rate by platform, each with its own definition of a view" in out
    assert "CTR, clicks and spend by platform and channel" in out
    assert "View-through vs click-through conversions by platform" in out
    assert "Attribution models side by side" in out and "shapley" in out and "markov" in out
    assert "Platform claims vs de-duplicated first-party conversions" in out
    for platform in ("google_ads", "meta_ads", "linkedin_ads", "mailchimp", "klaviyo"):
        assert platform in out
    for table in (
        "marts.fct_ad_performance_daily",
        "marts.mart_campaign_performance_daily",
        "marts.mart_conversions_by_touch_type",
        "marts.mart_attribution",
        "marts.mart_attribution_channel_weights",
        "marts.mart_platform_claims_reconciliation",
    ):
        assert _query(demo_env, f"select count(*) from {table}")[0][0] > 0, table


def test_meta_matches_files(demo_env):
    expected = defaultdict(lambda: [0, 0, 0])
    for day_dir in sorted((demo_env / "landing" / "meta_ads").iterdir()):
        for path in day_dir.glob("*.json"):
            pages = json.loads(path.read_text())
            for page in pages if isinstance(pages, list) else [pages]:
                for row in page["data"]:
                    totals = expected[day_dir.name]
                    totals[0] += int(row["impressions"])
                    totals[1] += int(row.get("inline_link_clicks", "0"))
                    totals[2] += int(row["clicks"])
    got = _query(
        demo_env,
        """select strftime(report_date, '%Y-%m-%d'), sum(impressions), sum(clicks), sum(all_clicks)
           from marts.fct_ad_performance_daily where platform = 'meta_ads' group by 1""",
    )
    assert {r[0]: list(r[1:]) for r in got} == dict(expected)


def test_google_json_days_match_files(demo_env):
    expected = defaultdict(lambda: [0, 0, 0])
    for day_dir in sorted((demo_env / "landing" / "google_ads").iterdir()):
        for path in day_dir.glob("*.json"):
            for batch in json.loads(path.read_text()):
                for row in batch.get("results", []):
                    totals = expected[(day_dir.name, row["customer"]["id"])]
                    metrics = row.get("metrics", {})
                    totals[0] += int(metrics.get("impressions", 0))
                    totals[1] += int(metrics.get("clicks", 0))
                    totals[2] += int(metrics.get("costMicros", 0))
    got = _query(
        demo_env,
        """select strftime(report_date, '%Y-%m-%d'), account_id, sum(impressions), sum(clicks),
                  round(sum(spend) * 1000000)
           from marts.fct_ad_performance_daily where platform = 'google_ads' group by 1, 2""",
    )
    got_map = {(r[0], r[1]): [r[2], r[3], int(r[4])] for r in got}
    assert expected, "no JSON days generated"
    for key, totals in expected.items():
        assert got_map[key] == totals, key
    # the UI-CSV days of the EUR account are in the fact too
    csv_days = {p.parent.name for p in (demo_env / "landing" / "google_ads").glob("*/*.csv")}
    for day in csv_days:
        assert any(k[0] == day and k not in expected for k in got_map), day


def test_email_daily_differences_telescope_to_last_snapshot(demo_env):
    """Sum of a campaign's daily figures over the range = its lifetime total on the last day."""
    last_day = (START + timedelta(days=DAYS - 1)).isoformat()
    reports = json.loads((demo_env / "landing" / "mailchimp" / last_day / "reports.json").read_text())["reports"]
    got = dict(
        _query(
            demo_env,
            """select campaign_id, sum(impressions) from marts.fct_ad_performance_daily
               where platform = 'mailchimp' group by 1""",
        )
    )
    assert reports
    for report in reports:
        assert got[report["id"]] == report["opens"]["proxy_excluded_unique_opens"], report["id"]


def test_every_attribution_model_sums_to_the_days_conversions(demo_env):
    """Per model and day, attributed conversions = the day's de-duplicated GA4 purchases, counted
    here straight from the generated NDJSON files (distinct transaction_id, dated by its earliest
    purchase event) -- independent of the dbt models."""
    earliest: dict[str, tuple[int, str]] = {}
    for path in (demo_env / "landing" / "ga4").glob("*/*.ndjson.gz"):
        with gzip.open(path, "rt") as handle:
            for line in handle:
                event = json.loads(line)
                if event["event_name"] != "purchase":
                    continue
                tid = event["ecommerce"]["transaction_id"]
                ts = int(event["event_timestamp"])
                day = f"{event['event_date'][:4]}-{event['event_date'][4:6]}-{event['event_date'][6:]}"
                if tid not in earliest or ts < earliest[tid][0]:
                    earliest[tid] = (ts, day)
    expected = defaultdict(int)
    for _, day in earliest.values():
        expected[day] += 1
    assert sum(expected.values()) > 0
    rows = _query(
        demo_env,
        """select model, strftime(conversion_date, '%Y-%m-%d'), sum(attributed_conversions)
           from marts.mart_attribution where attributed_conversions > 0 group by 1, 2""",
    )
    by_model = defaultdict(dict)
    for model, day, total in rows:
        by_model[model][day] = total
    assert sorted(by_model) == sorted(
        ["first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay", "markov", "shapley"]
    )
    for model, days in by_model.items():
        assert set(days) == set(expected), model
        for day, total in days.items():
            assert abs(total - expected[day]) < 1e-6, (model, day, total, expected[day])
