"""LinkedIn Ads: the Marketing API (versioned ``/rest`` endpoints) per ad account and day ->
``landing/linkedin_ads/<date>/``, four files per account (the parser's four kinds):

- ``ad_analytics_<id>.json``: ``GET /rest/adAnalytics?q=analytics&pivot=CREATIVE&timeGranularity=DAILY
  &dateRange=(start:(year:Y,month:M,day:D),end:(...))&accounts=List(urn%3Ali%3AsponsoredAccount%3A<id>)
  &fields=<the metrics the parser maps>`` (at most 20 fields; dates are UTC). The endpoint has no
  pagination; the landing file is ``{"elements": [...]}`` (``paging`` removed).
- ``ad_accounts_<id>.json``: ``GET /rest/adAccounts/<id>`` (name, currency).
- ``ad_campaigns_<id>.json``: ``GET /rest/adAccounts/<id>/adCampaigns?q=search&pageSize=N`` and
  ``&pageToken=<metadata.nextPageToken>`` until there is none (format, objective, names).
- ``creatives_<id>.json``: ``GET /rest/adAccounts/<id>/creatives?q=criteria&pageSize=N`` the same way.
  Lookup files are arrays of ``{"elements": [...]}`` pages (``metadata``, i.e. the page tokens,
  removed) so that an unchanged account re-pulls byte-identical.

Every request carries ``Authorization: Bearer <ADWH_LINKEDIN_ACCESS_TOKEN>``,
``LinkedIn-Version: <ADWH_LINKEDIN_API_VERSION>`` (YYYYMM) and ``X-Restli-Protocol-Version: 2.0.0``.
Rest.li 2.0 query values are written as the protocol wants them (``List(...)``, ``(start:(...))``
structural; the colons of URNs inside them percent-encoded).

URL length: LinkedIn rejects a query string over 4 KB (or a URL over 8 KB) with 414. A longer
query is sent by query tunnelling (``POST`` with ``X-HTTP-Method-Override: GET``, ``Content-Type:
application/x-www-form-urlencoded`` and the query string as the body); a 414 to a plain GET is
retried once tunnelled.

The runner writes one landing file per (account, day); here the four responses of an account are
four such units (``accounts()`` yields ``<id>:<kind>``), so one failing lookup fails alone and its
previous file stays (a lookup of an earlier day is still a valid lookup: warehouse models use the
latest one of each entity).

Errors are Rest.li bodies ``{"status", "serviceErrorCode", "code", "message"}``: 429 (throttled;
``Retry-After`` honoured) and 5xx are retried; 401 (``INVALID_ACCESS_TOKEN``, ``EXPIRED_ACCESS_TOKEN``,
``REVOKED_ACCESS_TOKEN``), 403 (no access to the account), 404, 426 (the version is not active any
more: set a newer ``ADWH_LINKEDIN_API_VERSION``) and other 4xx fail the account's day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import requests

from orchestration.ingestion.parsers.linkedin_ads import ANALYTICS_FIELDS
from orchestration.pull.base import PlatformClient, base_url, id_list, required
from orchestration.pull.http import Call, Http, PullConfigError, PullError, Verdict, body_excerpt, retry_after_seconds

SOURCE = "linkedin_ads"
LABEL = "LinkedIn Ads"
TRIGGER_VARS = ("ADWH_LINKEDIN_ACCESS_TOKEN",)
SECRET_VARS = ("ADWH_LINKEDIN_ACCESS_TOKEN",)
DEFAULT_API_URL = "https://api.linkedin.com"
DEFAULT_API_VERSION = "202606"
RESTLI_PROTOCOL_VERSION = "2.0.0"
KINDS = ("ad_analytics", "ad_accounts", "ad_campaigns", "creatives")
MAX_QUERY_LENGTH = 4000  # bytes of query string sent in a URL; longer ones are tunnelled (limit: 4 KB)
MAX_FIELDS = 20  # adAnalytics accepts at most 20 fields per request
PAGE_SIZE = 100  # the creatives finder's maximum page size (adCampaigns allows more)


def account_id(text: str) -> str:
    value = text.strip()
    match = re.fullmatch(r"(?:urn:li:sponsoredAccount:)?(\d{1,20})", value)
    if not match:
        raise PullConfigError(
            f"ADWH_LINKEDIN_AD_ACCOUNT_IDS: {text!r} is not an ad account id"
            " (<digits> or urn:li:sponsoredAccount:<digits>)"
        )
    return match.group(1)


@dataclass(frozen=True)
class Config:
    access_token: str
    account_ids: tuple[str, ...]
    api_url: str = DEFAULT_API_URL
    api_version: str = DEFAULT_API_VERSION

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        values = required(
            env, ("ADWH_LINKEDIN_ACCESS_TOKEN", "ADWH_LINKEDIN_AD_ACCOUNT_IDS"), needed_by="the LinkedIn Ads pull"
        )
        accounts = tuple(dict.fromkeys(account_id(a) for a in id_list(values["ADWH_LINKEDIN_AD_ACCOUNT_IDS"])))
        if not accounts:
            raise PullConfigError("ADWH_LINKEDIN_AD_ACCOUNT_IDS lists no ad account")
        version = (env.get("ADWH_LINKEDIN_API_VERSION") or DEFAULT_API_VERSION).strip()
        if not re.fullmatch(r"20\d{2}(0[1-9]|1[0-2])", version):
            raise PullConfigError(f"ADWH_LINKEDIN_API_VERSION must be a YYYYMM version like 202606, got {version!r}")
        return cls(
            access_token=values["ADWH_LINKEDIN_ACCESS_TOKEN"],
            account_ids=accounts,
            api_url=base_url(env.get("ADWH_LINKEDIN_API_URL") or DEFAULT_API_URL),
            api_version=version,
        )


def classify(response: requests.Response) -> Verdict:
    status = response.status_code
    if 200 <= status < 300:
        return Verdict.ok()
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("message") or body.get("code")):
        code = body.get("code") or body.get("serviceErrorCode") or "error"
        detail = f"{code}: {body.get('message', '')}".strip(": ")
        if status == 426:
            detail += " (set ADWH_LINKEDIN_API_VERSION to a version LinkedIn still serves)"
    else:
        detail = body_excerpt(response) or response.reason or "error"
    if status == 429 or status >= 500:
        return Verdict.retry(detail, retry_after_seconds(response.headers))
    return Verdict.fail(detail)


# ----------------------------------------------------------------------------- Rest.li values
def urn(kind: str, id_: str) -> str:
    """A URN as a Rest.li 2.0 query value: its reserved characters percent-encoded."""
    return quote(f"urn:li:{kind}:{id_}", safe="")


def date_range(day: date) -> str:
    ymd = f"(year:{day.year},month:{day.month},day:{day.day})"
    return f"(start:{ymd},end:{ymd})"


def query_string(params: Mapping[str, str]) -> str:
    """``k=v&...`` with the values as given (already Rest.li-encoded)."""
    return "&".join(f"{key}={value}" for key, value in params.items())


def analytics_query(account: str, day: date, fields: tuple[str, ...] = ANALYTICS_FIELDS) -> dict[str, str]:
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"adAnalytics takes at most {MAX_FIELDS} fields, got {len(fields)}")
    return {
        "q": "analytics",
        "pivot": "CREATIVE",
        "timeGranularity": "DAILY",
        "dateRange": date_range(day),
        "accounts": f"List({urn('sponsoredAccount', account)})",
        "fields": ",".join(fields),
    }


class Client(PlatformClient):
    source = SOURCE
    label = LABEL

    def __init__(
        self, config: Config, http: Http, *, page_size: int = PAGE_SIZE, max_query_length: int = MAX_QUERY_LENGTH
    ) -> None:
        super().__init__(config, http)
        self.page_size = page_size
        self.max_query_length = max_query_length

    def accounts(self) -> tuple[str, ...]:
        return tuple(f"{account}:{kind}" for account in self.config.account_ids for kind in KINDS)

    def file_name(self, account: str) -> str:
        account_id_, kind = account.split(":", 1)
        return f"{kind}_{account_id_}.json"

    # -- requests
    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.access_token}",
            "LinkedIn-Version": self.config.api_version,
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
        }

    def _get(self, path: str, params: Mapping[str, str], call: Call) -> Any:
        """GET ``/rest/<path>?<params>``; tunnelled when the query is too long or LinkedIn says 414."""
        url = f"{self.config.api_url}/rest/{path}"
        query = query_string(params)
        if len(query.encode()) <= self.max_query_length:
            try:
                response = self.http.request(
                    "GET", f"{url}?{query}" if query else url, call, classify=classify, headers=self._headers()
                )
                return self.http.json(response, call, "LinkedIn response")
            except PullError as exc:
                if exc.status != 414:
                    raise
        headers = self._headers() | {
            "X-HTTP-Method-Override": "GET",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = self.http.request("POST", url, call, classify=classify, headers=headers, data=query.encode())
        return self.http.json(response, call, "LinkedIn response")

    def _pages(self, path: str, params: Mapping[str, str], call: Call) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page_params = {**params, "pageSize": str(self.page_size)}
            if token:
                page_params["pageToken"] = quote(token, safe="")
            page = self._get(path, page_params, call)
            if not isinstance(page, dict) or not isinstance(page.get("elements"), list):
                raise self.http.error(call, 200, f'malformed {path} page: expected {{"elements": [...]}}')
            pages.append({"elements": page["elements"]})
            token = (page.get("metadata") or {}).get("nextPageToken")
            if not token or not page["elements"]:
                return pages

    def fetch(self, account: str, day: date) -> Any:
        account_id_, kind = account.split(":", 1)
        call = Call(account, day)
        if kind == "ad_analytics":
            document = self._get("adAnalytics", analytics_query(account_id_, day), call)
            if not isinstance(document, dict) or not isinstance(document.get("elements"), list):
                raise self.http.error(call, 200, 'malformed adAnalytics response: expected {"elements": [...]}')
            return {"elements": document["elements"]}
        if kind == "ad_accounts":
            document = self._get(f"adAccounts/{account_id_}", {}, call)
            if not isinstance(document, dict) or "currency" not in document:
                raise self.http.error(call, 200, "malformed adAccounts response: expected the account and its currency")
            return document
        if kind == "ad_campaigns":
            return self._pages(f"adAccounts/{account_id_}/adCampaigns", {"q": "search"}, call)
        if kind == "creatives":
            return self._pages(f"adAccounts/{account_id_}/creatives", {"q": "criteria"}, call)
        raise ValueError(f"unknown LinkedIn export kind {kind!r}")

    def describe(self, document: Any) -> str:
        if isinstance(document, list):
            return f"{sum(len(p['elements']) for p in document)} elements in {len(document)} page(s)"
        if "elements" in document:
            return f"{len(document['elements'])} creative-days"
        return f"account {document.get('id')} ({document.get('currency')})"
