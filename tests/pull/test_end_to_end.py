"""End to end: the fake platform servers -> a real ``adwh run`` (pull, ingest, dbt, publish) ->
marts equal to numbers worked out by hand from the fakes' data (tests/pull/data.py); a restated
day on the server replaces that day in the marts on the next nightly run, within each source's
own window; tokens appear in no log, Dagster home, landing file, lake or DuckDB file; the same
run with the landing folder on S3 (moto on loopback) gives the same marts."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.pull import data
from tests.pull.conftest import pull_env
from tests.pull.s3 import list_keys, s3_server
from tests.reliability.helpers import SAFETY_TIMEOUT, make_workspace

pytestmark = pytest.mark.e2e

SOURCES = "google_ads,meta_ads,mailchimp,klaviyo"
FIRST_NIGHT = "2024-03-04T02:00:00+00:00"  # the run after 2024-03-03 (the e-mail snapshot of 03-03)
SECOND_NIGHT = "2024-03-05T02:00:00+00:00"


def _workspace(root: Path, servers: dict, **extra: str):
    ws = make_workspace(root)
    ws.env.update(pull_env(**servers))
    ws.env.update(
        {
            "ADWH_SOURCES": SOURCES,
            "ADWH_START_DATE": "2024-02-20",
            "ADWH_RESTATEMENT_DAYS": "3",
            "ADWH_RESTATEMENT_DAYS_META_ADS": "2",
            "ADWH_OBSERVERS": "tests.pull.fixed_clock",
            "ADWH_TEST_NOW": FIRST_NIGHT,
            **extra,
        }
    )
    return ws


def _fact(db: Path) -> dict[tuple[str, str], tuple]:
    """(report_date, platform) -> (impressions, clicks, spend, deliveries, click-through conversions)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """select cast(report_date as varchar), platform, sum(impressions), sum(clicks), round(sum(spend), 2),
                      sum(deliveries), sum(conversions_click_through)
               from marts.fct_ad_performance_daily group by all order by all"""
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _spend_by_account(db: Path) -> dict[tuple[str, str], float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """select cast(report_date as varchar), account_id, round(sum(spend), 2) from marts.fct_ad_performance_daily
               where platform = 'google_ads' group by all order by all"""
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1]): r[2] for r in rows}


# Worked out by hand from tests/pull/data.py (first night: e-mail snapshots of 2024-03-03 only).
#                         impressions clicks spend   deliveries click-through conversions
EXPECTED_FIRST = {
    ("2024-03-01", "google_ads"): (6500, 80, 40.00, None, 7.0),  # 1000+5000+500; 50+10+20; 25+5+10 (USD+EUR); 5+0+2
    ("2024-03-02", "google_ads"): (5800, 98, 46.00, None, 10.0),  # 1200+4000+600; 60+8+30; 30+4+12; 6+1+3
    ("2024-03-03", "google_ads"): (4500, 81, 37.00, None, 7.0),  # 800+3000+700; 40+6+35; 20+3+14; 4+0+3
    ("2024-03-01", "meta_ads"): (3500, 70, 35.50, None, 2.0),  # link clicks 40+30; 7d_click purchases 2
    ("2024-03-02", "meta_ads"): (3200, 70, 32.25, None, 3.0),  # 50+20; 3
    ("2024-03-03", "meta_ads"): (3000, 64, 30.00, None, 1.0),  # 40+24; 1
    ("2024-03-03", "mailchimp"): (290, 63, 0.0, 1475, None),  # proxy-excluded unique opens 200+90; 45+18; 980+495
    ("2024-03-03", "klaviyo"): (350, 60, 0.0, 790, None),  # K1 only (K0 was sent more than a year before)
}


def _needles(google) -> list[bytes]:
    secrets = [data.TOKENS[name] for name in data.SECRET_NAMES] + list(google.issued_tokens)
    return [s.encode() for s in secrets]


def _assert_no_secret_in(paths: list[Path], needles: list[bytes]) -> None:
    checked = 0
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            content = path.read_bytes()
            checked += 1
            for needle in needles:
                assert needle not in content, f"a secret ({needle[:6]!r}…) was found in {path}"
    assert checked


