"""Mailchimp ``GET /3.0/reports`` export -> ``campaign_snapshots``.

The landing file is one JSON document: a reports page ``{"reports": [...], "total_items": N}``
or a JSON array of such pages (pagination written out as-is). Each report carries the
campaign's **lifetime** totals as of the export; the folder date (``report_date``) is the
snapshot date. Differencing consecutive snapshots into daily figures happens in dbt, not
here, so this parser only validates and flattens.

Validation (a bad report is quarantined with the field named, the others load):

* counters are non-negative integers (integral floats such as ``120.0`` are accepted);
* ``id`` is required; a second report with the same ``id`` is a duplicate;
* ``campaign_title``, ``list_id`` and ``type`` are descriptive and returned only when the
  request's ``fields=`` selects them: a missing one is loaded as NULL, with one warning per
  file naming the fields and the number of rows (``base.warn_missing_names``);
* internal consistency: ``unique_opens <= opens_total``,
  ``proxy_excluded_opens <= opens_total``,
  ``proxy_excluded_unique_opens <= unique_opens``, ``unique_clicks <= clicks_total``,
  ``unique_subscriber_clicks <= clicks_total``, bounces ``<= emails_sent``;
* ``send_time`` must not be later than the end of ``report_date`` plus one day (time
  zones): a later one means the file landed in the wrong day's folder.

``total_items`` different from the number of reports in the file is a warning (a
partial, paginated export), not an error: the reports present are still valid.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa

from orchestration.ingestion.parsers.base import (
    ParseResult,
    RecordError,
    SourceParseError,
    decode_utf8,
    dig,
    load_json,
    parse_records,
    require_str,
    schema,
    to_int,
    warn_missing_names,
)

SOURCE = "mailchimp"
FILE_PATTERNS = ("*.json",)
PRIMARY_TABLE = "campaign_snapshots"
GRAIN = ("campaign_id",)  # one snapshot per campaign per folder date (also checked across files by ingest)

INT64_MAX = 2**63 - 1

# (column, dotted path in the report, absent means 0)
COUNTERS: tuple[tuple[str, str, bool], ...] = (
    ("emails_sent", "emails_sent", False),
    ("hard_bounces", "bounces.hard_bounces", False),
    ("soft_bounces", "bounces.soft_bounces", False),
    ("syntax_errors", "bounces.syntax_errors", True),
    ("opens_total", "opens.opens_total", False),
    ("unique_opens", "opens.unique_opens", False),
    ("proxy_excluded_opens", "opens.proxy_excluded_opens", False),
    ("proxy_excluded_unique_opens", "opens.proxy_excluded_unique_opens", False),
    ("clicks_total", "clicks.clicks_total", False),
    ("unique_clicks", "clicks.unique_clicks", False),
    ("unique_subscriber_clicks", "clicks.unique_subscriber_clicks", False),
    ("unsubscribed", "unsubscribed", False),
)
_PATH = {column: path for column, path, _ in COUNTERS}

# (smaller column, larger column): a report where smaller > larger is inconsistent.
CONSISTENCY_RULES: tuple[tuple[str, str], ...] = (
    ("unique_opens", "opens_total"),
    ("proxy_excluded_opens", "opens_total"),
    ("proxy_excluded_unique_opens", "unique_opens"),
    ("unique_clicks", "clicks_total"),
    ("unique_subscriber_clicks", "clicks_total"),
)

SEND_TIME_TOLERANCE = timedelta(days=1)

# Descriptive columns (column -> native field): NULL when the export does not carry them, e.g.
# ``GET /3.0/reports?fields=reports.id,reports.emails_sent,...``; one warning per file.
NAME_FIELDS = {"campaign_title": "campaign_title", "list_id": "list_id", "campaign_type": "type"}

SCHEMAS: dict[str, pa.Schema] = {
    PRIMARY_TABLE: schema(
        pa.field("campaign_id", pa.string(), nullable=False),
        pa.field("campaign_title", pa.string(), nullable=True),
        pa.field("list_id", pa.string(), nullable=True),
        pa.field("subject_line", pa.string(), nullable=True),
        pa.field("campaign_type", pa.string(), nullable=True),
        pa.field("send_time", pa.timestamp("us", tz="UTC"), nullable=True),
        *(pa.field(column, pa.int64(), nullable=False) for column, _, _ in COUNTERS),
    )
}


# --------------------------------------------------------------------------- document shape
def _reports_of(document: Any, file_name: str) -> tuple[list[Any], list[str]]:
    """All reports of the document (one page or an array of pages) and the warnings."""
    pages: list[Any]
    if isinstance(document, dict):
        pages = [document]
    elif isinstance(document, list):
        pages = document
    else:
        raise SourceParseError(
            file_name,
            "document",
            None,
            f"expected a reports page object or an array of pages, got {type(document).__name__}",
        )

    reports: list[Any] = []
    totals: list[tuple[int, Any]] = []
    for page_number, page in enumerate(pages, start=1):
        position = "document" if isinstance(document, dict) else f"page {page_number}"
        if not isinstance(page, dict):
            raise SourceParseError(
                file_name, position, None, f"expected a reports page object, got {type(page).__name__}"
            )
        page_reports = page.get("reports")
        if not isinstance(page_reports, list):
            raise SourceParseError(
                file_name, position, "reports", "expected a list of reports (is this a GET /3.0/reports response?)"
            )
        reports.extend(page_reports)
        if "total_items" in page:
            totals.append((page_number, page["total_items"]))

    warnings: list[str] = []
    for page_number, total in totals:
        where = "" if isinstance(document, dict) else f" (page {page_number})"
        if isinstance(total, bool) or not isinstance(total, int):
            warnings.append(f"{file_name}: total_items{where} is not an integer: {total!r}; completeness not checked")
        elif total != len(reports):
            warnings.append(
                f"{file_name}: total_items{where} is {total} but the file holds {len(reports)} reports: "
                "partial export (missing pagination pages?)"
            )
    return reports, warnings


# --------------------------------------------------------------------------- one report
def _send_time(value: Any, report_date: date) -> datetime | None:
    """``send_time`` as an aware UTC datetime; ``""``/``None`` (not sent) -> ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise RecordError("send_time", f"not an ISO 8601 timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise RecordError("send_time", f"not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise RecordError("send_time", f"timestamp has no UTC offset: {value!r}")
    sent = parsed.astimezone(UTC)
    end_of_day = datetime.combine(report_date + timedelta(days=1), time(0), tzinfo=UTC)
    if sent > end_of_day + SEND_TIME_TOLERANCE:
        raise RecordError(
            "send_time",
            f"{value!r} is after the end of the snapshot date {report_date.isoformat()} (+1 day for time zones): "
            "sent after the snapshot date: file from the wrong day?",
        )
    return sent


def _counter(report: dict, column: str, absent_is_zero: bool) -> int:
    path = _PATH[column]
    value = to_int(dig(report, path), path, absent_is_zero=absent_is_zero)
    assert value is not None
    if value > INT64_MAX:
        raise RecordError(path, f"value out of int64 range: {value}")
    return value


def _text(value: Any, field_name: str, *, blank_is_null: bool) -> str | None:
    """An optional free-text field: absent -> ``None``; a string is kept verbatim, a blank one
    becomes ``None`` when ``blank_is_null`` (else ``""`` stays ``""``)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(field_name, f"not a string: {value!r}")
    if blank_is_null and not value.strip():
        return None
    return value


def _check_consistency(row: dict[str, int]) -> None:
    for smaller, larger in CONSISTENCY_RULES:
        if row[smaller] > row[larger]:
            raise RecordError(
                _PATH[smaller], f"{row[smaller]} is greater than {_PATH[larger]} ({row[larger]}): inconsistent counters"
            )
    bounces = row["hard_bounces"] + row["soft_bounces"] + row["syntax_errors"]
    if bounces > row["emails_sent"]:
        raise RecordError(
            "bounces",
            f"hard_bounces + soft_bounces + syntax_errors = {bounces} is greater than emails_sent "
            f"({row['emails_sent']}): inconsistent counters",
        )


def parse_report(report: Any, report_date: date) -> dict[str, Any]:
    """One report -> one ``campaign_snapshots`` row (without lineage columns); RecordError if invalid."""
    if not isinstance(report, dict):
        raise RecordError(None, f"report is not a JSON object: {type(report).__name__}")
    row: dict[str, Any] = {
        "campaign_id": require_str(report.get("id"), "id"),
        "campaign_title": _text(report.get("campaign_title"), "campaign_title", blank_is_null=False),
        "list_id": require_str(report.get("list_id"), "list_id", allow_null=True),
        "subject_line": _text(report.get("subject_line"), "subject_line", blank_is_null=True),
        "campaign_type": require_str(report.get("type"), "type", allow_null=True),
        "send_time": _send_time(report.get("send_time"), report_date),
    }
    for column, _, absent_is_zero in COUNTERS:
        row[column] = _counter(report, column, absent_is_zero)
    _check_consistency(row)
    return row


# --------------------------------------------------------------------------- entry point
def parse(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """Parse one Mailchimp reports export (bytes of the landing file) into ``campaign_snapshots``."""
    text = decode_utf8(data, file_name)
    if not text.strip():
        return ParseResult(source_file=file_name, records_read=0, tables={PRIMARY_TABLE: []})  # a day with no rows

    reports, warnings = _reports_of(load_json(text, file_name), file_name)
    result = parse_records(
        list(enumerate(reports, start=1)),
        lambda report: {PRIMARY_TABLE: [parse_report(report, report_date)]},
        source_file=file_name,
        primary=PRIMARY_TABLE,
        table_names=[PRIMARY_TABLE],
        key=lambda row: tuple(row[column] for column in GRAIN),
    )
    warn_missing_names(result, PRIMARY_TABLE, NAME_FIELDS)
    result.warnings.extend(warnings)
    return result
