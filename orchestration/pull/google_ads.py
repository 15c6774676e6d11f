"""Google Ads: ``googleAds:searchStream`` (REST) per customer and day -> ``landing/google_ads/<date>/``.

- Auth: OAuth2 refresh-token flow through ``google-auth`` (``google.oauth2.credentials``) against
  ``ADWH_GOOGLE_OAUTH_TOKEN_URL``; every call sends ``Authorization: Bearer <access token>``,
  ``developer-token`` and, for a manager (MCC) login, ``login-customer-id``.
- Request: ``POST {ADWH_GOOGLE_ADS_API_URL}/{version}/customers/{id}/googleAds:searchStream`` with a
  GAQL query on ``ad_group_ad`` for one ``segments.date`` (the fields the parser maps, plus
  ``metrics.video_trueview_views``, the TrueView video views that replaced ``video_views``, and
  ``metrics.video_quartile_p100_rate``, the share of impressions watched to the end).
- Response: a JSON array of batches ``{"results": [...], "fieldMask": ..., "requestId": ...}``.
  The landing file keeps the batches with ``results`` and ``fieldMask``; the per-request
  ``requestId`` / ``queryResourceConsumption`` are logged, not landed (an unchanged day re-pulls
  byte-identical). An error (HTTP status, or an ``error`` element in the stream) is classified:
  429 / ``RESOURCE_EXHAUSTED`` / 5xx / ``UNAVAILABLE`` are retried (``RetryInfo.retryDelay`` is
  honoured), everything else (``UNAUTHENTICATED``, ``PERMISSION_DENIED``, an unknown customer, a
  query error) fails that customer's day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

from orchestration.pull.base import PlatformClient, base_url, id_list, required
from orchestration.pull.http import Call, Http, PullConfigError, Verdict, body_excerpt, retry_after_seconds

SOURCE = "google_ads"
LABEL = "Google Ads"
TRIGGER_VARS = ("ADWH_GOOGLE_ADS_DEVELOPER_TOKEN", "ADWH_GOOGLE_ADS_REFRESH_TOKEN")
SECRET_VARS = ("ADWH_GOOGLE_ADS_DEVELOPER_TOKEN", "ADWH_GOOGLE_ADS_CLIENT_SECRET", "ADWH_GOOGLE_ADS_REFRESH_TOKEN")
REQUIRED_VARS = (
    "ADWH_GOOGLE_ADS_DEVELOPER_TOKEN",
    "ADWH_GOOGLE_ADS_CLIENT_ID",
    "ADWH_GOOGLE_ADS_CLIENT_SECRET",
    "ADWH_GOOGLE_ADS_REFRESH_TOKEN",
    "ADWH_GOOGLE_ADS_CUSTOMER_IDS",
)
DEFAULT_API_URL = "https://googleads.googleapis.com"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_API_VERSION = "v26"
SCOPE = "https://www.googleapis.com/auth/adwords"

FIELDS = (
    "customer.id",
    "customer.descriptive_name",
    "customer.currency_code",
    "customer.time_zone",
    "campaign.id",
    "campaign.name",
    "campaign.advertising_channel_type",
    "ad_group.id",
    "ad_group.name",
    "ad_group_ad.ad.id",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.interactions",
    "metrics.cost_micros",
    "metrics.conversions",
    "metrics.conversions_value",
    "metrics.view_through_conversions",
    "metrics.video_trueview_views",
    "metrics.video_quartile_p100_rate",
    "segments.date",
)
RETRY_STATES = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED"})
# per-request fields of a searchStream batch: logged, not landed
VOLATILE_BATCH_FIELDS = ("requestId", "queryResourceConsumption")


def gaql(day: date) -> str:
    """The GAQL query of one report date."""
    d = day.isoformat()
    return f"SELECT {', '.join(FIELDS)} FROM ad_group_ad WHERE segments.date BETWEEN '{d}' AND '{d}'"


def _customer_id(text: str, variable: str) -> str:
    digits = text.replace("-", "").strip()
    if not re.fullmatch(r"\d{6,12}", digits):
        raise PullConfigError(f"{variable}: {text!r} is not a Google Ads customer id (digits, e.g. 123-456-7890)")
    return digits


@dataclass(frozen=True)
class Config:
    developer_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    customer_ids: tuple[str, ...]
    login_customer_id: str | None
    api_url: str = DEFAULT_API_URL
    token_url: str = DEFAULT_TOKEN_URL
    api_version: str = DEFAULT_API_VERSION

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        values = required(env, REQUIRED_VARS, needed_by="the Google Ads pull")
        customers = tuple(
            _customer_id(c, "ADWH_GOOGLE_ADS_CUSTOMER_IDS") for c in id_list(values["ADWH_GOOGLE_ADS_CUSTOMER_IDS"])
        )
        if not customers:
            raise PullConfigError("ADWH_GOOGLE_ADS_CUSTOMER_IDS lists no customer id")
        login = (env.get("ADWH_GOOGLE_ADS_LOGIN_CUSTOMER_ID") or "").strip()
        version = (env.get("ADWH_GOOGLE_ADS_API_VERSION") or DEFAULT_API_VERSION).strip()
        if not re.fullmatch(r"v\d+", version):
            raise PullConfigError(f"ADWH_GOOGLE_ADS_API_VERSION must look like v26, got {version!r}")
        return cls(
            developer_token=values["ADWH_GOOGLE_ADS_DEVELOPER_TOKEN"],
            client_id=values["ADWH_GOOGLE_ADS_CLIENT_ID"],
            client_secret=values["ADWH_GOOGLE_ADS_CLIENT_SECRET"],
            refresh_token=values["ADWH_GOOGLE_ADS_REFRESH_TOKEN"],
            customer_ids=customers,
            login_customer_id=_customer_id(login, "ADWH_GOOGLE_ADS_LOGIN_CUSTOMER_ID") if login else None,
            api_url=base_url(env.get("ADWH_GOOGLE_ADS_API_URL") or DEFAULT_API_URL),
            token_url=(env.get("ADWH_GOOGLE_OAUTH_TOKEN_URL") or DEFAULT_TOKEN_URL).strip(),
            api_version=version,
        )


def _error_detail(error: Mapping[str, Any]) -> tuple[str, str]:
    """(status, 'STATUS: errorCode=VALUE: message') of a google.rpc.Status error object."""
    status = str(error.get("status") or error.get("code") or "ERROR")
    parts = [status]
    for detail in error.get("details") or []:
        for failure in (detail.get("errors") or []) if isinstance(detail, dict) else []:
            code = failure.get("errorCode") or {}
            if isinstance(code, dict) and code:
                key, value = next(iter(code.items()))
                parts.append(f"{key}={value}")
            if failure.get("message"):
                parts.append(str(failure["message"]))
            break
    if len(parts) == 1 and error.get("message"):
        parts.append(str(error["message"]))
    return status, ": ".join(parts)


def _retry_delay(error: Mapping[str, Any]) -> float | None:
    """``google.rpc.RetryInfo.retryDelay`` ("30s") of an error, in seconds."""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _errors_in(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        return [document["error"]]
    if isinstance(document, list):
        return [item["error"] for item in document if isinstance(item, dict) and isinstance(item.get("error"), dict)]
    return []


def classify(response: requests.Response) -> Verdict:
    status = response.status_code
    try:
        document = response.json()
    except ValueError:
        document = None
    errors = _errors_in(document)
    if 200 <= status < 300 and not errors:
        return Verdict.ok()
    if errors:
        state, detail = _error_detail(errors[0])
        asked = _retry_delay(errors[0]) or retry_after_seconds(response.headers)
        if status == 429 or status >= 500 or state in RETRY_STATES:
            return Verdict.retry(detail, asked)
        return Verdict.fail(detail)
    detail = body_excerpt(response) or response.reason or "error"
    if status == 429 or status >= 500:
        return Verdict.retry(detail, retry_after_seconds(response.headers))
    return Verdict.fail(detail)


class Client(PlatformClient):
    source = SOURCE
    label = LABEL

    def __init__(self, config: Config, http: Http) -> None:
        super().__init__(config, http)
        from google.oauth2.credentials import Credentials

        self.credentials = Credentials(
            token=None,
            refresh_token=config.refresh_token,
            token_uri=config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=[SCOPE],
        )
        self.request_ids: list[str] = []

    def accounts(self) -> tuple[str, ...]:
        return self.config.customer_ids

    def access_token(self, call: Call) -> str:
        """A valid access token (refreshed through google-auth when missing or expired)."""
        if self.credentials.valid:
            return self.credentials.token
        from google.auth.exceptions import RefreshError, TransportError

        transport = _RecordingRequest(self.http.session, self.http.policy.timeout)
        try:
            self.credentials.refresh(transport)
        except RefreshError as exc:
            reason = exc.args[0] if exc.args else str(exc)
            raise self.http.error(
                call, transport.last_status, f"OAuth token refresh at {self.config.token_url} failed: {reason}"
            ) from None
        except TransportError as exc:
            raise self.http.error(
                call, None, f"OAuth token endpoint {self.config.token_url} unreachable: {exc}"
            ) from None
        self.http.secrets.add(self.credentials.token)
        return self.credentials.token

    def fetch(self, account: str, day: date) -> list[dict[str, Any]]:
        call = Call(account, day)
        headers = {
            "Authorization": f"Bearer {self.access_token(call)}",
            "developer-token": self.config.developer_token,
            "Content-Type": "application/json",
        }
        if self.config.login_customer_id:
            headers["login-customer-id"] = self.config.login_customer_id
        url = f"{self.config.api_url}/{self.config.api_version}/customers/{account}/googleAds:searchStream"
        response = self.http.request("POST", url, call, classify=classify, headers=headers, json={"query": gaql(day)})
        document = self.http.json(response, call, "searchStream response")
        if isinstance(document, dict):
            document = [document]  # one batch object
        if not isinstance(document, list) or not all(isinstance(batch, dict) for batch in document):
            raise self.http.error(
                call, response.status_code, "malformed searchStream response: expected a JSON array of batches"
            )
        batches = []
        for batch in document:
            if not isinstance(batch.get("results", []), list):
                raise self.http.error(
                    call, response.status_code, "malformed searchStream batch: results is not an array"
                )
            if batch.get("requestId"):
                self.request_ids.append(str(batch["requestId"]))
            batches.append({k: v for k, v in batch.items() if k not in VOLATILE_BATCH_FIELDS})
        return batches

    def describe(self, document: Any) -> str:
        rows = sum(len(batch.get("results", [])) for batch in document)
        ids = sorted(set(self.request_ids))[-1:] if self.request_ids else []
        return f"{rows} rows" + (f" (request id {ids[0]})" if ids else "")


try:  # google-auth's requests transport, recording the token endpoint's HTTP status for PullError
    from google.auth.transport.requests import Request as _GoogleRequest

    class _RecordingRequest(_GoogleRequest):
        def __init__(self, session: requests.Session, timeout: float) -> None:
            super().__init__(session=session)
            self.timeout = timeout
            self.last_status: int | None = None

        def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):  # type: ignore[override]
            response = super().__call__(
                url, method=method, body=body, headers=headers, timeout=timeout or self.timeout, **kwargs
            )
            self.last_status = response.status
            return response

except ImportError:  # pragma: no cover - google-auth is a dependency of the pull
    _RecordingRequest = None  # type: ignore[assignment,misc]