def test_pull_run_then_nightly_restatement(tmp_path, google, meta, mailchimp, klaviyo):
    ws = _workspace(tmp_path / "ws", {"google": google, "meta": meta, "mailchimp": mailchimp, "klaviyo": klaviyo})
    first = ws.run(date(2024, 3, 1), date(2024, 3, 3), log="first")
    assert first.popen.returncode == 0, first.output()[-6000:]
    output = first.output()
    assert "not pulled" in output and "Mailchimp returns totals as of the call, not as of 2024-03-01" in output

    # requests: every customer / account for every day, the e-mail platforms once (for 2024-03-03)
    assert len(google.requests_to("googleAds:searchStream")) == 6
    assert len(meta.requests_to("/act_101/insights", "POST")) == 3
    assert len(mailchimp.requests_to("/3.0/reports")) == 1
    assert len(klaviyo.requests_to("/api/campaign-values-reports")) == 1
    assert sorted(p.name for p in (ws.landing / "google_ads" / "2024-03-02").iterdir()) == [
        "google_ads_1111111111.json",
        "google_ads_2222222222.json",
    ]
    assert not (ws.landing / "mailchimp" / "2024-03-02").exists()

    assert _fact(ws.analyst) == EXPECTED_FIRST
    assert _spend_by_account(ws.analyst)[("2024-03-01", "1111111111")] == 30.0
    assert _spend_by_account(ws.analyst)[("2024-03-01", "2222222222")] == 10.0  # EUR, account currency

    # the platforms restate; the e-mail totals grow; a new day arrives
    google.accounts["1111111111"]["rows"]["2024-03-02"][0].update(conversions=9.0, conversions_value=450.0)
    meta.accounts[data.META_ACCOUNT]["rows"]["2024-03-03"][0]["inline_link_clicks"] = 44  # inside Meta's 2 days
    meta.accounts[data.META_ACCOUNT]["rows"]["2024-03-02"][0]["inline_link_clicks"] = 55  # outside: not re-pulled
    mailchimp.reports[:] = data.mailchimp_reports(stage=2)
    klaviyo.messages[:] = data.klaviyo_messages(stage=2)
    for server in (google, meta, mailchimp, klaviyo):
        server.clear_log()

    nightly = subprocess.run(
        [sys.executable, "-m", "tests.pull.nightly_tick", SECOND_NIGHT],
        env={**ws.env, "ADWH_TEST_NOW": SECOND_NIGHT},
        cwd=ws.root,
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT,
    )
    (ws.root / "nightly.out").write_text(nightly.stdout)
    (ws.root / "nightly.err").write_text(nightly.stderr)
    assert nightly.returncode == 0, (nightly.stdout + nightly.stderr)[-6000:]
    assert "'dagster/asset_partition_range_start': '2024-03-02'" in nightly.stdout  # the longest window: 3 days

    # Google re-pulled its 3 days, Meta its 2, the e-mail platforms only the day that just ended
    google_days = sorted({r.json()["query"].split("'")[1] for r in google.requests_to("searchStream")})
    assert google_days == ["2024-03-02", "2024-03-03", "2024-03-04"]
    meta_days = sorted(
        {json.loads(r.form["time_range"])["since"] for r in meta.requests_to("/act_101/insights", "POST")}
    )
    assert meta_days == ["2024-03-03", "2024-03-04"]
    assert len(mailchimp.requests_to("/3.0/reports")) == 1 and len(klaviyo.requests_to("/api/")) == 1

    expected = dict(EXPECTED_FIRST)
    expected[("2024-03-02", "google_ads")] = (5800, 98, 46.00, None, 13.0)  # restated: 9+1+3
    expected[("2024-03-04", "google_ads")] = (1300, 55, 27.00, None, 3.0)  # 900+400; 45+10; 22+5
    expected[("2024-03-03", "meta_ads")] = (3000, 68, 30.00, None, 1.0)  # restated: 44+24
    expected[("2024-03-04", "meta_ads")] = (1000, 15, 9.00, None, 0.0)
    expected[("2024-03-04", "mailchimp")] = (60, 12, 0.0, 0, None)  # (230-200)+(120-90); (50-45)+(25-18)
    expected[("2024-03-04", "klaviyo")] = (30, 6, 0.0, 0, None)  # 380-350; 66-60
    assert _fact(ws.analyst) == expected  # 2024-03-02 on Meta keeps 70: outside its window

    # no secret anywhere a run writes (the OAuth access tokens the fake issued included)
    _assert_no_secret_in(
        [
            ws.root / "first.out",
            ws.root / "first.err",
            ws.root / "nightly.out",
            ws.root / "nightly.err",
            ws.home,
            ws.landing,
            ws.lake,
            ws.warehouse,
            ws.analyst,
        ],
        _needles(google),
    )


