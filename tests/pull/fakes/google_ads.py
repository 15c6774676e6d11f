"""A fake Google Ads API + Google OAuth2 token endpoint, written from the public reference:

- ``POST /token`` (OAuth 2.0 refresh-token grant, form-encoded): ``grant_type=refresh_token``,
  ``refresh_token``, ``client_id``, ``client_secret`` -> ``{"access_token", "expires_in",
  "token_type": "Bearer", "scope"}``; a bad refresh token -> 400 ``{"error": "invalid_grant",
  "error_description": "Token has been expired or revoked."}``; a bad client -> 401 ``invalid_client``.
- ``POST /{version}/customers/{customerId}/googleAds:searchStream`` with ``{"query": GAQL}`` and the
  headers ``Authorization: Bearer``, ``developer-token``, optional ``login-customer-id`` ->
  a JSON array of ``SearchGoogleAdsStreamResponse`` batches ``{"results": [GoogleAdsRow…],
  "fieldMask": "...", "requestId": "..."}``. GoogleAdsRow JSON uses lowerCamelCase, int64 as
  strings, doubles as numbers, and omits fields at their default (a zero metric is absent).
- Errors are ``google.rpc.Status`` objects ``{"error": {"code", "message", "status", "details":
  [{"@type": ".../GoogleAdsFailure", "errors": [{"errorCode": {...}, "message"}], "requestId"}]}}``
  (inside the stream's array for searchStream).

The data: ``accounts[customer_id] = {"customer": {...}, "rows": {date: [row, ...]}}`` where a row
holds campaign / ad group / ad identity and metrics in snake_case (the test's own notation).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.pull.fakes.base import FakeServer, json_response

VERSION = "v26"
INT64_METRICS = {
    "impressions",
    "clicks",
    "interactions",
    "cost_micros",
    "view_through_conversions",
    "video_trueview_views",
}
DOUBLE_METRICS = {"conversions", "conversions_value", "video_quartile_p100_rate"}
KNOWN_FIELDS = {
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
    "segments.date",
    *(f"metrics.{m}" for m in INT64_METRICS | DOUBLE_METRICS),
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def rpc_error(code: int, status: str, message: str, error_code: dict[str, str], *, stream: bool = True) -> Response:
    body = {
        "error": {
            "code": code,
            "message": message,
            "status": status,
            "details": [
                {
                    "@type": f"type.googleapis.com/google.ads.googleads.{VERSION}.errors.GoogleAdsFailure",
                    "errors": [{"errorCode": error_code, "message": message}],
                    "requestId": uuid.uuid4().hex[:22],
                }
            ],
        }
    }
    return json_response([body] if stream else body, status=code)


class FakeGoogleAds(FakeServer):
    def __init__(
        self,
        *,
        developer_token: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        accounts: dict[str, dict[str, Any]],
        batch_size: int = 10000,
    ) -> None:
        super().__init__()
        self.developer_token = developer_token
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.accounts = accounts
        self.batch_size = batch_size
        self.issued_tokens: list[str] = []
        self.revoked = False

    # ------------------------------------------------------------------ OAuth
    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "refresh_token":
            return json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return json_response(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."}, status=401
            )
        if self.revoked or form.get("refresh_token") != self.refresh_token:
            return json_response(
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, status=400
            )
        token = f"ya29.fake-{uuid.uuid4().hex}"
        self.issued_tokens.append(token)
        return json_response(
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/adwords",
                "token_type": "Bearer",
            }
        )

    # ------------------------------------------------------------------ API
    def handle(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        match = re.fullmatch(rf"/{VERSION}/customers/(\d+)/googleAds:searchStream", request.path)
        if not match or request.method != "POST":
            return json_response({"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}, status=404)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.issued_tokens:
            return rpc_error(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential.",
                {"authenticationError": "AUTHENTICATION_ERROR"},
            )
        if request.headers.get("developer-token") != self.developer_token:
            return rpc_error(
                401,
                "UNAUTHENTICATED",
                "The developer token is not valid.",
                {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
            )
        customer_id = match.group(1)
        if customer_id not in self.accounts:
            return rpc_error(
                403,
                "PERMISSION_DENIED",
                "User doesn't have permission to access customer.",
                {"authorizationError": "USER_PERMISSION_DENIED"},
            )
        try:
            query = (request.get_json(silent=True) or {})["query"]
        except (KeyError, TypeError):
            return rpc_error(400, "INVALID_ARGUMENT", "query is required", {"requestError": "REQUIRED_FIELD_MISSING"})
        parsed = self._parse(query)
        if isinstance(parsed, Response):
            return parsed
        fields, start, end = parsed
        account = self.accounts[customer_id]
        rows = [
            self._row(account, customer_id, day, row, fields)
            for day, day_rows in sorted(account["rows"].items())
            if start <= day <= end
            for row in day_rows
        ]
        mask = ",".join(".".join(camel(p) for p in f.split(".")) for f in fields)
        request_id = uuid.uuid4().hex[:22]
        if not rows:
            return json_response([{"fieldMask": mask, "requestId": request_id}])
        batches = [
            {"results": rows[i : i + self.batch_size], "fieldMask": mask, "requestId": request_id}
            for i in range(0, len(rows), self.batch_size)
        ]
        return json_response(batches)

    def _parse(self, query: str):
        m = re.fullmatch(
            r"\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)\s+WHERE\s+segments\.date\s+"
            r"(?:BETWEEN\s+'(?P<a>\d{4}-\d{2}-\d{2})'\s+AND\s+'(?P<b>\d{4}-\d{2}-\d{2})'|=\s*'(?P<eq>\d{4}-\d{2}-\d{2})')\s*",
            query,
            flags=re.S,
        )
        if not m:
            return rpc_error(
                400,
                "INVALID_ARGUMENT",
                f"Error in query: unexpected input {query[:60]!r}.",
                {"queryError": "UNEXPECTED_INPUT"},
            )
        if m.group("resource") != "ad_group_ad":
            return rpc_error(
                400, "INVALID_ARGUMENT", "This fake serves ad_group_ad only.", {"queryError": "INVALID_RESOURCE"}
            )
        fields = [f.strip() for f in m.group("fields").split(",")]
        unknown = [f for f in fields if f not in KNOWN_FIELDS]
        if unknown:
            return rpc_error(
                400,
                "INVALID_ARGUMENT",
                f"Unrecognized field in the query: '{unknown[0]}'.",
                {"queryError": "UNRECOGNIZED_FIELD"},
            )
        start = m.group("eq") or m.group("a")
        end = m.group("eq") or m.group("b")
        return fields, start, end

    def _row(self, account: dict, customer_id: str, day: str, row: dict, fields: list[str]) -> dict:
        customer = account["customer"]
        values = {
            "customer.id": customer_id,
            "customer.descriptive_name": customer["descriptive_name"],
            "customer.currency_code": customer["currency_code"],
            "customer.time_zone": customer["time_zone"],
            "campaign.id": row["campaign_id"],
            "campaign.name": row["campaign_name"],
            "campaign.advertising_channel_type": row["channel_type"],
            "ad_group.id": row["ad_group_id"],
            "ad_group.name": row["ad_group_name"],
            "ad_group_ad.ad.id": row["ad_id"],
            "segments.date": day,
        }
        out: dict[str, Any] = {
            "customer": {"resourceName": f"customers/{customer_id}"},
            "campaign": {"resourceName": f"customers/{customer_id}/campaigns/{row['campaign_id']}"},
            "adGroup": {"resourceName": f"customers/{customer_id}/adGroups/{row['ad_group_id']}"},
            "adGroupAd": {
                "resourceName": f"customers/{customer_id}/adGroupAds/{row['ad_group_id']}~{row['ad_id']}",
                "ad": {"resourceName": f"customers/{customer_id}/ads/{row['ad_id']}"},
            },
        }
        for f in fields:
            resource, _, attribute = f.partition(".")
            if resource == "metrics":
                value = row.get(attribute, 0)
                if not value:
                    continue  # proto3 JSON omits a field at its default value
                value = str(int(value)) if attribute in INT64_METRICS else float(value)
                out.setdefault("metrics", {})[camel(attribute)] = value
                continue
            target = out.setdefault(camel(resource), {})
            parts = attribute.split(".")
            for part in parts[:-1]:
                target = target.setdefault(camel(part), {})
            target[camel(parts[-1])] = values[f]
        return out
