"""A fake LinkedIn Marketing API (versioned ``/rest`` endpoints), from the public docs:

- Every request needs ``Authorization: Bearer <token>`` (else 401 ``INVALID_ACCESS_TOKEN``),
  ``LinkedIn-Version: YYYYMM`` of an active version (missing: 400 ``VERSION_MISSING``; not active:
  426 ``NONEXISTENT_VERSION``) and ``X-Restli-Protocol-Version: 2.0.0``.
- Query tunnelling: a ``POST`` with ``X-HTTP-Method-Override: GET`` and a form-encoded body is the
  GET of that query. A plain GET whose query string is over ``max_query_length`` bytes gets 414.
- ``GET /rest/adAnalytics?q=analytics&pivot=CREATIVE&timeGranularity=DAILY&dateRange=(start:(year:Y,
  month:M,day:D),end:(...))&accounts=List(urn%3Ali%3AsponsoredAccount%3A<id>)&fields=...`` ->
  ``{"paging": {...}, "elements": [...]}``: one element per creative and day of the range with only
  the requested fields (plus ``pivotValues`` / ``dateRange``); no pagination; more than 20 fields is
  a 400.
- ``GET /rest/adAccounts/<id>`` -> the account (404 ``NOT_FOUND`` for an unknown id, 403
  ``ACCESS_DENIED`` for a ``forbidden`` one).
- ``GET /rest/adAccounts/<id>/adCampaigns?q=search`` and ``.../creatives?q=criteria`` with
  ``pageSize`` / ``pageToken`` -> ``{"elements": [...], "metadata": {"nextPageToken": ...}}``
  (no token on the last page).

Data: ``accounts[<id>] = {"account": {...}, "campaigns": [...], "creatives": [...],
"analytics": {"YYYY-MM-DD": [{"creative": <id>, <metric>: value, ...}]}}``.
"""

from __future__ import annotations

import base64
import copy
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from tests.pull.fakes.base import FakeServer, json_response

ACTIVE_VERSIONS = frozenset({"202601", "202603", "202606", "202609"})
_RANGE = re.compile(r"\(start:\(year:(\d+),month:(\d+),day:(\d+)\)(?:,end:\(year:(\d+),month:(\d+),day:(\d+)\))?\)")
_ACCOUNTS = re.compile(r"List\((.*)\)")


def restli_error(status: int, code: str, message: str, service_code: int = 100) -> Response:
    return json_response(
        {"status": status, "serviceErrorCode": service_code, "code": code, "message": message}, status=status
    )


