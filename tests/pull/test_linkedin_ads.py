"""LinkedIn Ads pull against the fake Marketing API: versioned headers, the Rest.li 2.0 query of
adAnalytics, query tunnelling, the lookups with page tokens, the four landing files the parser
reads, and the failures that must not be retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest

from orchestration.ingestion.parsers import linkedin_ads as parser
from orchestration.pull import linkedin_ads
from orchestration.pull.http import Http, PullConfigError, RetryPolicy
from orchestration.pull.runner import pull_source
from tests.pull.conftest import FAST
from tests.pull.fakes.base import json_response
from tests.pull.fakes.linkedin_ads import FakeLinkedInAds, restli_error, sample_accounts

DAY = date(2024, 3, 1)
TOKEN = "AQXfakeLinkedInAccessToken0123456789"
ACCOUNT = "508000001"
FILES = [
    f"ad_accounts_{ACCOUNT}.json",
    f"ad_analytics_{ACCOUNT}.json",
    f"ad_campaigns_{ACCOUNT}.json",
    f"creatives_{ACCOUNT}.json",
]


@pytest.fixture
def linkedin() -> Iterator[FakeLinkedInAds]:
    with FakeLinkedInAds(access_token=TOKEN, accounts=sample_accounts()) as server:
        yield server


def env_for(server: FakeLinkedInAds, **extra: str) -> dict[str, str]:
    return {
        **FAST,
        "ADWH_LINKEDIN_ACCESS_TOKEN": TOKEN,
        "ADWH_LINKEDIN_AD_ACCOUNT_IDS": ACCOUNT,
        "ADWH_LINKEDIN_API_URL": server.url,
        **extra,
    }


def client_for(server, sleeps, **extra) -> linkedin_ads.Client:
    env = env_for(server, **{k: v for k, v in extra.items() if k.startswith("ADWH_")})
    http = Http(linkedin_ads.LABEL, RetryPolicy.from_env(env), sleep=sleeps)
    http.secrets.add(env["ADWH_LINKEDIN_ACCESS_TOKEN"])
    options = {k: v for k, v in extra.items() if not k.startswith("ADWH_")}
    return linkedin_ads.Client(linkedin_ads.Config.from_env(env), http, **options)


def _pull(server, tmp_path, sleeps, days=(DAY,), **extra):
    return pull_source("linkedin_ads", days, landing_dir=tmp_path, client=client_for(server, sleeps, **extra))


def test_four_files_with_versioned_headers_and_the_restli_query(linkedin, tmp_path, sleeps):
    report = _pull(linkedin, tmp_path, sleeps, page_size=2)
    assert report.ok, report.errors
    folder = tmp_path / "linkedin_ads" / "2024-03-01"
    assert sorted(p.name for p in folder.iterdir()) == FILES
    for record in linkedin.log:
        assert record.headers["authorization"] == f"Bearer {TOKEN}"
        assert record.headers["linkedin-version"] == linkedin_ads.DEFAULT_API_VERSION
        assert record.headers["x-restli-protocol-version"] == "2.0.0"
        assert record.method == "GET"

    [analytics] = linkedin.requests_to("/rest/adAnalytics")
    assert analytics.arg("q") == "analytics" and analytics.arg("pivot") == "CREATIVE"
    assert analytics.arg("timeGranularity") == "DAILY"
    assert analytics.arg("dateRange") == "(start:(year:2024,month:3,day:1),end:(year:2024,month:3,day:1))"
    assert analytics.arg("accounts") == f"List(urn:li:sponsoredAccount:{ACCOUNT})"
    fields = analytics.arg("fields").split(",")
    assert len(fields) <= 20 and {
        "pivotValues",
        "dateRange",
        "landingPageClicks",
        "costInLocalCurrency",
        "externalWebsitePostClickConversions",
        "externalWebsitePostViewConversions",
        "videoViews",
        "videoCompletions",
    } <= set(fields)
    # creatives: pageSize 2 -> two pages, the second asked for with the first page's token
    creative_pages = linkedin.requests_to(f"/rest/adAccounts/{ACCOUNT}/creatives")
    assert [r.arg("q") for r in creative_pages] == ["criteria", "criteria"]
    assert creative_pages[0].arg("pageToken") is None and creative_pages[1].arg("pageToken")

    for name in FILES:  # what landed is what the parser reads, with zero rejects
        path = folder / name
        assert TOKEN not in path.read_text()
        result = parser.parse(path.read_bytes(), file_name=name, report_date=DAY)
        expected = {"ad_accounts": 1, "ad_analytics": 2, "ad_campaigns": 2, "creatives": 3}[name.rsplit("_", 1)[0]]
        assert result.rejects == [] and result.records_read == expected
    creatives = json.loads((folder / f"creatives_{ACCOUNT}.json").read_text())
    assert [len(p["elements"]) for p in creatives] == [2, 1] and all(set(p) == {"elements"} for p in creatives)
    rows = parser.parse((folder / FILES[1]).read_bytes(), file_name=FILES[1], report_date=DAY).tables["ad_analytics"]
    assert [
        (r["creative_id"], r["landing_page_clicks"], r["cost_in_local_currency"], r["video_views"]) for r in rows
    ] == [("901000001", 40, 250.0, 4000), ("901000002", 36, 175.5, 0)]


def test_an_unchanged_account_re_pulls_byte_identical(linkedin, tmp_path, sleeps):
    assert _pull(linkedin, tmp_path, sleeps).ok
    again = _pull(linkedin, tmp_path, sleeps)
    assert again.ok and [f.status for f in again.files] == ["unchanged"] * 4


def test_a_long_query_is_tunnelled(linkedin, tmp_path, sleeps):
    report = _pull(linkedin, tmp_path, sleeps, max_query_length=100)
    assert report.ok, report.errors
    [post] = linkedin.requests_to("/rest/adAnalytics", "POST")
    assert post.headers["x-http-method-override"] == "GET"
    assert post.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert post.form["pivot"] == "CREATIVE" and post.form["accounts"] == f"List(urn:li:sponsoredAccount:{ACCOUNT})"
    assert not linkedin.requests_to("/rest/adAnalytics", "GET")
    parsed = parser.parse(
        (tmp_path / "linkedin_ads" / "2024-03-01" / FILES[1]).read_bytes(), file_name=FILES[1], report_date=DAY
    )
    assert parsed.records_read == 2


def test_a_414_to_a_get_is_retried_tunnelled(linkedin, tmp_path, sleeps):
    linkedin.max_query_length = 50  # the server's limit is lower than the client thought
    report = _pull(linkedin, tmp_path, sleeps)
    assert report.ok, report.errors
    assert [r.status for r in linkedin.requests_to("/rest/adAnalytics")] == [414, 200]
    assert [r.method for r in linkedin.requests_to("/rest/adAnalytics")] == ["GET", "POST"]


def test_429_is_retried_after_retry_after(linkedin, tmp_path, sleeps):
    linkedin.fail_next(
        "/rest/adAnalytics",
        lambda: json_response(
            {"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS", "message": "Resource level throttle"},
            status=429,
            headers={"Retry-After": "7"},
        ),
    )
    report = _pull(linkedin, tmp_path, sleeps)
    assert report.ok and sleeps.waits == [7.0]
    assert len(linkedin.requests_to("/rest/adAnalytics")) == 2


def test_500_then_success(linkedin, tmp_path, sleeps):
    linkedin.fail_next("/creatives", lambda: restli_error(500, "INTERNAL_SERVER_ERROR", "Internal error"), times=2)
    assert _pull(linkedin, tmp_path, sleeps).ok
    assert len(sleeps.waits) == 2


def test_invalid_token_fails_every_part_once_and_is_redacted(linkedin, tmp_path, sleeps):
    report = _pull(linkedin, tmp_path, sleeps, ADWH_LINKEDIN_ACCESS_TOKEN="AQXwrongTokenValue0000")
    assert not report.files and len(report.errors) == 4 and sleeps.waits == []
    assert report.errors[0].startswith(
        f"LinkedIn Ads account {ACCOUNT}:ad_analytics 2024-03-01: HTTP 401: INVALID_ACCESS_TOKEN"
    )
    assert all("AQXwrongTokenValue0000" not in line for line in report.errors)
    assert len(linkedin.log) == 4  # not retried
    assert not (tmp_path / "linkedin_ads").exists()


def test_inactive_version_names_the_setting(linkedin, tmp_path, sleeps):
    report = _pull(linkedin, tmp_path, sleeps, ADWH_LINKEDIN_API_VERSION="202301")
    assert len(report.errors) == 4
    assert "HTTP 426: NONEXISTENT_VERSION" in report.errors[0] and "ADWH_LINKEDIN_API_VERSION" in report.errors[0]


def test_a_failing_lookup_fails_alone_and_keeps_the_previous_file(linkedin, tmp_path, sleeps):
    assert _pull(linkedin, tmp_path, sleeps).ok
    path = tmp_path / "linkedin_ads" / "2024-03-01" / f"ad_campaigns_{ACCOUNT}.json"
    before = path.read_bytes()
    linkedin.fail_next("/adCampaigns", lambda: restli_error(403, "ACCESS_DENIED", "Not enough permissions"))
    report = _pull(linkedin, tmp_path, sleeps)
    assert len(report.errors) == 1 and f"{ACCOUNT}:ad_campaigns" in report.errors[0] and "HTTP 403" in report.errors[0]
    assert sorted(f.file for f in report.files) == [f for f in FILES if "campaigns" not in f]
    assert path.read_bytes() == before


def test_unknown_account_fails_alone(linkedin, tmp_path, sleeps):
    report = _pull(linkedin, tmp_path, sleeps, ADWH_LINKEDIN_AD_ACCOUNT_IDS=f"999,{ACCOUNT}")
    assert {f.account.split(":")[0] for f in report.files} == {ACCOUNT, "999"}  # an empty report for 999 ...
    assert any("999:ad_accounts" in e and "HTTP 404" in e for e in report.errors)  # ... but no such account
    assert all(e.startswith("LinkedIn Ads account 999:") for e in report.errors)


def test_malformed_body_is_an_error_and_nothing_lands(linkedin, tmp_path, sleeps):
    linkedin.fail_next("/rest/adAnalytics", lambda: json_response({"rows": []}))
    report = _pull(linkedin, tmp_path, sleeps)
    assert "HTTP 200: malformed adAnalytics response" in report.errors[0]
    assert not (tmp_path / "linkedin_ads" / "2024-03-01" / FILES[1]).exists()


def test_config_from_env():
    config = linkedin_ads.Config.from_env(
        {"ADWH_LINKEDIN_ACCESS_TOKEN": TOKEN, "ADWH_LINKEDIN_AD_ACCOUNT_IDS": " urn:li:sponsoredAccount:12, 34,12 "}
    )
    assert config.account_ids == ("12", "34")
    assert (config.api_url, config.api_version) == ("https://api.linkedin.com", linkedin_ads.DEFAULT_API_VERSION)
    with pytest.raises(PullConfigError, match="ADWH_LINKEDIN_AD_ACCOUNT_IDS"):
        linkedin_ads.Config.from_env({"ADWH_LINKEDIN_ACCESS_TOKEN": TOKEN})
    with pytest.raises(PullConfigError, match="not an ad account id"):
        linkedin_ads.Config.from_env({"ADWH_LINKEDIN_ACCESS_TOKEN": TOKEN, "ADWH_LINKEDIN_AD_ACCOUNT_IDS": "act_1"})
    with pytest.raises(PullConfigError, match="YYYYMM"):
        linkedin_ads.Config.from_env(
            {
                "ADWH_LINKEDIN_ACCESS_TOKEN": TOKEN,
                "ADWH_LINKEDIN_AD_ACCOUNT_IDS": "1",
                "ADWH_LINKEDIN_API_VERSION": "2024-06",
            }
        )


def test_restli_values():
    assert linkedin_ads.urn("sponsoredAccount", "5") == "urn%3Ali%3AsponsoredAccount%3A5"
    ymd = "(year:2024,month:12,day:31)"
    assert linkedin_ads.date_range(date(2024, 12, 31)) == f"(start:{ymd},end:{ymd})"
    assert len(linkedin_ads.analytics_query("1", DAY)["fields"].split(",")) <= linkedin_ads.MAX_FIELDS
