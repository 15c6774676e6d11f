"""Mailchimp and Klaviyo pulls against their fakes: paging, auth, rate limits, and the as-of-call
rule (a snapshot is taken during its day or shortly after; older days are never overwritten)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from orchestration.ingestion.parsers import klaviyo as klaviyo_parser
from orchestration.ingestion.parsers import mailchimp as mailchimp_parser
from orchestration.pull import clock, klaviyo, mailchimp
from orchestration.pull.http import PullConfigError
from orchestration.pull.runner import build_client, pull_source, refusal
from tests.pull import data
from tests.pull.conftest import pull_env
from tests.pull.fakes.base import json_response
from tests.pull.fakes.klaviyo import api_errors
from tests.pull.fakes.mailchimp import problem

D3 = date(2024, 3, 3)
NIGHT = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)  # the nightly run after D3


@pytest.fixture(autouse=True)
def night(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NIGHT)


def _pull(source, server, tmp_path, sleeps, days=(D3,), client_options=None, **env):
    environment = pull_env(**{source: server}, **env)
    client = build_client(source, environment, sleep=sleeps, **(client_options or {}))
    return pull_source(source, days, landing_dir=tmp_path, env=environment, client=client)


# ----------------------------------------------------------------------------- the as-of-call rule
def test_snapshot_rule():
    grace = timedelta(hours=12)
    rule = lambda day, now, as_of=True: refusal(day, as_of_call=as_of, now=now, grace=grace, label="Mailchimp")  # noqa: E731
    assert rule(D3, NIGHT) is None  # yesterday, 2 h after it ended
    assert rule(date(2024, 3, 4), NIGHT) is None  # today (a provisional snapshot, replaced by the next night)
    assert "returns totals as of the call" in rule(date(2024, 3, 2), NIGHT)
    assert rule(D3, NIGHT + timedelta(hours=10)) is None  # 12:00, 12 h after the end of D3
    assert "within 12 h" in rule(D3, NIGHT + timedelta(hours=10, minutes=1))
    assert "has not begun" in rule(date(2024, 3, 5), NIGHT, as_of=False)
    assert rule(date(2024, 1, 1), NIGHT, as_of=False) is None  # ad platforms report any past day


def test_past_dates_are_refused_and_older_snapshots_kept(mailchimp, tmp_path, sleeps):
    old = tmp_path / "mailchimp" / "2024-03-02" / "mailchimp_us21.json"
    old.parent.mkdir(parents=True)
    old.write_text('{"reports": [], "total_items": 0}')
    report = _pull("mailchimp", mailchimp, tmp_path, sleeps, days=(date(2024, 3, 1), date(2024, 3, 2), D3))
    assert [n.report_date for n in report.not_pulled] == ["2024-03-01", "2024-03-02"]
    assert "Mailchimp returns totals as of the call, not as of 2024-03-01" in report.not_pulled[0].reason
    assert [f.report_date for f in report.files] == ["2024-03-03"]
    assert old.read_text() == '{"reports": [], "total_items": 0}'  # history untouched
    assert not (tmp_path / "mailchimp" / "2024-03-01").exists()
    assert len(mailchimp.log) == 1  # no call made for a refused date


# ----------------------------------------------------------------------------- Mailchimp
def test_mailchimp_pages_with_count_and_offset_and_basic_auth(mailchimp, tmp_path, sleeps):
    report = _pull("mailchimp", mailchimp, tmp_path, sleeps, client_options={"page_size": 1})
    assert report.ok
    calls = mailchimp.requests_to("/3.0/reports")
    assert [(c.arg("count"), c.arg("offset")) for c in calls] == [("1", "0"), ("1", "1")]
    user, _, password = base64.b64decode(calls[0].headers["authorization"][6:]).decode().partition(":")
    assert password == data.TOKENS["ADWH_MAILCHIMP_API_KEY"]
    path = tmp_path / "mailchimp" / "2024-03-03" / "mailchimp_us21.json"
    document = json.loads(path.read_text())
    assert len(document) == 2 and "_links" not in path.read_text()
    parsed = mailchimp_parser.parse(path.read_bytes(), file_name=path.name, report_date=D3)
    assert parsed.records_read == 2 and not parsed.rejects and not parsed.warnings


def test_mailchimp_data_centre_comes_from_the_key():
    config = mailchimp.Config.from_env({"ADWH_MAILCHIMP_API_KEY": "abcdef0123456789-us21"})
    assert config.api_url == "https://us21.api.mailchimp.com" and config.account == "us21"
    with pytest.raises(PullConfigError, match="data-centre suffix"):
        mailchimp.Config.from_env({"ADWH_MAILCHIMP_API_KEY": "abcdef0123456789"})


def test_mailchimp_401_429_500_and_malformed(mailchimp, tmp_path, sleeps):
    bad = _pull("mailchimp", mailchimp, tmp_path, sleeps, ADWH_MAILCHIMP_API_KEY="ffffffffffffffff-us21")
    assert bad.errors[0].startswith("Mailchimp account us21 2024-03-03: HTTP 401: API Key Invalid")
    assert "ffffffffffffffff-us21" not in bad.errors[0]

    mailchimp.fail_next(
        "/3.0/reports",
        lambda: problem(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections."),
    )
    mailchimp.fail_next("/3.0/reports", lambda: problem(500, "Internal Server Error", "An unexpected error occurred"))
    assert _pull("mailchimp", mailchimp, tmp_path, sleeps).ok
    assert len(sleeps.waits) == 2

    mailchimp.fail_next("/3.0/reports", lambda: json_response({"reports": [], "total_items": "many"}))
    malformed = _pull("mailchimp", mailchimp, tmp_path, sleeps)
    assert "HTTP 200: malformed reports page: total_items" in malformed.errors[0]


# ----------------------------------------------------------------------------- Klaviyo
def test_klaviyo_asks_for_the_year_ending_with_the_day(klaviyo, tmp_path, sleeps):
    report = _pull("klaviyo", klaviyo, tmp_path, sleeps)
    assert report.ok
    call = klaviyo.requests_to("/api/campaign-values-reports", "POST")
    assert len(call) == 1  # one report for all campaigns
    assert call[0].headers["authorization"] == f"Klaviyo-API-Key {data.TOKENS['ADWH_KLAVIYO_API_KEY']}"
    assert call[0].headers["revision"] == klaviyo_module_revision()
    body = call[0].json()["data"]
    assert body["type"] == "campaign-values-report"
    attributes = body["attributes"]
    assert attributes["conversion_metric_id"] == data.KLAVIYO_METRIC
    assert attributes["timeframe"] == {"start": "2023-03-05T00:00:00+00:00", "end": "2024-03-04T00:00:00+00:00"}
    assert {"opens_unique", "clicks_unique", "delivered", "conversions", "conversion_value"} <= set(
        attributes["statistics"]
    )
    path = tmp_path / "klaviyo" / "2024-03-03" / "klaviyo_klaviyo.json"
    parsed = klaviyo_parser.parse(path.read_bytes(), file_name=path.name, report_date=D3)
    assert [r["campaign_id"] for r in parsed.tables["campaign_snapshots"]] == ["K1"]  # K0 was sent > 1 year before
    assert "links" not in json.loads(path.read_text())


def klaviyo_module_revision() -> str:
    return klaviyo.DEFAULT_REVISION


def test_klaviyo_429_waits_retry_after_and_ratelimit_headers_pause_paging(klaviyo, tmp_path, sleeps):
    klaviyo.fail_next(
        "/api/campaign-values-reports",
        lambda: api_errors(
            429,
            "throttled",
            "Request was throttled.",
            "Request was throttled. Expected available in 31 seconds.",
            headers={"Retry-After": "31", "RateLimit-Limit": "2", "RateLimit-Remaining": "0", "RateLimit-Reset": "31"},
        ),
    )
    klaviyo.page_size = 1
    klaviyo.messages.append({**klaviyo.messages[1], "campaign_id": "K2", "campaign_message_id": "M2"})
    klaviyo.remaining = 1  # the first page uses the last call of the window
    report = _pull("klaviyo", klaviyo, tmp_path, sleeps)
    assert report.ok
    calls = klaviyo.requests_to("/api/campaign-values-reports")
    assert len(calls) == 3  # throttled, page 1, page 2
    assert calls[2].arg("page_cursor") and calls[1].arg("page_cursor") is None
    assert sleeps.waits == [31.0, 30.0]  # Retry-After, then RateLimit-Reset before page 2
    document = json.loads((tmp_path / "klaviyo" / "2024-03-03" / "klaviyo_klaviyo.json").read_text())
    assert isinstance(document, list) and len(document) == 2


def test_klaviyo_401_unknown_metric_and_malformed(klaviyo, tmp_path, sleeps):
    unauthorised = _pull("klaviyo", klaviyo, tmp_path, sleeps, ADWH_KLAVIYO_API_KEY="pk_wrong_key_000000")
    assert unauthorised.errors[0].startswith("Klaviyo account klaviyo 2024-03-03: HTTP 401: not_authenticated")
    unknown = _pull("klaviyo", klaviyo, tmp_path, sleeps, ADWH_KLAVIYO_CONVERSION_METRIC_ID="Nope00")
    assert "HTTP 400: invalid" in unknown.errors[0] and "Conversion metric does not exist" in unknown.errors[0]
    klaviyo.fail_next("/api/", lambda: json_response({"data": {"type": "flow-values-report"}}))
    malformed = _pull("klaviyo", klaviyo, tmp_path, sleeps)
    assert "HTTP 200: malformed response" in malformed.errors[0]
    klaviyo.fail_next("/api/", lambda: api_errors(503, "service_unavailable", "Service unavailable.", "retry later"))
    assert _pull("klaviyo", klaviyo, tmp_path, sleeps).ok
    assert not [e for e in (unauthorised.errors + unknown.errors) if data.TOKENS["ADWH_KLAVIYO_API_KEY"] in e]


def test_klaviyo_needs_the_conversion_metric():
    with pytest.raises(PullConfigError, match="ADWH_KLAVIYO_CONVERSION_METRIC_ID"):
        klaviyo.Config.from_env({"ADWH_KLAVIYO_API_KEY": "pk_123456789"})
