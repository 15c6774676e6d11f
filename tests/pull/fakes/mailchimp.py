"""A fake Mailchimp Marketing API 3.0 ``GET /3.0/reports``, from the public reference:

- HTTP Basic auth, any user name, the API key as password; a wrong key -> 401
  ``application/problem+json`` ``{"type", "title": "API Key Invalid", "status": 401, "detail", "instance"}``.
- Query ``count`` (default 10, at most 1000), ``offset`` (default 0), ``fields`` /
  ``exclude_fields`` (comma-separated, dot notation).
- Response ``{"reports": [CampaignReport…], "total_items": N, "_links": [...]}``: each report holds
  the campaign's lifetime totals *as of the call* (``emails_sent``, ``bounces``, ``opens``,
  ``clicks``, ``unsubscribed``, ``send_time`` …) and its own ``_links``.

Data: ``reports`` (a list of dicts: the current lifetime totals; tests change them between pulls).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.pull.fakes.base import FakeServer, json_response

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str) -> Response:
    return json_response(
        {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": str(uuid.uuid4()),
        },
        status=status,
        content_type=PROBLEM,
    )


def _links(path: str) -> list[dict[str, str]]:
    return [
        {
            "rel": "self",
            "href": f"https://us21.api.mailchimp.com/3.0{path}",
            "method": "GET",
            "targetSchema": "https://us21.api.mailchimp.com/schema/3.0/Definitions/Reports/Response.json",
        }
    ]


class FakeMailchimp(FakeServer):
    def __init__(self, *, api_key: str, reports: list[dict[str, Any]]) -> None:
        super().__init__()
        self.api_key = api_key
        self.reports = reports

    def handle(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        password = None
        if auth.startswith("Basic "):
            password = base64.b64decode(auth[6:]).decode().partition(":")[2]
        elif auth.startswith("Bearer "):
            password = auth[7:]
        if password != self.api_key:
            return problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        if request.path != "/3.0/reports" or request.method != "GET":
            return problem(404, "Resource Not Found", "The requested resource could not be found.")
        try:
            count = int(request.args.get("count", "10"))
            offset = int(request.args.get("offset", "0"))
        except ValueError:
            return problem(400, "Invalid Resource", "count and offset must be integers")
        if not 1 <= count <= 1000 or offset < 0:
            return problem(400, "Invalid Resource", "count must be between 1 and 1000")
        exclude = {f.strip() for f in request.args.get("exclude_fields", "").split(",") if f.strip()}
        page = []
        for report in self.reports[offset : offset + count]:
            item = {**report, "_links": _links(f"/reports/{report['id']}")}
            if "reports._links" in exclude:
                item.pop("_links")
            page.append(item)
        body: dict[str, Any] = {"reports": page, "total_items": len(self.reports)}
        if "_links" not in exclude:
            body["_links"] = _links("/reports")
        return json_response(body)


def report(
    campaign_id: str,
    *,
    title: str,
    list_id: str,
    send_time: str,
    emails_sent: int,
    hard: int,
    soft: int,
    opens_total: int,
    unique_opens: int,
    proxy_opens: int,
    proxy_unique_opens: int,
    clicks_total: int,
    unique_clicks: int,
    subscriber_clicks: int,
    unsubscribed: int,
) -> dict[str, Any]:
    """A CampaignReport with the documented fields (rates derived from the counts)."""
    delivered = max(emails_sent - hard - soft, 1)
    return {
        "id": campaign_id,
        "campaign_title": title,
        "type": "regular",
        "list_id": list_id,
        "list_is_active": True,
        "list_name": "Newsletter",
        "subject_line": f"{title} subject",
        "preview_text": "",
        "emails_sent": emails_sent,
        "abuse_reports": 0,
        "unsubscribed": unsubscribed,
        "send_time": send_time,
        "bounces": {"hard_bounces": hard, "soft_bounces": soft, "syntax_errors": 0},
        "forwards": {"forwards_count": 0, "forwards_opens": 0},
        "opens": {
            "opens_total": opens_total,
            "proxy_excluded_opens": proxy_opens,
            "unique_opens": unique_opens,
            "proxy_excluded_unique_opens": proxy_unique_opens,
            "open_rate": unique_opens / delivered,
            "proxy_excluded_open_rate": proxy_unique_opens / delivered,
            "last_open": send_time,
        },
        "clicks": {
            "clicks_total": clicks_total,
            "unique_clicks": unique_clicks,
            "unique_subscriber_clicks": subscriber_clicks,
            "click_rate": subscriber_clicks / delivered,
            "last_click": send_time,
        },
    }
