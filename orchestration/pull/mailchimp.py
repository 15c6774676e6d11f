"""Mailchimp: ``GET /3.0/reports`` (lifetime totals per sent campaign, as of the call) ->
``landing/mailchimp/<date>/mailchimp_<dc>.json``.

- Auth: HTTP Basic with the API key as password; the data centre is the key's suffix
  (``…-us21`` -> ``https://us21.api.mailchimp.com``) unless ``ADWH_MAILCHIMP_API_URL`` is set.
- Paging: ``count`` / ``offset`` until ``offset >= total_items``; the landing file is the array
  of pages ``{"reports": [...], "total_items": N}`` with the per-request ``_links`` removed.
- As of the call: the API has no "as of date" parameter, so a pull can only snapshot now. The
  runner refuses a report date that is over by more than the snapshot grace
  (``ADWH_EMAIL_SNAPSHOT_GRACE_HOURS``): the stored snapshots are the history.
- Errors are ``application/problem+json`` (``title``, ``detail``, ``status``); 429 (too many
  simultaneous connections) and 5xx are retried.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

from orchestration.pull.base import PlatformClient, base_url, required
from orchestration.pull.http import Call, Http, PullConfigError, Verdict, body_excerpt, retry_after_seconds

SOURCE = "mailchimp"
LABEL = "Mailchimp"
TRIGGER_VARS = ("ADWH_MAILCHIMP_API_KEY",)
SECRET_VARS = ("ADWH_MAILCHIMP_API_KEY",)
PAGE_SIZE = 1000  # the API's maximum `count`


def data_centre(api_key: str) -> str | None:
    match = re.search(r"-([a-z]{2,4}\d{1,3})$", api_key.strip())
    return match.group(1) if match else None


@dataclass(frozen=True)
class Config:
    api_key: str
    api_url: str
    account: str  # the data centre, or "mailchimp" with an explicit URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        key = required(env, ("ADWH_MAILCHIMP_API_KEY",), needed_by="the Mailchimp pull")["ADWH_MAILCHIMP_API_KEY"]
        dc = data_centre(key)
        url = (env.get("ADWH_MAILCHIMP_API_URL") or "").strip()
        if not url:
            if not dc:
                raise PullConfigError(
                    "ADWH_MAILCHIMP_API_KEY has no data-centre suffix (…-us21) and ADWH_MAILCHIMP_API_URL is not set"
                )
            url = f"https://{dc}.api.mailchimp.com"
        return cls(api_key=key, api_url=base_url(url), account=dc or "mailchimp")


def classify(response: requests.Response) -> Verdict:
    status = response.status_code
    if 200 <= status < 300:
        return Verdict.ok()
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if isinstance(problem, dict) and (problem.get("title") or problem.get("detail")):
        detail = f"{problem.get('title', '')}: {problem.get('detail', '')}".strip(": ")
    else:
        detail = body_excerpt(response) or response.reason or "error"
    if status == 429 or status >= 500:
        return Verdict.retry(detail, retry_after_seconds(response.headers))
    return Verdict.fail(detail)


def _without_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_links(v) for k, v in value.items() if k != "_links"}
    if isinstance(value, list):
        return [_without_links(v) for v in value]
    return value


class Client(PlatformClient):
    source = SOURCE
    label = LABEL
    as_of_call = True

    def __init__(self, config: Config, http: Http, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(config, http)
        self.page_size = page_size

    def accounts(self) -> tuple[str, ...]:
        return (self.config.account,)

    def fetch(self, account: str, day: date) -> list[dict[str, Any]]:
        call = Call(account, day)
        pages: list[dict[str, Any]] = []
        offset = 0
        while True:
            response = self.http.request(
                "GET",
                f"{self.config.api_url}/3.0/reports",
                call,
                classify=classify,
                auth=("adwh", self.config.api_key),
                params={"count": self.page_size, "offset": offset, "exclude_fields": "_links,reports._links"},
            )
            page = self.http.json(response, call, "reports page")
            if not isinstance(page, dict) or not isinstance(page.get("reports"), list):
                raise self.http.error(call, response.status_code, 'malformed reports page: expected {"reports": [...]}')
            total = page.get("total_items")
            if not isinstance(total, int):
                raise self.http.error(call, response.status_code, f"malformed reports page: total_items is {total!r}")
            pages.append(_without_links(page))
            offset += len(page["reports"])
            if not page["reports"] or offset >= total:
                return pages

    def describe(self, document: Any) -> str:
        return f"{sum(len(p['reports']) for p in document)} campaign reports in {len(document)} page(s)"
