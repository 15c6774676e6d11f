"""A handful of corpus cases through the whole pipeline (real `adwh run` processes):
accounting in the lake and the checks, hostile names verbatim in the marts, a lifetime
counter going down, late data (freshness check, then processed by the next run), a
missing FX rate (the run fails before publishing; analysts keep the previous snapshot)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.ingestion.lake import REJECTS, Lake
from tests.paths import CORPUS
from tests.reliability.helpers import assert_same_tables, make_workspace, read_tables

pytestmark = pytest.mark.e2e

MANIFEST = json.loads((CORPUS / "manifest.json").read_text())["cases"]
D1, D2 = date(2024, 3, 1), date(2024, 3, 2)
# case -> (source, file name in the merged landing folder)
MERGED = {
    "gads_hostile_names": "search_stream.json",
    "meta_wrong_type": "insights.json",
    "mailchimp_counter_down": "reports.json",
    "klaviyo_negative": "campaign_values.json",
    "ga4_purchase_without_transaction_id": "events_a.ndjson",
    "ga4_personal_data": "events_b.ndjson",
}
PRIMARY = {
    "google_ads": "ad_stats",
    "meta_ads": "ad_insights",
    "mailchimp": "campaign_snapshots",
    "klaviyo": "campaign_snapshots",
    "ga4": "events",
}


def _assemble(landing: Path) -> None:
    for case, name in MERGED.items():
        for path in (CORPUS / "cases" / case).rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                rel = path.relative_to(CORPUS / "cases" / case)
                target = landing / rel.parent / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def _check_results(ws, check_name: str) -> dict[str, list]:
    """Latest evaluation of `check_name` per asset: (passed, description, metadata)."""
    instance = dg.DagsterInstance.from_config(str(ws.home))
    try:
        records = instance.get_event_records(
            dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), ascending=True
        )
        latest = {}
        for record in records:
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            if evaluation.check_name == check_name:
                latest[evaluation.asset_key.to_user_string()] = evaluation
        return latest
    finally:
        instance.dispose()


def test_corpus_through_the_pipeline(tmp_path):
    ws = make_workspace(tmp_path)
    ws.env["ADWH_SOURCES"] = ",".join(PRIMARY)  # the sources the corpus has cases for
    _assemble(ws.landing)

    first = ws.run(D1, D2, log="first")
    assert first.popen.returncode == 0, first.output()[-4000:]

    # zero rows unaccounted for: the lake's files hold exactly the hand-counted records
    lake = Lake(ws.lake)
    for case in MERGED:
        source = MANIFEST[case]["source"]
        for day_text, expect in MANIFEST[case]["expect"].items():
            day = date.fromisoformat(day_text)
            loaded = lake.row_count(source, day, PRIMARY[source])
            quarantined = lake.row_count(source, day, REJECTS)
            if source == "ga4":  # two cases merged into one GA4 day
                others = [c for c in MERGED if MANIFEST[c]["source"] == "ga4"]
                expect = {
                    k: sum(MANIFEST[c]["expect"][day_text][k] for c in others)
                    for k in ("loaded", "quarantined", "records")
                }
            assert (loaded, quarantined) == (expect["loaded"], expect["quarantined"]), (case, day_text)
            assert loaded + quarantined == expect["records"]

    rows_checks = _check_results(ws, "rows_accounted_for")
    assert len(rows_checks) == 5 and all(e.passed for e in rows_checks.values()), rows_checks

    # late data: a missing export is reported naming source and date
    landing_checks = _check_results(ws, "landing_export_present")
    gads = landing_checks["raw/google_ads/ad_stats"]
    assert not gads.passed and "google_ads" in gads.description and "2024-03-02" in gads.description
    assert landing_checks["raw/mailchimp/campaign_snapshots"].passed

    # a Mailchimp counter going down: loaded, named by the WARN check, negative daily difference kept
    counters = _check_results(ws, "lifetime_counters_monotonic")
    mailchimp = counters["raw/mailchimp/campaign_snapshots"]
    assert (
        not mailchimp.passed
        and "mc01" in mailchimp.description
        and "proxy_excluded_unique_opens" in mailchimp.description
    )
    con = duckdb.connect(str(ws.analyst), read_only=True)
    try:
        impressions = con.execute(
            "select report_date, impressions from marts.fct_ad_performance_daily "
            "where platform = 'mailchimp' and campaign_id = 'mc01' order by 1"
        ).fetchall()
        names = {
            r[0]
            for r in con.execute(
                "select campaign_name from marts.fct_ad_performance_daily where platform = 'google_ads'"
            ).fetchall()
        }
    finally:
        con.close()
    assert impressions == [(D1, 2300), (D2, -200)]
    # hostile names are data: stored verbatim, nothing executed, no path created
    hostile = json.loads(
        (CORPUS / "cases" / "gads_hostile_names" / "google_ads" / "2024-03-01" / "search_stream.json").read_text()
    )
    assert names == {row["campaign"]["name"] for row in hostile[0]["results"]}
    assert not list(tmp_path.rglob("passwd"))
    snapshot_1 = read_tables(ws.analyst)

    # a day whose FX rate is missing: dbt's test fails the run before publishing
    late = ws.landing / "google_ads" / "2024-03-02" / "search_stream.json"
    late.parent.mkdir(parents=True)
    late.write_text(json.dumps(hostile).replace("2024-03-01", "2024-03-02"))
    chf = (CORPUS / "cases" / "gads_missing_fx_rate" / "google_ads" / "2024-03-01" / "search_stream.json").read_text()
    (ws.landing / "google_ads" / "2024-03-01" / "chf.json").write_text(chf.replace("1111111111", "5555555555"))
    second = ws.run(D1, D2, log="fx")
    assert second.popen.returncode == 1, second.output()[-4000:]
    assert "fx_rate" in second.err.read_text(), second.err.read_text()[-3000:]
    assert_same_tables(read_tables(ws.analyst), snapshot_1)  # analysts keep the last good snapshot

    # fixed input -> the next run publishes, including the export that arrived late
    (ws.landing / "google_ads" / "2024-03-01" / "chf.json").unlink()
    third = ws.run(D1, D2, log="fixed")
    assert third.popen.returncode == 0, third.output()[-4000:]
    con = duckdb.connect(str(ws.analyst), read_only=True)
    try:
        per_day = dict(
            con.execute(
                "select report_date, count(*) from marts.fct_ad_performance_daily where platform = 'google_ads' group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    assert per_day == {D1: 5, D2: 5}
    assert _check_results(ws, "landing_export_present")["raw/google_ads/ad_stats"].passed
