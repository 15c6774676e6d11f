"""Meta Ads: Insights through an asynchronous report job, per ad account and day ->
``landing/meta_ads/<date>/``.

1. ``POST {api}/{version}/act_{id}/insights`` with ``level=ad``, ``time_increment=1``,
   ``time_range={"since": D, "until": D}``, the fields the parser maps and
   ``action_attribution_windows=["1d_click","7d_click","28d_click","1d_view"]`` (Meta stopped
   returning ``7d_view`` / ``28d_view`` on 2026-01-12: they are not requested) -> ``report_run_id``.
2. ``GET {api}/{version}/{report_run_id}`` until ``async_status`` is ``Job Completed``
   (``Job Failed`` / ``Job Skipped`` fail the account's day); polls wait
   ``ADWH_PULL_POLL_SECONDS``, growing 1.5x up to 60 s, inside the wait budget.
3. ``GET {api}/{version}/{report_run_id}/insights?limit=…&after=<cursor>`` until no ``paging.next``.

The landing file is the pages ``{"data": [...]}`` (one object, or an array of them) with
``paging`` removed: its cursors change per request, and its ``next`` URLs carry the access
token, which must never reach the landing folder. The token is sent in the
``Authorization`` header, never in a URL.

Rate limits: ``x-business-use-case-usage`` (``estimated_time_to_regain_access`` in minutes, or
``call_count`` / ``total_cputime`` / ``total_time`` >= 90 %), ``x-ad-account-usage``
(``acc_id_util_pct`` >= 90 % -> wait ``reset_time_duration``) and ``x-fb-ads-insights-throttle``
pause the next call; throttling errors (codes 4, 17, 32, 613, 80000-80014) and transient ones
(codes 1, 2, ``is_transient``) are retried with backoff. Anything else (190 expired/invalid
token, 10/200 permission, 100 unknown account or bad parameter) fails the account's day.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

from orchestration.pull.base import PlatformClient, base_url, id_list, required
from orchestration.pull.http import Call, Http, PullConfigError, Verdict, body_excerpt, retry_after_seconds

SOURCE = "meta_ads"
LABEL = "Meta Ads"
TRIGGER_VARS = ("ADWH_META_ACCESS_TOKEN",)
SECRET_VARS = ("ADWH_META_ACCESS_TOKEN",)
DEFAULT_API_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v27.0"

ATTRIBUTION_WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view")
FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "impressions",
    "clicks",
    "inline_link_clicks",
    "spend",
    "reach",
    "actions",
    "action_values",
    "attribution_setting",
    "video_play_actions",
    "video_thruplay_watched_actions",
    "video_p100_watched_actions",
    "date_start",
    "date_stop",
)
PAGE_LIMIT = 500
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
USAGE_THRESHOLD = 90.0  # percent of a rate-limit quota after which the next call waits
USAGE_PAUSE_SECONDS = 60.0  # wait when a quota is nearly used up and Meta gives no time
MAX_POLL_WAIT = 60.0
DONE, FAILED_STATES = "Job Completed", ("Job Failed", "Job Skipped")


def account_id(text: str) -> str:
    digits = text.strip().removeprefix("act_")
    if not re.fullmatch(r"\d{1,20}", digits):
        raise PullConfigError(f"ADWH_META_AD_ACCOUNT_IDS: {text!r} is not an ad account id (act_<digits>)")
    return f"act_{digits}"


@dataclass(frozen=True)
class Config:
    access_token: str
    account_ids: tuple[str, ...]
    api_url: str = DEFAULT_API_URL
    api_version: str = DEFAULT_API_VERSION

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        values = required(env, ("ADWH_META_ACCESS_TOKEN", "ADWH_META_AD_ACCOUNT_IDS"), needed_by="the Meta Ads pull")
        accounts = tuple(account_id(a) for a in id_list(values["ADWH_META_AD_ACCOUNT_IDS"]))
        if not accounts:
            raise PullConfigError("ADWH_META_AD_ACCOUNT_IDS lists no ad account")
        version = (env.get("ADWH_META_API_VERSION") or DEFAULT_API_VERSION).strip()
        if not re.fullmatch(r"v\d+\.\d+", version):
            raise PullConfigError(f"ADWH_META_API_VERSION must look like v27.0, got {version!r}")
        return cls(
            access_token=values["ADWH_META_ACCESS_TOKEN"],
            account_ids=accounts,
            api_url=base_url(env.get("ADWH_META_API_URL") or DEFAULT_API_URL),
            api_version=version,
        )


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    text = headers.get(name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def usage_pause(headers: Mapping[str, str]) -> tuple[float, str] | None:
    """How long to wait before the next call, from Meta's usage headers (None: no need)."""
    waits: list[tuple[float, str]] = []
    buc = _json_header(headers, "x-business-use-case-usage")
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                used = max(_number(entry.get(k)) for k in ("call_count", "total_cputime", "total_time"))
                kind = entry.get("type", "business use case")
                if minutes > 0:
                    waits.append(
                        (minutes * 60.0, f"x-business-use-case-usage ({kind}): access regained in {minutes:g} min")
                    )
                elif used >= USAGE_THRESHOLD:
                    waits.append((USAGE_PAUSE_SECONDS, f"x-business-use-case-usage ({kind}): {used:g} % used"))
    account = _json_header(headers, "x-ad-account-usage")
    if isinstance(account, dict):
        used = _number(account.get("acc_id_util_pct"))
        if used >= USAGE_THRESHOLD:
            reset = _number(account.get("reset_time_duration"))
            waits.append((reset if reset > 0 else USAGE_PAUSE_SECONDS, f"x-ad-account-usage: {used:g} % used"))
    insights = _json_header(headers, "x-fb-ads-insights-throttle")
    if isinstance(insights, dict):
        used = max(_number(insights.get("app_id_util_pct")), _number(insights.get("acc_id_util_pct")))
        if used >= USAGE_THRESHOLD:
            waits.append((USAGE_PAUSE_SECONDS, f"x-fb-ads-insights-throttle: {used:g} % used"))
    return max(waits) if waits else None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def classify(response: requests.Response) -> Verdict:
    status = response.status_code
    try:
        document = response.json()
    except ValueError:
        document = None
    error = document.get("error") if isinstance(document, dict) else None
    if 200 <= status < 300 and not isinstance(error, dict):
        return Verdict.ok()
    if isinstance(error, dict):
        code = int(_number(error.get("code")))
        subcode = error.get("error_subcode")
        detail = (
            f"code {code}"
            + (f"/{subcode}" if subcode else "")
            + f" {error.get('type', 'error')}: {error.get('message', '')}"
        )
        if error.get("fbtrace_id"):
            detail += f" (fbtrace_id {error['fbtrace_id']})"
        if code in THROTTLE_CODES or code in TRANSIENT_CODES or error.get("is_transient") is True:
            pause = usage_pause(response.headers)
            return Verdict.retry(detail, pause[0] if pause else retry_after_seconds(response.headers))
        if status >= 500 and code not in (100, 190, 200, 10):
            return Verdict.retry(detail, retry_after_seconds(response.headers))
        return Verdict.fail(detail)
    detail = body_excerpt(response) or response.reason or "error"
    if status == 429 or status >= 500:
        return Verdict.retry(detail, retry_after_seconds(response.headers))
    return Verdict.fail(detail)


