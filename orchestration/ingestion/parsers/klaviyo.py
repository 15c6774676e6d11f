"""Klaviyo Reporting API ``campaign-values-report`` export -> ``campaign_snapshots``.

The landing file is one JSON document: a response
``{"data": {"type": "campaign-values-report", "attributes": {"results": [...]}}}`` or a
JSON array of such responses (pages). Each result is one
``(send_channel, campaign_id, campaign_message_id)`` grouping with its **lifetime**
statistics; the folder date is the snapshot date (differencing happens in dbt).

Statistics are JSON numbers; counts may arrive as integral floats (``120.0``) and are
accepted as integers. Rates (``open_rate``, ``click_rate``, ... fractions) are not stored:
they are derivable from the counts. A count Klaviyo does not report for a channel (SMS
has no opens) is 0; ``conversions`` / ``conversion_value`` are NULL when absent (no
conversion metric configured is not the same as zero conversions).

Validation (a bad result is quarantined with the field named, the others load):
counts are non-negative integers; ``opens_unique <= opens``,
``clicks_unique <= clicks``, ``delivered <= recipients``, ``bounced <= recipients``;
the grouping ids are required; a repeated grouping is a duplicate.
A document that is not a campaign-values-report fails the file.
"""

from __future__ import annotations

from datetime import date
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
    to_float,
    to_int,
)

SOURCE = "klaviyo"
FILE_PATTERNS = ("*.json",)
PRIMARY_TABLE = "campaign_snapshots"
REPORT_TYPE = "campaign-values-report"
GRAIN = ("campaign_id", "campaign_message_id", "send_channel")  # also checked across files by ingest

INT64_MAX = 2**63 - 1

GROUPINGS = ("send_channel", "campaign_id", "campaign_message_id")
COUNTS = ("recipients", "delivered", "bounced", "opens", "opens_unique", "clicks", "clicks_unique", "unsubscribes")
MEASURES = ("conversions", "conversion_value")

# (smaller, larger): a result where smaller > larger is inconsistent.
CONSISTENCY_RULES: tuple[tuple[str, str], ...] = (
    ("opens_unique", "opens"),
    ("clicks_unique", "clicks"),
    ("delivered", "recipients"),
    ("bounced", "recipients"),
)

SCHEMAS: dict[str, pa.Schema] = {
    PRIMARY_TABLE: schema(
        *(pa.field(name, pa.string(), nullable=False) for name in GROUPINGS),
        *(pa.field(name, pa.int64(), nullable=False) for name in COUNTS),
        *(pa.field(name, pa.float64(), nullable=True) for name in MEASURES),
    )
}


# --------------------------------------------------------------------------- document shape
def _results_of_page(page: Any, file_name: str, position: str) -> list[Any]:
    if not isinstance(page, dict):
        raise SourceParseError(file_name, position, None, f"expected a response object, got {type(page).__name__}")
    data = page.get("data")
    if not isinstance(data, dict):
        detail = ""
        if "errors" in page:
            detail = f" (the response is an API error: {page['errors']!r:.300})"
        raise SourceParseError(file_name, position, "data", f"expected an object{detail}")
    if data.get("type") != REPORT_TYPE:
        raise SourceParseError(
            file_name,
            position,
            "data.type",
            f"expected {REPORT_TYPE!r}, got {data.get('type')!r}: not a campaign values report",
        )
    results = dig(data, "attributes.results")
    if not isinstance(results, list):
        raise SourceParseError(file_name, position, "data.attributes.results", "expected a list of results")
    return results


def _results_of(document: Any, file_name: str) -> list[Any]:
    """All results of the document (one response or an array of responses), in file order."""
    if isinstance(document, dict):
        return _results_of_page(document, file_name, "document")
    if isinstance(document, list):
        results: list[Any] = []
        for number, page in enumerate(document, start=1):
            results.extend(_results_of_page(page, file_name, f"page {number}"))
        return results
    raise SourceParseError(
        file_name,
        "document",
        None,
        f"expected a response object or an array of responses, got {type(document).__name__}",
    )


# --------------------------------------------------------------------------- one result
def _count(statistics: dict, name: str) -> int:
    field_name = f"statistics.{name}"
    value = to_int(statistics.get(name), field_name, absent_is_zero=True)
    assert value is not None
    if value > INT64_MAX:
        raise RecordError(field_name, f"value out of int64 range: {value}")
    return value


def parse_result(result: Any) -> dict[str, Any]:
    """One report result -> one ``campaign_snapshots`` row (without lineage columns); RecordError if invalid."""
    if not isinstance(result, dict):
        raise RecordError(None, f"result is not a JSON object: {type(result).__name__}")
    groupings = result.get("groupings")
    if not isinstance(groupings, dict):
        raise RecordError("groupings", "required object is missing")
    statistics = result.get("statistics")
    if not isinstance(statistics, dict):
        raise RecordError("statistics", "required object is missing")

    row: dict[str, Any] = {name: require_str(groupings.get(name), f"groupings.{name}") for name in GROUPINGS}
    for name in COUNTS:
        row[name] = _count(statistics, name)
    for name in MEASURES:
        row[name] = to_float(statistics.get(name), f"statistics.{name}", allow_null=True)

    for smaller, larger in CONSISTENCY_RULES:
        if row[smaller] > row[larger]:
            raise RecordError(
                f"statistics.{smaller}",
                f"{row[smaller]} is greater than statistics.{larger} ({row[larger]}): inconsistent counters",
            )
    return row


# --------------------------------------------------------------------------- entry point
def parse(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """Parse one Klaviyo campaign-values-report export into ``campaign_snapshots``.

    ``report_date`` is the snapshot date; the report itself carries no date to check.
    """
    text = decode_utf8(data, file_name)
    if not text.strip():
        return ParseResult(source_file=file_name, records_read=0, tables={PRIMARY_TABLE: []})  # a day with no rows

    results = _results_of(load_json(text, file_name), file_name)
    return parse_records(
        list(enumerate(results, start=1)),
        lambda result: {PRIMARY_TABLE: [parse_result(result)]},
        source_file=file_name,
        primary=PRIMARY_TABLE,
        table_names=[PRIMARY_TABLE],
        key=lambda row: tuple(row[column] for column in GRAIN),
    )
