"""Meta Ads pull against the fake Graph API: the async report job, cursor paging, usage headers,
throttling, and the failures that must not be retried."""

from __future__ import annotations

import json
from datetime import date

from orchestration.ingestion.parsers import meta_ads as parser
from orchestration.pull import meta_ads
from orchestration.pull.runner import build_client, pull_source
from tests.pull import data
from tests.pull.conftest import pull_env
from tests.pull.fakes.meta_ads import graph_error

DAY = date(2024, 3, 1)
TOKEN = data.TOKENS["ADWH_META_ACCESS_TOKEN"]


def _pull(meta, tmp_path, sleeps, days=(DAY,), page_limit=500, **env):
    client = build_client("meta_ads", pull_env(meta=meta, **env), sleep=sleeps, page_limit=page_limit)
    return pull_source("meta_ads", days, landing_dir=tmp_path, client=client)


def test_async_job_is_started_polled_and_read_with_cursor_paging(meta, tmp_path, sleeps):
    report = _pull(meta, tmp_path, sleeps, page_limit=1)
    assert report.ok and report.files[0].status == "written"

    start = meta.requests_to("/act_101/insights", "POST")
    assert len(start) == 1
    form = start[0].form
    assert start[0].path == "/v27.0/act_101/insights"
    assert form["level"] == "ad" and form["time_increment"] == "1"
    assert json.loads(form["time_range"]) == {"since": "2024-03-01", "until": "2024-03-01"}
    assert json.loads(form["action_attribution_windows"]) == ["1d_click", "7d_click", "28d_click", "1d_view"]
    assert "7d_view" not in form["action_attribution_windows"] and "28d_view" not in form["action_attribution_windows"]
    assert {"actions", "action_values", "inline_link_clicks", "spend", "account_currency"} <= set(
        form["fields"].split(",")
    )
    assert start[0].headers["authorization"] == f"Bearer {TOKEN}"  # never in a URL

    run_id = list(meta.jobs)[0]
    polls = [r for r in meta.log if r.path == f"/v27.0/{run_id}"]
    assert len(polls) == 4  # Not Started, Started, Running, Completed
    assert len(sleeps.waits) == 3  # a wait between polls, none after completion
    pages = meta.requests_to(f"/{run_id}/insights", "GET")
    assert [p.arg("after") for p in pages] == [None, pages[1].arg("after")] and len(pages) == 2
    assert pages[1].arg("after")  # the cursor of page 1
    assert all(p.arg("limit") == "1" for p in pages)
    assert all("access_token" not in p.query for p in meta.log)

    path = tmp_path / "meta_ads" / "2024-03-01" / "meta_ads_act_101.json"
    text = path.read_text()
    assert TOKEN not in text and "paging" not in text  # the next URLs carry the token: never landed
    document = json.loads(text)
    assert isinstance(document, list) and len(document) == 2
    parsed = parser.parse(path.read_bytes(), file_name=path.name, report_date=DAY)
    assert parsed.records_read == 2 and not parsed.rejects
    windows = {r["attribution_window"] for r in parsed.tables["ad_actions"]}
    assert windows == {"default", "1d_click", "7d_click", "28d_click", "1d_view"}


def test_job_failed_fails_the_day_with_the_job_id(meta, tmp_path, sleeps):
    meta.job_states = ["Job Running", "Job Failed"]
    report = _pull(meta, tmp_path, sleeps)
    assert not report.files
    assert report.errors[0].startswith("Meta Ads account act_101 2024-03-01: HTTP 200: async report job")
    assert "'Job Failed'" in report.errors[0]


def test_expired_token_is_not_retried(meta, tmp_path, sleeps):
    report = _pull(meta, tmp_path, sleeps, ADWH_META_ACCESS_TOKEN="EAAGexpiredTokenValue000")
    assert len(report.errors) == 1 and not report.files
    line = report.errors[0]
    assert line.startswith("Meta Ads account act_101 2024-03-01: HTTP 400: code 190/463 OAuthException")
    assert "Session has expired" in line and "EAAGexpiredTokenValue000" not in line
    assert len(meta.log) == 1 and sleeps.waits == []


def test_unknown_account_fails_alone(meta, tmp_path, sleeps):
    report = _pull(meta, tmp_path, sleeps, ADWH_META_AD_ACCOUNT_IDS="act_999,act_101")
    assert [f.account for f in report.files] == ["act_101"]
    assert report.errors[0].startswith("Meta Ads account act_999 2024-03-01: HTTP 400: code 100/33")
    assert "does not exist" in report.errors[0]


def test_throttling_error_is_retried_after_the_time_meta_gives(meta, tmp_path, sleeps):
    usage = json.dumps(
        {
            "1234567890": [
                {
                    "type": "ads_insights",
                    "call_count": 100,
                    "total_cputime": 40,
                    "total_time": 40,
                    "estimated_time_to_regain_access": 2,
                }
            ]
        }
    )
    meta.fail_next(
        "/act_101/insights",
        lambda: graph_error(
            80004,
            "There have been too many calls to this ad-account. Wait a bit and try again.",
            subcode=2446079,
            headers={"x-business-use-case-usage": usage},
        ),
    )
    report = _pull(meta, tmp_path, sleeps)
    assert report.ok
    assert sleeps.waits[0] == 120.0  # estimated_time_to_regain_access: 2 minutes
    assert len(meta.requests_to("/act_101/insights", "POST")) == 2


def test_user_request_limit_code_17_backs_off(meta, tmp_path, sleeps):
    meta.fail_next("/act_101/insights", lambda: graph_error(17, "User request limit reached", subcode=2446079))
    assert _pull(meta, tmp_path, sleeps).ok
    assert sleeps.waits[0] == 0.001  # no time given: the backoff


def test_high_usage_headers_pause_the_next_call(meta, tmp_path, sleeps):
    meta.account_usage = {"acc_id_util_pct": 97.0, "reset_time_duration": 45}
    assert _pull(meta, tmp_path, sleeps).ok
    assert 45.0 in sleeps.waits


def test_500_then_success_and_malformed_body(meta, tmp_path, sleeps):
    from tests.pull.fakes.base import json_response

    meta.fail_next("/act_101/insights", lambda: graph_error(2, "An unexpected error has occurred.", status=500))
    assert _pull(meta, tmp_path, sleeps).ok
    meta.fail_next(lambda r: r.path.endswith("/insights") and r.method == "GET", lambda: json_response({"rows": []}))
    report = _pull(meta, tmp_path, sleeps, days=(date(2024, 3, 2),))
    assert "HTTP 200: malformed insights page" in report.errors[0]
    assert not (tmp_path / "meta_ads" / "2024-03-02").exists()


def test_account_ids_are_normalised():
    config = meta_ads.Config.from_env({"ADWH_META_ACCESS_TOKEN": TOKEN, "ADWH_META_AD_ACCOUNT_IDS": "101, act_202"})
    assert config.account_ids == ("act_101", "act_202")
    assert config.api_url == "https://graph.facebook.com"


def test_usage_pause_reads_the_documented_headers():
    assert meta_ads.usage_pause({}) is None
    assert meta_ads.usage_pause({"x-ad-account-usage": json.dumps({"acc_id_util_pct": 10})}) is None
    seconds, reason = meta_ads.usage_pause({"x-fb-ads-insights-throttle": json.dumps({"app_id_util_pct": 95})})
    assert seconds == meta_ads.USAGE_PAUSE_SECONDS and "insights-throttle" in reason