class Client(PlatformClient):
    source = SOURCE
    label = LABEL

    def __init__(self, config: Config, http: Http, *, page_limit: int = PAGE_LIMIT) -> None:
        super().__init__(config, http)
        self.page_limit = page_limit
        self._pause_next: tuple[float, str] | None = None

    def accounts(self) -> tuple[str, ...]:
        return self.config.account_ids

    def _url(self, path: str) -> str:
        return f"{self.config.api_url}/{self.config.api_version}/{path}"

    def _call(self, method: str, path: str, call: Call, **kwargs: Any) -> Any:
        if self._pause_next:
            seconds, reason = self._pause_next
            self._pause_next = None
            self.http.pause(seconds, reason, call)
        headers = {"Authorization": f"Bearer {self.config.access_token}"}
        response = self.http.request(method, self._url(path), call, classify=classify, headers=headers, **kwargs)
        self._pause_next = usage_pause(response.headers)
        return response, self.http.json(response, call, "Graph API response")

    def fetch(self, account: str, day: date) -> Any:
        call = Call(account, day)
        response, started = self._call(
            "POST",
            f"{account}/insights",
            call,
            data={
                "level": "ad",
                "time_increment": "1",
                "time_range": json.dumps({"since": day.isoformat(), "until": day.isoformat()}),
                "fields": ",".join(FIELDS),
                "action_attribution_windows": json.dumps(list(ATTRIBUTION_WINDOWS)),
            },
        )
        run_id = started.get("report_run_id") if isinstance(started, dict) else None
        if not run_id:
            raise self.http.error(
                call, response.status_code, f"malformed async job response (no report_run_id): {started!r:.200}"
            )
        self._wait_for_job(str(run_id), call)
        pages: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": self.page_limit}
            if after:
                params["after"] = after
            response, page = self._call("GET", f"{run_id}/insights", call, params=params)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise self.http.error(call, response.status_code, 'malformed insights page: expected {"data": [...]}')
            pages.append({k: v for k, v in page.items() if k != "paging"})
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after") if paging.get("next") else None
            if not after:
                break
        return pages[0] if len(pages) == 1 else pages

    def _wait_for_job(self, run_id: str, call: Call) -> None:
        wait = self.http.policy.poll_interval
        while True:
            response, job = self._call("GET", run_id, call, params={"fields": "async_status,async_percent_completion"})
            status = job.get("async_status") if isinstance(job, dict) else None
            if status == DONE:
                return
            if status in FAILED_STATES:
                raise self.http.error(call, response.status_code, f"async report job {run_id} ended with {status!r}")
            if not isinstance(status, str):
                raise self.http.error(call, response.status_code, f"malformed async job status: {job!r:.200}")
            self.http.pause(
                wait, f"async report job {run_id}: {status} ({job.get('async_percent_completion', 0)} %)", call
            )
            wait = min(MAX_POLL_WAIT, max(wait * 1.5, 0.001))

    def describe(self, document: Any) -> str:
        pages = document if isinstance(document, list) else [document]
        return f"{sum(len(p.get('data', [])) for p in pages)} rows in {len(pages)} page(s)"