class FakeLinkedInAds(FakeServer):
    def __init__(self, *, access_token: str, accounts: dict[str, dict[str, Any]], max_query_length: int = 4096) -> None:
        super().__init__()
        self.access_token = access_token
        self.accounts = accounts
        self.max_query_length = max_query_length
        self.forbidden: set[str] = set()

    # -- protocol
    def handle(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.access_token}":
            return restli_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        version = request.headers.get("LinkedIn-Version")
        if not version:
            return restli_error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            )
        if version not in ACTIVE_VERSIONS:
            return restli_error(426, "NONEXISTENT_VERSION", f"Requested version {version} is not active")
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return restli_error(400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 is required")
        if request.method == "POST":
            if request.headers.get("X-HTTP-Method-Override") != "GET":
                return restli_error(405, "METHOD_NOT_ALLOWED", "POST is not supported here")
            if not request.content_type.startswith("application/x-www-form-urlencoded"):
                return restli_error(400, "ILLEGAL_ARGUMENT", "a tunnelled query must be form encoded")
            raw_query = request.get_data(as_text=True)
        elif request.method == "GET":
            raw_query = request.query_string.decode()
            if len(raw_query.encode()) > self.max_query_length:
                return Response("Request-URI Too Long", status=414)
        else:
            return restli_error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported")
        query = {k: v[0] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        path = request.path.removeprefix("/rest/")
        if path == "adAnalytics":
            return self._analytics(query)
        match = re.fullmatch(r"adAccounts/(\d+)(?:/(adCampaigns|creatives))?", path)
        if not match:
            return restli_error(404, "NOT_FOUND", f"no resource {request.path}")
        account_id, collection = match.groups()
        if account_id in self.forbidden:
            return restli_error(
                403, "ACCESS_DENIED", f"Not enough permissions to access: urn:li:sponsoredAccount:{account_id}", 100
            )
        if account_id not in self.accounts:
            return restli_error(404, "NOT_FOUND", f"Ad account {account_id} does not exist")
        data = self.accounts[account_id]
        if collection is None:
            return json_response(copy.deepcopy(data["account"]))
        finder = {"adCampaigns": "search", "creatives": "criteria"}[collection]
        if query.get("q") != finder:
            return restli_error(400, "ILLEGAL_ARGUMENT", f"q must be {finder}")
        return self._page(data["campaigns" if collection == "adCampaigns" else "creatives"], query)

    def _page(self, elements: list[dict[str, Any]], query: dict[str, str]) -> Response:
        size = int(query.get("pageSize", "25"))
        start = int(base64.b64decode(query["pageToken"]).decode()) if query.get("pageToken") else 0
        page = elements[start : start + size]
        metadata: dict[str, Any] = {}
        if start + size < len(elements):
            metadata["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
        return json_response({"elements": copy.deepcopy(page), "metadata": metadata})

    def _analytics(self, query: dict[str, str]) -> Response:
        if (query.get("q"), query.get("pivot"), query.get("timeGranularity")) != ("analytics", "CREATIVE", "DAILY"):
            return restli_error(400, "ILLEGAL_ARGUMENT", "this fake serves q=analytics, pivot=CREATIVE, DAILY")
        range_match = _RANGE.fullmatch(query.get("dateRange", ""))
        if not range_match:
            return restli_error(400, "ILLEGAL_ARGUMENT", f"invalid dateRange {query.get('dateRange')!r}")
        numbers = [int(g) if g else None for g in range_match.groups()]
        start = date(*numbers[:3])
        end = date(*numbers[3:]) if numbers[3] else start
        accounts_match = _ACCOUNTS.fullmatch(query.get("accounts", ""))
        if not accounts_match:
            return restli_error(400, "ILLEGAL_ARGUMENT", "accounts=List(urn:li:sponsoredAccount:<id>) is required")
        urns = [u for u in accounts_match.group(1).split(",") if u]
        fields = [f for f in query.get("fields", "").split(",") if f]
        if len(fields) > 20:
            return restli_error(400, "ILLEGAL_ARGUMENT", f"at most 20 fields can be requested, got {len(fields)}")
        elements = []
        for account_urn in urns:
            account_id = account_urn.rsplit(":", 1)[-1]
            if account_id in self.forbidden:
                return restli_error(403, "ACCESS_DENIED", f"Not enough permissions to access: {account_urn}")
            data = self.accounts.get(account_id)
            if data is None:
                continue  # LinkedIn answers an empty response for what it cannot report on
            day = start
            while day <= end:
                for row in data["analytics"].get(day.isoformat(), []):
                    ymd = {"year": day.year, "month": day.month, "day": day.day}
                    element: dict[str, Any] = {
                        "pivotValues": [f"urn:li:sponsoredCreative:{row['creative']}"],
                        "dateRange": {"start": ymd, "end": dict(ymd)},
                    }
                    for field in fields:
                        if field in row:
                            element[field] = row[field]
                    elements.append({k: v for k, v in element.items() if k in fields or not fields})
                day += timedelta(days=1)
        return json_response({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})


def sample_accounts() -> dict[str, dict[str, Any]]:
    """One GBP account: a video campaign (one creative) and an image campaign (two creatives, on two pages)."""
    account = "508000001"
    return {
        account: {
            "account": {
                "id": int(account),
                "name": "Acme B2B UK",
                "currency": "GBP",
                "type": "BUSINESS",
                "status": "ACTIVE",
                "test": False,
            },
            "campaigns": [
                {
                    "id": 612000001,
                    "name": "Awareness | Video",
                    "account": f"urn:li:sponsoredAccount:{account}",
                    "campaignGroup": "urn:li:sponsoredCampaignGroup:700001",
                    "type": "SPONSORED_UPDATES",
                    "format": "SINGLE_VIDEO",
                    "objectiveType": "VIDEO_VIEW",
                    "status": "ACTIVE",
                },
                {
                    "id": 612000002,
                    "name": "Leads | Whitepaper",
                    "account": f"urn:li:sponsoredAccount:{account}",
                    "campaignGroup": "urn:li:sponsoredCampaignGroup:700001",
                    "type": "SPONSORED_UPDATES",
                    "format": "STANDARD_UPDATE",
                    "objectiveType": "WEBSITE_CONVERSION",
                    "status": "ACTIVE",
                },
            ],
            "creatives": [
                {
                    "id": "urn:li:sponsoredCreative:901000001",
                    "campaign": "urn:li:sponsoredCampaign:612000001",
                    "account": f"urn:li:sponsoredAccount:{account}",
                    "name": "Product tour 30s",
                    "intendedStatus": "ACTIVE",
                },
                {
                    "id": "urn:li:sponsoredCreative:901000002",
                    "campaign": "urn:li:sponsoredCampaign:612000002",
                    "account": f"urn:li:sponsoredAccount:{account}",
                    "name": "Whitepaper - cover",
                    "intendedStatus": "ACTIVE",
                },
                {
                    "id": "urn:li:sponsoredCreative:901000003",
                    "campaign": "urn:li:sponsoredCampaign:612000002",
                    "account": f"urn:li:sponsoredAccount:{account}",
                    "intendedStatus": "PAUSED",
                },
            ],
            "analytics": {
                "2024-03-01": [
                    {
                        "creative": "901000001",
                        "impressions": 10000,
                        "clicks": 60,
                        "landingPageClicks": 40,
                        "costInLocalCurrency": "250.0",
                        "costInUsd": "317.5",
                        "externalWebsiteConversions": 3,
                        "externalWebsitePostClickConversions": 2,
                        "externalWebsitePostViewConversions": 1,
                        "conversionValueInLocalCurrency": "300.00",
                        "videoStarts": 6000,
                        "videoViews": 4000,
                        "videoCompletions": 1000,
                    },
                    {
                        "creative": "901000002",
                        "impressions": 5000,
                        "clicks": 40,
                        "landingPageClicks": 36,
                        "costInLocalCurrency": "175.5",
                        "costInUsd": "222.89",
                        "externalWebsiteConversions": 2,
                        "externalWebsitePostClickConversions": 2,
                        "externalWebsitePostViewConversions": 0,
                        "conversionValueInLocalCurrency": "190.00",
                        "videoStarts": 0,
                        "videoViews": 0,
                        "videoCompletions": 0,
                    },
                ],
            },
        },
    }
