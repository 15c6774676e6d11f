"""The shared HTTP core: retries with backoff on 429/5xx/connection errors, Retry-After, the
wait budget, a timeout on every call, and one redacted line for what retrying cannot fix."""

from __future__ import annotations

import socket
from datetime import UTC, date

import pytest
from werkzeug.wrappers import Request, Response

from orchestration.pull.http import Call, Http, PullConfigError, PullError, RetryPolicy, retry_after_seconds
from tests.pull.fakes.base import FakeServer, json_response

CALL = Call("acct-1", date(2024, 3, 1))


class Echo(FakeServer):
    def handle(self, request: Request) -> Response:
        return json_response({"ok": True, "path": request.path})


@pytest.fixture
def echo():
    with Echo() as server:
        yield server


def _http(sleeps, **policy) -> Http:
    defaults = {"attempts": 4, "initial_wait": 0.5, "max_backoff": 4.0, "total_wait": 100.0, "timeout": 5.0}
    return Http("Test", RetryPolicy(**{**defaults, **policy}), sleep=sleeps)


def test_500_then_success_backs_off_exponentially(echo, sleeps):
    echo.fail_next("/x", lambda: json_response({"error": "boom"}, status=500), times=2)
    response = _http(sleeps).request("GET", f"{echo.url}/x", CALL)
    assert response.json()["ok"] is True
    assert [r.status for r in echo.log] == [500, 500, 200]
    assert sleeps.waits == [0.5, 1.0]  # initial, doubled


def test_429_waits_what_retry_after_asks(echo, sleeps):
    echo.fail_next("/x", lambda: json_response({}, status=429, headers={"Retry-After": "7"}))
    _http(sleeps).request("GET", f"{echo.url}/x", CALL)
    assert sleeps.waits == [7.0]  # more than the backoff (0.5), as asked


def test_retries_run_out_with_one_line_naming_platform_account_date_status(echo, sleeps):
    echo.fail_next("/x", lambda: json_response({"error": "down"}, status=503), times=10)
    with pytest.raises(PullError) as caught:
        _http(sleeps, attempts=3).request("GET", f"{echo.url}/x", CALL)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Test account acct-1 2024-03-01: HTTP 503:")
    assert "retries exhausted after 3 attempt(s)" in message
    assert len(echo.log) == 3


def test_total_wait_is_capped(echo, sleeps):
    echo.fail_next("/x", lambda: json_response({}, status=429, headers={"Retry-After": "60"}), times=10)
    with pytest.raises(PullError, match="wait budget exhausted"):
        _http(sleeps, total_wait=100.0, attempts=10).request("GET", f"{echo.url}/x", CALL)
    assert sleeps.waits == [60.0]  # a second 60 s wait would exceed the 100 s budget
    assert len(echo.log) == 2


def test_a_401_is_not_retried_and_tokens_are_redacted(echo, sleeps, monkeypatch):
    monkeypatch.setenv("ADWH_META_ACCESS_TOKEN", "EAAGsecretTokenValue123")
    echo.fail_next("/x", lambda: json_response({"error": "bad token EAAGsecretTokenValue123"}, status=401))
    with pytest.raises(PullError) as caught:
        _http(sleeps).request("GET", f"{echo.url}/x", CALL)
    assert "HTTP 401" in str(caught.value) and "***" in str(caught.value)
    assert "EAAGsecretTokenValue123" not in str(caught.value)
    assert len(echo.log) == 1 and sleeps.waits == []


def test_run_time_secrets_are_scrubbed_too(echo, sleeps):
    http = _http(sleeps)
    http.secrets.add("ya29.runtime-access-token")
    echo.fail_next("/x", lambda: json_response({"error": "ya29.runtime-access-token expired"}, status=403))
    with pytest.raises(PullError) as caught:
        http.request("GET", f"{echo.url}/x", CALL)
    assert "ya29.runtime-access-token" not in str(caught.value)


def test_connection_errors_are_retried_then_fail_clearly(sleeps):
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PullError) as caught:
        _http(sleeps, attempts=3).request("GET", f"http://127.0.0.1:{port}/x", CALL)
    assert "no HTTP response" in str(caught.value) and "ConnectionError" in str(caught.value)
    assert sleeps.waits == [0.5, 1.0]


def test_every_call_has_a_timeout(echo, sleeps):
    seen = []
    http = _http(sleeps, timeout=3.5)
    original = http.session.request
    http.session.request = lambda *a, **kw: seen.append(kw.get("timeout")) or original(*a, **kw)
    http.request("GET", f"{echo.url}/x", CALL)
    assert seen == [(3.5, 3.5)]


def test_malformed_body_names_the_status(echo, sleeps):
    echo.fail_next("/x", lambda: Response("<html>proxy error", status=200, content_type="text/html"))
    http = _http(sleeps)
    response = http.request("GET", f"{echo.url}/x", CALL)
    with pytest.raises(PullError, match=r"HTTP 200: malformed response: not JSON"):
        http.json(response, CALL)


def test_retry_after_as_http_date():
    from datetime import datetime

    now = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "Fri, 01 Mar 2024 12:00:30 GMT"}, lambda: now) == 30.0
    assert retry_after_seconds({}) is None


def test_policy_from_env_validates():
    policy = RetryPolicy.from_env({"ADWH_PULL_MAX_ATTEMPTS": "2", "ADWH_PULL_BACKOFF_INITIAL_SECONDS": "0.1"})
    assert policy.attempts == 2 and policy.initial_wait == 0.1
    with pytest.raises(PullConfigError, match="ADWH_PULL_TIMEOUT_SECONDS"):
        RetryPolicy.from_env({"ADWH_PULL_TIMEOUT_SECONDS": "soon"})
