"""A fake Meta Graph / Marketing API (Insights, asynchronous report runs), from the public docs:

- ``POST /{version}/act_{id}/insights`` (form fields ``level``, ``fields``, ``time_range``,
  ``time_increment``, ``action_attribution_windows``) -> ``{"report_run_id": "..."}``.
- ``GET /{version}/{report_run_id}`` -> the AdReportRun: ``id``, ``account_id``,
  ``async_status`` (``Job Not Started`` / ``Job Started`` / ``Job Running`` / ``Job Completed`` /
  ``Job Failed`` / ``Job Skipped``), ``async_percent_completion``, ``date_start``, ``date_stop``.
  Each poll advances the job one state along ``job_states``.
- ``GET /{version}/{report_run_id}/insights?limit=&after=`` -> ``{"data": [...], "paging":
  {"cursors": {"before", "after"}, "next": "<url with access_token=…>"}}`` (no ``next`` on the
  last page). Every number is a string; ``actions`` / ``action_values`` entries carry
  ``action_type``, ``value`` and one key per requested attribution window.
- Errors: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``: 190
  (OAuthException, expired token), 100/33 (unknown object), 100 (invalid parameter), 17/80004
  (throttling). Usage headers ``x-business-use-case-usage``, ``x-ad-account-usage`` on responses.

Data: ``accounts["act_1"] = {"name", "currency", "rows": {date: [row…]}}``; a row has ids/names,
``impressions``, ``clicks``, ``inline_link_clicks``, ``spend`` and ``actions`` /
``action_values`` as ``{action_type: {window: value}}``.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.pull.fakes.base import FakeServer, json_response

VERSION = "v27.0"
ALL_STATES = ("Job Not Started", "Job Started", "Job Running", "Job Completed")
SUPPORTED_WINDOWS = {"1d_click", "7d_click", "28d_click", "1d_view"}
RETIRED_WINDOWS = {"7d_view", "28d_view"}  # not returned since 2026-01-12
KNOWN_FIELDS = {
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
}


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
    if subcode is not None:
        error["error_subcode"] = subcode
    return json_response({"error": error}, status=status, headers=headers)


@dataclass
class Job:
    id: str
    account: str
    since: str
    until: str
    fields: list[str]
    windows: list[str]
    states: list[str]
    polls: int = 0

    @property
    def status(self) -> str:
        return self.states[min(self.polls, len(self.states) - 1)]


class FakeMetaAds(FakeServer):
    def __init__(
        self, *, access_token: str, accounts: dict[str, dict[str, Any]], job_states: tuple[str, ...] = ALL_STATES
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.accounts = accounts
        self.job_states = list(job_states)
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(6120000000001)
        self.usage = {"call_count": 3, "total_cputime": 2, "total_time": 2, "estimated_time_to_regain_access": 0}
        self.account_usage = {"acc_id_util_pct": 1.5, "reset_time_duration": 0}

    def _headers(self, account: str | None) -> dict[str, str]:
        business = {"1234567890": [{"type": "ads_insights", **self.usage}]}
        return {
            "x-business-use-case-usage": json.dumps(business),
            "x-ad-account-usage": json.dumps(self.account_usage),
        }

    def _token_of(self, request: Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith(("Bearer ", "OAuth ")):
            return auth.split(" ", 1)[1]
        return request.values.get("access_token")

    def handle(self, request: Request) -> Response:
        if self._token_of(request) != self.access_token:
            return graph_error(
                190,
                "Error validating access token: Session has expired on Friday, 01-Mar-24 08:00:00 PST.",
                subcode=463,
                status=400,
            )
        m = re.fullmatch(rf"/{VERSION}/(act_\d+)/insights", request.path)
        if m and request.method == "POST":
            return self._start_job(m.group(1), request)
        m = re.fullmatch(rf"/{VERSION}/(\d+)/insights", request.path)
        if m and request.method == "GET":
            return self._results(m.group(1), request)
        m = re.fullmatch(rf"/{VERSION}/(\d+)", request.path)
        if m and request.method == "GET":
            return self._job_status(m.group(1))
        return graph_error(100, f"Unsupported {request.method.lower()} request.", kind="GraphMethodException")

    def _start_job(self, account: str, request: Request) -> Response:
        if account not in self.accounts:
            return graph_error(
                100,
                f"Unsupported post request. Object with ID '{account}' does not exist, cannot be loaded due to missing "
                "permissions, or does not support this operation.",
                subcode=33,
                kind="GraphMethodException",
            )
        form = request.form
        try:
            time_range = json.loads(form["time_range"])
            windows = json.loads(form.get("action_attribution_windows", '["7d_click","1d_view"]'))
            fields = form["fields"].split(",")
        except (KeyError, ValueError):
            return graph_error(
                100, "(#100) Invalid parameter: time_range and fields are required", kind="OAuthException"
            )
        retired = sorted(set(windows) & RETIRED_WINDOWS)
        if retired:
            return graph_error(100, f"(#100) action_attribution_windows: {retired[0]} is no longer supported")
        unknown = sorted(set(windows) - SUPPORTED_WINDOWS) or sorted(set(fields) - KNOWN_FIELDS)
        if unknown:
            return graph_error(100, f"(#100) {unknown[0]} is not a valid value")
        if form.get("level") != "ad" or form.get("time_increment") != "1":
            return graph_error(100, "(#100) this fake serves level=ad, time_increment=1 only")
        job = Job(
            str(next(self._ids)),
            account,
            time_range["since"],
            time_range["until"],
            fields,
            windows,
            list(self.job_states),
        )
        self.jobs[job.id] = job
        return json_response({"report_run_id": job.id}, headers=self._headers(account))

    def _job_status(self, run_id: str) -> Response:
        job = self.jobs.get(run_id)
        if job is None:
            return graph_error(
                100,
                f"Unsupported get request. Object with ID '{run_id}' does not exist",
                subcode=33,
                kind="GraphMethodException",
            )
        status = job.status
        job.polls += 1
        done = ALL_STATES.index(status) if status in ALL_STATES else 0
        return json_response(
            {
                "id": run_id,
                "account_id": job.account.removeprefix("act_"),
                "async_status": status,
                "async_percent_completion": 100 if status == "Job Completed" else done * 30,
                "date_start": job.since,
                "date_stop": job.until,
            },
            headers=self._headers(job.account),
        )

    def _results(self, run_id: str, request: Request) -> Response:
        job = self.jobs.get(run_id)
        if job is None or job.status != "Job Completed":
            return graph_error(100, "(#100) The report is not ready yet", kind="OAuthException")
        rows = [
            self._row(job, day, row)
            for day, day_rows in sorted(self.accounts[job.account]["rows"].items())
            if job.since <= day <= job.until
            for row in day_rows
        ]
        limit = int(request.args.get("limit", "25"))
        after = request.args.get("after")
        offset = int(base64.b64decode(after).decode()) if after else 0
        page = rows[offset : offset + limit]
        body: dict[str, Any] = {"data": page}
        if rows:
            body["paging"] = {
                "cursors": {
                    "before": base64.b64encode(str(offset).encode()).decode(),
                    "after": base64.b64encode(str(offset + len(page)).encode()).decode(),
                }
            }
            if offset + len(page) < len(rows):
                cursor = body["paging"]["cursors"]["after"]
                # like the Graph API, the next URL carries the access token
                body["paging"]["next"] = (
                    f"{self.url}/{VERSION}/{run_id}/insights?access_token={self.access_token}&limit={limit}&after={cursor}"
                )
        return json_response(body, headers=self._headers(job.account))

    def _row(self, job: Job, day: str, row: dict[str, Any]) -> dict[str, Any]:
        account = self.accounts[job.account]
        full = {
            "account_id": job.account.removeprefix("act_"),
            "account_name": account["name"],
            "account_currency": account["currency"],
            "campaign_id": row["campaign_id"],
            "campaign_name": row["campaign_name"],
            "adset_id": row["adset_id"],
            "adset_name": row["adset_name"],
            "ad_id": row["ad_id"],
            "ad_name": row["ad_name"],
            "impressions": str(row["impressions"]),
            "clicks": str(row["clicks"]),
            "inline_link_clicks": str(row["inline_link_clicks"]),
            "spend": f"{row['spend']:.2f}",
            "reach": str(row.get("reach", row["impressions"])),
            "attribution_setting": "7d_click_1d_view",
            "date_start": day,
            "date_stop": day,
        }
        for array in ("actions", "action_values"):
            entries = []
            for action_type, by_window in (row.get(array) or {}).items():
                entry = {
                    "action_type": action_type,
                    "value": _num(by_window.get("7d_click", 0) + by_window.get("1d_view", 0)),
                }
                for window in job.windows:
                    if by_window.get(window):
                        entry[window] = _num(by_window[window])
                entries.append(entry)
            if entries:
                full[array] = entries
        return {k: v for k, v in full.items() if k in job.fields}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
