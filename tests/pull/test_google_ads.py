"""Google Ads pull against the fake searchStream + OAuth servers: the requests made, the files
written, and every failure a real deployment meets."""

from __future__ import annotations

import json
from datetime import date

import pytest

from orchestration.ingestion.parsers import google_ads as parser
from orchestration.pull import google_ads
from orchestration.pull.http import PullConfigError
from orchestration.pull.runner import build_client, pull_source
from tests.pull import data
from tests.pull.conftest import pull_env
from tests.pull.fakes.base import json_response
from tests.pull.fakes.google_ads import rpc_error

DAY = date(2024, 3, 1)


def _pull(google, tmp_path, sleeps, days=(DAY,), **env):
    return pull_source("google_ads", days, landing_dir=tmp_path, env=pull_env(google=google, **env), sleep=sleeps)


def test_requests_oauth_headers_query_and_writes_one_file_per_customer(google, tmp_path, sleeps):
    report = _pull(google, tmp_path, sleeps, ADWH_GOOGLE_ADS_LOGIN_CUSTOMER_ID="999-000-1111")
    assert report.ok and [f.status for f in report.files] == ["written", "written"]

    token_calls = google.requests_to("/token")
    assert len(token_calls) == 1  # one refresh, reused for both customers
    form = token_calls[0].form
    assert form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == data.TOKENS["ADWH_GOOGLE_ADS_REFRESH_TOKEN"]
    assert form["client_id"] == data.TOKENS["ADWH_GOOGLE_ADS_CLIENT_ID"]

    searches = google.requests_to("googleAds:searchStream", "POST")
    assert [r.path for r in searches] == [
        "/v26/customers/1111111111/googleAds:searchStream",
        "/v26/customers/2222222222/googleAds:searchStream",
    ]
    for call in searches:
        assert call.headers["authorization"] == f"Bearer {google.issued_tokens[0]}"
        assert call.headers["developer-token"] == data.TOKENS["ADWH_GOOGLE_ADS_DEVELOPER_TOKEN"]
        assert call.headers["login-customer-id"] == "9990001111"
        query = call.json()["query"]
        assert "FROM ad_group_ad" in query and "segments.date BETWEEN '2024-03-01' AND '2024-03-01'" in query
        for field in (
            "metrics.cost_micros",
            "metrics.view_through_conversions",
            "metrics.video_trueview_views",
            "customer.currency_code",
            "campaign.advertising_channel_type",
            "ad_group_ad.ad.id",
        ):
            assert field in query

    written = tmp_path / "google_ads" / "2024-03-01" / "google_ads_1111111111.json"
    document = json.loads(written.read_text())
    assert isinstance(document, list) and "requestId" not in document[0]  # per-request id not landed
    rows = document[0]["results"]
    assert rows[0]["metrics"]["costMicros"] == "25000000"  # int64 as a string, as the API sends it
    assert "conversions" not in rows[1]["metrics"]  # a zero metric is absent
    parsed = parser.parse(written.read_bytes(), file_name=written.name, report_date=DAY)
    assert parsed.records_read == 2 and not parsed.rejects
    assert [r["impressions"] for r in parsed.tables["ad_stats"]] == [1000, 5000]


def test_identical_repull_leaves_the_file_untouched_and_a_change_replaces_it(google, tmp_path, sleeps):
    _pull(google, tmp_path, sleeps)
    path = tmp_path / "google_ads" / "2024-03-01" / "google_ads_1111111111.json"
    before = path.stat().st_mtime_ns
    again = _pull(google, tmp_path, sleeps)
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert path.stat().st_mtime_ns == before
    google.accounts["1111111111"]["rows"]["2024-03-01"][0]["conversions"] = 9.0  # late conversions
    restated = _pull(google, tmp_path, sleeps)
    assert [f.status for f in restated.files] == ["replaced", "unchanged"]
    assert json.loads(path.read_text())[0]["results"][0]["metrics"]["conversions"] == 9.0


def test_multi_batch_stream_is_kept_as_batches(google, tmp_path, sleeps):
    google.batch_size = 1
    _pull(google, tmp_path, sleeps)
    document = json.loads((tmp_path / "google_ads" / "2024-03-01" / "google_ads_1111111111.json").read_text())
    assert len(document) == 2 and all(len(b["results"]) == 1 for b in document)