def test_a_failing_account_fails_the_run_with_one_line_and_keeps_the_other_sources(tmp_path, google, meta):
    ws = _workspace(tmp_path / "ws", {"google": google, "meta": meta}, ADWH_SOURCES="google_ads,meta_ads")
    google.revoked = True  # the refresh token was revoked
    run = ws.run(date(2024, 3, 1), date(2024, 3, 1), log="revoked")
    assert run.popen.returncode == 1
    err = run.err.read_text()
    assert "FAILED pull_google_ads" in err
    assert "Google Ads account 1111111111 2024-03-01: HTTP 400: OAuth token refresh" in err and "invalid_grant" in err
    assert (ws.landing / "meta_ads" / "2024-03-01" / "meta_ads_act_101.json").exists()
    assert (ws.lake / "raw" / "meta_ads" / "report_date=2024-03-01" / "ad_insights.parquet").exists()
    assert not (ws.landing / "google_ads").exists()
    _assert_no_secret_in([run.out, run.err, ws.home], _needles(google))


def test_adwh_pull_cli(tmp_path, google, mailchimp):
    ws = _workspace(tmp_path / "ws", {"google": google, "mailchimp": mailchimp})
    proc = ws.start(
        "pull", "--source", "google_ads,mailchimp", "--start", "2024-03-02", "--end", "2024-03-03", log="pull"
    )
    assert proc.wait() == 1  # mailchimp 2024-03-02 is not pulled (as of the call)
    out, err = proc.out.read_text(), proc.err.read_text()
    assert "google_ads: 4 written, 0 replaced, 0 unchanged, 0 failed" in out
    assert "mailchimp: 1 written" in out and "1 date(s) not pulled" in out
    assert "mailchimp 2024-03-02: not pulled" in err
    assert not (ws.lake / "raw").exists()  # pulled, not ingested
    again = ws.start("pull", "--source", "google_ads", "--start", "2024-03-02", "--end", "2024-03-03", log="again")
    assert again.wait() == 0
    assert "google_ads: 0 written, 0 replaced, 4 unchanged" in again.out.read_text()


def test_the_same_run_with_the_landing_folder_on_s3(tmp_path, google, meta, mailchimp, klaviyo):
    bucket = "adwh-e2e"
    with s3_server(bucket) as s3_env:
        ws = _workspace(
            tmp_path / "ws",
            {"google": google, "meta": meta, "mailchimp": mailchimp, "klaviyo": klaviyo},
            ADWH_LANDING_DIR=f"s3://{bucket}/landing",
            **s3_env,
        )
        run = ws.run(date(2024, 3, 1), date(2024, 3, 3), log="s3")
        assert run.popen.returncode == 0, run.output()[-6000:]
        keys = list_keys(s3_env, bucket)
    assert "landing/google_ads/2024-03-02/google_ads_2222222222.json" in keys
    assert "landing/klaviyo/2024-03-03/klaviyo_klaviyo.json" in keys
    assert not [k for k in keys if "/." in k]  # no temp objects
    assert not (ws.root / "landing").exists()
    assert _fact(ws.analyst) == EXPECTED_FIRST
