"""A fake Klaviyo ``POST /api/campaign-values-reports`` (Reporting API), from the public reference:

- Headers: ``Authorization: Klaviyo-API-Key <private key>`` (else 401 ``not_authenticated``),
  ``revision: YYYY-MM-DD`` (required, else 400).
- Body ``{"data": {"type": "campaign-values-report", "attributes": {"statistics": [...],
  "timeframe": {"key": …} | {"start", "end"}, "conversion_metric_id": "…", "group_by"?, "filter"?}}}``;
  statistics from the documented enum, timeframe at most one year, a known conversion metric.
- Response ``{"data": {"type": "campaign-values-report", "id", "attributes": {"results":
  [{"groupings": {"send_channel", "campaign_id", "campaign_message_id"}, "statistics": {...}}]},
  "relationships": {"campaigns": {...}}}, "links": {"self", "next", "previous"}}``: one result per
  campaign message *sent* in the timeframe, its statistics counted up to the call; rates are
  fractions. ``page_cursor`` paging when there are more results than ``page_size``.
- Rate limits: ``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` on every
  response; 429 ``throttled`` with ``Retry-After`` when scripted.

Data: ``messages``: a list of ``{"campaign_id", "campaign_message_id", "send_channel", "send_time",
"statistics": {count…}}`` holding the current lifetime counts.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.pull.fakes.base import FakeServer, json_response

JSONAPI = "application/vnd.api+json"
STATISTICS = {
    "average_order_value",
    "bounce_rate",
    "bounced",
    "bounced_or_failed",
    "bounced_or_failed_rate",
    "click_rate",
    "click_to_open_rate",
    "clicks",
    "clicks_unique",
    "conversion_rate",
    "conversion_uniques",
    "conversion_value",
    "conversions",
    "delivered",
    "delivery_rate",
    "failed",
    "failed_rate",
    "open_rate",
    "opens",
    "opens_unique",
    "recipients",
    "revenue_per_recipient",
    "spam_complaint_rate",
    "spam_complaints",
    "unsubscribe_rate",
    "unsubscribe_uniques",
    "unsubscribes",
}
RATES = {
    "open_rate": ("opens_unique", "delivered"),
    "click_rate": ("clicks_unique", "delivered"),
    "bounce_rate": ("bounced", "recipients"),
    "unsubscribe_rate": ("unsubscribes", "delivered"),
}


def api_errors(
    status: int, code: str, title: str, detail: str, pointer: str = "/data/", headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        {
            "errors": [
                {
                    "id": str(uuid.uuid4()),
                    "status": status,
                    "code": code,
                    "title": title,
                    "detail": detail,
                    "source": {"pointer": pointer},
                }
            ]
        },
        status=status,
        headers=headers,
        content_type=JSONAPI,
    )


def _moment(text: str) -> datetime:
    # "Offset is ignored and the company timezone is used": compare wall-clock times
    return datetime.fromisoformat(text).replace(tzinfo=None)


class FakeKlaviyo(FakeServer):
    def __init__(
        self, *, api_key: str, conversion_metric_id: str, messages: list[dict[str, Any]], page_size: int = 500
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.conversion_metric_id = conversion_metric_id
        self.messages = messages
        self.page_size = page_size
        self.limit = 2  # steady: 2 per minute
        self.remaining = 2
        self.reset_seconds = 30

    def _rate_headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Klaviyo-API-Key {self.api_key}":
            return api_errors(
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                "Missing or invalid private key.",
            )
        if not request.headers.get("revision"):
            return api_errors(400, "invalid", "Invalid input.", "The revision header is required.", "/headers/revision")
        if request.path != "/api/campaign-values-reports" or request.method != "POST":
            return api_errors(404, "not_found", "Not found.", "The requested resource does not exist.")
        body = request.get_json(silent=True, force=True) or {}
        data = body.get("data") or {}
        attributes = data.get("attributes") or {}
        if data.get("type") != "campaign-values-report":
            return api_errors(
                400, "invalid", "Invalid input.", "data.type must be campaign-values-report", "/data/type"
            )
        statistics = attributes.get("statistics") or []
        bad = [s for s in statistics if s not in STATISTICS]
        if not statistics or bad:
            return api_errors(
                400, "invalid", "Invalid input.", f"invalid statistic {bad[:1]}", "/data/attributes/statistics"
            )
        if attributes.get("conversion_metric_id") != self.conversion_metric_id:
            return api_errors(
                400,
                "invalid",
                "Invalid input.",
                "Conversion metric does not exist.",
                "/data/attributes/conversion_metric_id",
            )
        frame = attributes.get("timeframe") or {}
        try:
            start, end = _moment(frame["start"]), _moment(frame["end"])
        except (KeyError, ValueError):
            return api_errors(
                400,
                "invalid",
                "Invalid input.",
                "this fake needs a custom timeframe {start, end}",
                "/data/attributes/timeframe",
            )
        if end - start > timedelta(days=366) or end <= start:
            return api_errors(
                400, "invalid", "Invalid input.", "The timeframe must be at most 1 year.", "/data/attributes/timeframe"
            )
        self.remaining = max(0, self.remaining - 1)
        sent = [m for m in self.messages if start <= _moment(m["send_time"]) < end]
        offset = int(base64.b64decode(request.args["page_cursor"]).decode()) if request.args.get("page_cursor") else 0
        page = sent[offset : offset + self.page_size]
        results = [
            {
                "groupings": {
                    "send_channel": m["send_channel"],
                    "campaign_id": m["campaign_id"],
                    "campaign_message_id": m["campaign_message_id"],
                },
                "statistics": {s: self._statistic(m["statistics"], s) for s in statistics},
            }
            for m in page
        ]
        self_link = f"{self.url}/api/campaign-values-reports"
        next_link = None
        if offset + len(page) < len(sent):
            next_link = f"{self_link}?page_cursor={base64.b64encode(str(offset + len(page)).encode()).decode()}"
        campaigns = sorted({m["campaign_id"] for m in page})
        return json_response(
            {
                "data": {
                    "type": "campaign-values-report",
                    "id": str(uuid.uuid4()),
                    "attributes": {"results": results},
                    "relationships": {"campaigns": {"data": [{"type": "campaign", "id": c} for c in campaigns]}},
                },
                "links": {"self": self_link, "next": next_link, "previous": None},
            },
            headers=self._rate_headers(),
            content_type=JSONAPI,
        )

    @staticmethod
    def _statistic(counts: dict[str, float], name: str) -> float:
        if name in RATES:
            top, bottom = RATES[name]
            return round(counts.get(top, 0) / counts[bottom], 4) if counts.get(bottom) else 0.0
        return counts.get(name, 0)