def test_429_resource_exhausted_honours_retry_delay(google, tmp_path, sleeps):
    def exhausted():
        response = rpc_error(
            429, "RESOURCE_EXHAUSTED", "Too many requests.", {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"}
        )
        body = json.loads(response.get_data())
        body[0]["error"]["details"].append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"})
        return json_response(body, status=429)

    google.fail_next("customers/1111111111", exhausted)
    report = _pull(google, tmp_path, sleeps)
    assert report.ok
    assert sleeps.waits == [12.0]
    assert len(google.requests_to("customers/1111111111")) == 2


def test_500_then_success(google, tmp_path, sleeps):
    google.fail_next(
        "searchStream",
        lambda: rpc_error(500, "INTERNAL", "Internal error encountered.", {"internalError": "INTERNAL_ERROR"}),
    )
    assert _pull(google, tmp_path, sleeps).ok
    assert len(sleeps.waits) == 1


def test_expired_refresh_token_fails_every_customer_with_one_clear_line(google, tmp_path, sleeps):
    google.revoked = True
    report = _pull(google, tmp_path, sleeps)
    assert not report.files and len(report.errors) == 2
    line = report.errors[0]
    assert line.startswith("Google Ads account 1111111111 2024-03-01: HTTP 400: OAuth token refresh")
    assert "invalid_grant" in line and "expired or revoked" in line
    assert data.TOKENS["ADWH_GOOGLE_ADS_REFRESH_TOKEN"] not in line
    assert not (tmp_path / "google_ads").exists()


def test_401_unknown_customer_and_bad_query_fail_their_day_only(google, tmp_path, sleeps):
    google.fail_next(
        "customers/1111111111",
        lambda: rpc_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
            {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
        ),
    )
    env = {"ADWH_GOOGLE_ADS_CUSTOMER_IDS": "1111111111,2222222222,3333333333"}
    report = _pull(google, tmp_path, sleeps, **env)
    assert [f.account for f in report.files] == ["2222222222"]
    assert report.errors[0].startswith("Google Ads account 1111111111 2024-03-01: HTTP 401: UNAUTHENTICATED")
    assert report.errors[1].startswith("Google Ads account 3333333333 2024-03-01: HTTP 403: PERMISSION_DENIED")
    assert "USER_PERMISSION_DENIED" in report.errors[1]
    assert len(google.requests_to("customers/1111111111")) == 1  # not retried
    assert sleeps.waits == []


def test_failed_restatement_keeps_the_previous_file(google, tmp_path, sleeps):
    _pull(google, tmp_path, sleeps)
    path = tmp_path / "google_ads" / "2024-03-01" / "google_ads_1111111111.json"
    before = path.read_bytes()
    google.accounts["1111111111"]["rows"]["2024-03-01"][0]["clicks"] = 51
    google.fail_next(
        "customers/1111111111",
        lambda: rpc_error(
            400,
            "INVALID_ARGUMENT",
            "Unrecognized field in the query: 'metrics.video_trueview_views'.",
            {"queryError": "UNRECOGNIZED_FIELD"},
        ),
    )
    report = _pull(google, tmp_path, sleeps)
    assert "HTTP 400: INVALID_ARGUMENT: queryError=UNRECOGNIZED_FIELD" in report.errors[0]
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp file left


def test_malformed_body(google, tmp_path, sleeps):
    google.fail_next("customers/2222222222", lambda: json_response({"results": "nope"}))
    report = _pull(google, tmp_path, sleeps)
    assert [f.account for f in report.files] == ["1111111111"]
    assert "HTTP 200: malformed searchStream batch" in report.errors[0]


def test_configuration_names_missing_variables():
    env = {"ADWH_GOOGLE_ADS_DEVELOPER_TOKEN": "x" * 10}
    with pytest.raises(PullConfigError) as caught:
        google_ads.Config.from_env(env)
    for name in (
        "ADWH_GOOGLE_ADS_CLIENT_ID",
        "ADWH_GOOGLE_ADS_CLIENT_SECRET",
        "ADWH_GOOGLE_ADS_REFRESH_TOKEN",
        "ADWH_GOOGLE_ADS_CUSTOMER_IDS",
    ):
        assert name in str(caught.value)
    with pytest.raises(PullConfigError, match="not a Google Ads customer id"):
        google_ads.Config.from_env({**data.TOKENS, "ADWH_GOOGLE_ADS_CUSTOMER_IDS": "abc"})


def test_defaults_are_the_public_endpoints():
    config = google_ads.Config.from_env({**data.TOKENS, "ADWH_GOOGLE_ADS_CUSTOMER_IDS": "123-456-7890"})
    assert config.api_url == "https://googleads.googleapis.com"
    assert config.token_url == "https://oauth2.googleapis.com/token"
    assert config.customer_ids == ("1234567890",) and config.login_customer_id is None


def test_client_is_built_from_the_environment(google, sleeps):
    client = build_client("google_ads", pull_env(google=google), sleep=sleeps)
    assert client.accounts() == ("1111111111", "2222222222")
