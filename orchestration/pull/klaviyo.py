"""Klaviyo: one ``POST /api/campaign-values-reports`` per report date for all campaigns ->
``landing/klaviyo/<date>/klaviyo_klaviyo.json``.

- Headers: ``Authorization: Klaviyo-API-Key <key>``, ``revision`` (``ADWH_KLAVIYO_API_REVISION``,
  default below), JSON:API content types. Body: the statistics the parser maps, the conversion
  metric (``ADWH_KLAVIYO_CONVERSION_METRIC_ID``, required by the API) and a custom ``timeframe``.
- Timeframe: the report of date D asks for ``[D + 1 day − 365 days, D + 1 day)`` — the
  longest window the API allows (one year), ending exactly at the end of D (Klaviyo ignores the
  offset and uses the account's time zone). Klaviyo's campaign reports select campaigns by
  *send date* and count their events *up to the call*: the window decides which campaigns are
  in the report, not as of when they are counted. So the totals are as of the call, like
  Mailchimp's, and the runner refuses a date over by more than the snapshot grace.
- Limits (1/s burst, 2/min steady, 225/day): one report per day, paged with ``page_cursor``
  only if Klaviyo returns ``links.next``; a 429 waits ``Retry-After``; ``RateLimit-Remaining: 0``
  pauses the next call for ``RateLimit-Reset`` seconds.
- The landing document keeps ``data.type`` / ``data.attributes`` / ``data.relationships``; the
  per-request ``links`` (cursors) and ``data.id`` are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from orchestration.pull.base import PlatformClient, base_url, required
from orchestration.pull.http import Call, Http, PullConfigError, Verdict, body_excerpt, retry_after_seconds

SOURCE = "klaviyo"
LABEL = "Klaviyo"
TRIGGER_VARS = ("ADWH_KLAVIYO_API_KEY",)
SECRET_VARS = ("ADWH_KLAVIYO_API_KEY",)
DEFAULT_API_URL = "https://a.klaviyo.com"
DEFAULT_REVISION = "2026-10-15"
REPORT_TYPE = "campaign-values-report"
STATISTICS = (
    "recipients",
    "delivered",
    "bounced",
    "opens",
    "opens_unique",
    "clicks",
    "clicks_unique",
    "unsubscribes",
    "conversions",
    "conversion_value",
)
TIMEFRAME_DAYS = 365  # the API's maximum timeframe is one year
ACCOUNT = "klaviyo"  # the report names no account (docs/decisions.md)
JSONAPI = "application/vnd.api+json"


def timeframe(day: date) -> dict[str, str]:
    end = day + timedelta(days=1)
    start = end - timedelta(days=TIMEFRAME_DAYS)
    return {"start": f"{start.isoformat()}T00:00:00+00:00", "end": f"{end.isoformat()}T00:00:00+00:00"}


@dataclass(frozen=True)
class Config:
    api_key: str
    conversion_metric_id: str
    api_url: str = DEFAULT_API_URL
    revision: str = DEFAULT_REVISION

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        values = required(
            env, ("ADWH_KLAVIYO_API_KEY", "ADWH_KLAVIYO_CONVERSION_METRIC_ID"), needed_by="the Klaviyo pull"
        )
        revision = (env.get("ADWH_KLAVIYO_API_REVISION") or DEFAULT_REVISION).strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.[a-z0-9]+)?", revision):
            raise PullConfigError(f"ADWH_KLAVIYO_API_REVISION must look like 2026-10-15, got {revision!r}")
        return cls(
            api_key=values["ADWH_KLAVIYO_API_KEY"],
            conversion_metric_id=values["ADWH_KLAVIYO_CONVERSION_METRIC_ID"],
            api_url=base_url(env.get("ADWH_KLAVIYO_API_URL") or DEFAULT_API_URL),
            revision=revision,
        )


def classify(response: requests.Response) -> Verdict:
    status = response.status_code
    if 200 <= status < 300:
        return Verdict.ok()
    try:
        document = response.json()
    except ValueError:
        document = None
    errors = document.get("errors") if isinstance(document, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = f"{first.get('code', '')}: {first.get('title', '')} {first.get('detail', '')}".strip()
    else:
        detail = body_excerpt(response) or response.reason or "error"
    if status == 429 or status >= 500:
        return Verdict.retry(detail, retry_after_seconds(response.headers))
    return Verdict.fail(detail)


def rate_limit_pause(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait before the next call when ``RateLimit-Remaining`` is 0."""
    remaining = headers.get("RateLimit-Remaining")
    if remaining is None or str(remaining).strip() != "0":
        return None
    try:
        return max(0.0, float(headers.get("RateLimit-Reset", "0")))
    except ValueError:
        return None


class Client(PlatformClient):
    source = SOURCE
    label = LABEL
    as_of_call = True

    def __init__(self, config: Config, http: Http) -> None:
        super().__init__(config, http)
        self._pause_next: float | None = None

    def accounts(self) -> tuple[str, ...]:
        return (ACCOUNT,)

    def fetch(self, account: str, day: date) -> Any:
        call = Call(account, day)
        body = {
            "data": {
                "type": REPORT_TYPE,
                "attributes": {
                    "statistics": list(STATISTICS),
                    "timeframe": timeframe(day),
                    "conversion_metric_id": self.config.conversion_metric_id,
                },
            }
        }
        headers = {
            "Authorization": f"Klaviyo-API-Key {self.config.api_key}",
            "revision": self.config.revision,
            "accept": JSONAPI,
            "content-type": JSONAPI,
        }
        pages: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            if self._pause_next:
                seconds, self._pause_next = self._pause_next, None
                self.http.pause(seconds, "RateLimit-Remaining is 0", call)
            response = self.http.request(
                "POST",
                f"{self.config.api_url}/api/campaign-values-reports",
                call,
                classify=classify,
                headers=headers,
                json=body,
                params={"page_cursor": cursor} if cursor else None,
            )
            self._pause_next = rate_limit_pause(response.headers)
            document = self.http.json(response, call, "campaign-values-report")
            data = document.get("data") if isinstance(document, dict) else None
            if (
                not isinstance(data, dict)
                or data.get("type") != REPORT_TYPE
                or not isinstance((data.get("attributes") or {}).get("results"), list)
            ):
                raise self.http.error(
                    call,
                    response.status_code,
                    "malformed response: expected a campaign-values-report with data.attributes.results",
                )
            pages.append({"data": {k: v for k, v in data.items() if k in ("type", "attributes", "relationships")}})
            cursor = _next_cursor(document)
            if not cursor:
                break
        return pages[0] if len(pages) == 1 else pages

    def describe(self, document: Any) -> str:
        pages = document if isinstance(document, list) else [document]
        return f"{sum(len(p['data']['attributes']['results']) for p in pages)} campaign messages"


def _next_cursor(document: Mapping[str, Any]) -> str | None:
    links = document.get("links") if isinstance(document, dict) else None
    next_url = links.get("next") if isinstance(links, dict) else None
    if not next_url:
        return None
    values = parse_qs(urlparse(str(next_url)).query).get("page_cursor")
    return values[0] if values else None
