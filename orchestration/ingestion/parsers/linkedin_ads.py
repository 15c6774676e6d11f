"""LinkedIn Ads: parse a day's Marketing API exports into ``ad_analytics`` and its lookups.

Native format (``linkedin_ads/<YYYY-MM-DD>/``), the responses the pull saves, one kind per
file, told apart by the file name:

- ``ad_analytics*.json``: ``GET /rest/adAnalytics?q=analytics&pivot=CREATIVE&timeGranularity=DAILY``:
  ``{"elements": [{"pivotValues": ["urn:li:sponsoredCreative:<id>"], "dateRange": {"start":
  {"year","month","day"}, "end": {...}}, "impressions", "clicks", "landingPageClicks",
  "costInLocalCurrency" (a decimal string), "externalWebsitePostClickConversions", ...}],
  "paging": {...}}``. The endpoint has no pagination; dates are UTC.
- ``ad_accounts*.json``: ``GET /rest/adAccounts/<id>`` (one account entity) or a search response
  ``{"elements": [...]}``: ``id``, ``name``, ``currency``, ``type``, ``status``.
- ``ad_campaigns*.json``: ``GET /rest/adAccounts/<id>/adCampaigns?q=search``: ``id``, ``name``,
  ``account`` (``urn:li:sponsoredAccount:<id>``), ``campaignGroup``, ``type``, ``format``
  (``SINGLE_VIDEO`` for a video campaign), ``objectiveType``, ``status``.
- ``creatives*.json``: ``GET /rest/adAccounts/<id>/creatives?q=criteria``: ``id``
  (``urn:li:sponsoredCreative:<id>``), ``campaign`` (URN), ``account`` (URN), ``name``,
  ``intendedStatus``.

Each file is one response page or a JSON array of pages; an element of ``elements`` is one
record (an ``adAccounts`` entity response is one record), numbered 1.. across the pages.

Tables. ``elements`` (primary) has one row per loaded record of any kind: ``entity_type``
(``ad_analytics`` / ``ad_account`` / ``ad_campaign`` / ``creative``), ``entity_id`` (the
creative, account or campaign id) and ``date_start`` (``dateRange.start``, analytics only). Its
grain (entity_type, entity_id, date_start) is checked within a file and, by the ingest layer, across the files of a
day. The kind's own columns are in ``ad_analytics`` / ``ad_accounts`` / ``ad_campaigns`` /
``creatives``; ids are the numeric part of the URNs. The lookups are joined to the analytics
downstream (creative -> campaign -> account: names, currency, the campaign's format).

Measures. ``impressions``, ``clicks``, ``landingPageClicks`` and ``costInLocalCurrency`` are
required (the pull always requests them). Every other metric is NULL when the element does
not carry it (it was not requested), never 0; a 0 LinkedIn reports is kept (whether the 0
video views of an image ad mean "no video" is decided downstream from the campaign format).
``costInLocalCurrency`` is documented as a decimal string; a JSON number is accepted (the
value is unambiguous) with one warning per file.

Validation (-> quarantine, reason names the field): ``pivotValues`` must hold exactly one
``urn:li:sponsoredCreative:<digits>`` (a file requested with another pivot is wrong for this
table), ``dateRange`` must be one day (start = end, or no end) and equal the folder's report
date, counts non-negative integers, money non-negative finite numbers, the account currency a
known ISO 4217 code, ids numeric (or their URN). Names are attributes: a missing account or
campaign name loads as NULL with one warning per file; creatives often have no name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow as pa

from orchestration.ingestion.parsers.base import (
    ParseResult,
    RecordError,
    SourceParseError,
    api_pages,
    check_report_date,
    decode_utf8,
    load_json,
    parse_records,
    require_str,
    schema,
    to_float,
    to_int,
)
from orchestration.ingestion.parsers.google_ads import currency_code

SOURCE = "linkedin_ads"
# One pattern per response kind (see KINDS); other files in the folder are skipped with a warning.
FILE_PATTERNS = ("ad_analytics*.json", "ad_accounts*.json", "ad_campaigns*.json", "creatives*.json")
PRIMARY_TABLE = "elements"
GRAIN = ("entity_type", "entity_id", "date_start")

SCHEMAS: dict[str, pa.Schema] = {
    "elements": schema(
        pa.field("entity_type", pa.string(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("date_start", pa.date32(), nullable=True),
    ),
    "ad_analytics": schema(
        pa.field("date_start", pa.date32(), nullable=False),
        pa.field("creative_id", pa.string(), nullable=False),
        pa.field("impressions", pa.int64(), nullable=False),
        pa.field("clicks", pa.int64(), nullable=False),
        pa.field("landing_page_clicks", pa.int64(), nullable=False),
        pa.field("cost_in_local_currency", pa.float64(), nullable=False),
        pa.field("cost_in_usd", pa.float64(), nullable=True),
        pa.field("external_website_conversions", pa.int64(), nullable=True),
        pa.field("external_website_post_click_conversions", pa.int64(), nullable=True),
        pa.field("external_website_post_view_conversions", pa.int64(), nullable=True),
        pa.field("conversion_value_in_local_currency", pa.float64(), nullable=True),
        pa.field("video_starts", pa.int64(), nullable=True),
        pa.field("video_views", pa.int64(), nullable=True),
        pa.field("video_completions", pa.int64(), nullable=True),
    ),
    "ad_accounts": schema(
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("account_name", pa.string(), nullable=True),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("account_type", pa.string(), nullable=True),
        pa.field("account_status", pa.string(), nullable=True),
    ),
    "ad_campaigns": schema(
        pa.field("campaign_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("campaign_name", pa.string(), nullable=True),
        pa.field("campaign_group_id", pa.string(), nullable=True),
        pa.field("campaign_type", pa.string(), nullable=True),
        pa.field("campaign_format", pa.string(), nullable=True),
        pa.field("objective_type", pa.string(), nullable=True),
        pa.field("campaign_status", pa.string(), nullable=True),
    ),
    "creatives": schema(
        pa.field("creative_id", pa.string(), nullable=False),
        pa.field("campaign_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=True),
        pa.field("creative_name", pa.string(), nullable=True),
        pa.field("intended_status", pa.string(), nullable=True),
    ),
}

# adAnalytics metric (native name) -> ad_analytics column. Required ones are in REQUIRED_METRICS.
COUNT_METRICS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "landingPageClicks": "landing_page_clicks",
    "externalWebsiteConversions": "external_website_conversions",
    "externalWebsitePostClickConversions": "external_website_post_click_conversions",
    "externalWebsitePostViewConversions": "external_website_post_view_conversions",
    "videoStarts": "video_starts",
    "videoViews": "video_views",
    "videoCompletions": "video_completions",
}
MONEY_METRICS = {
    "costInLocalCurrency": "cost_in_local_currency",
    "costInUsd": "cost_in_usd",
    "conversionValueInLocalCurrency": "conversion_value_in_local_currency",
}
REQUIRED_METRICS = frozenset({"impressions", "clicks", "landingPageClicks", "costInLocalCurrency"})
# The metrics the pull requests (adAnalytics takes at most 20 fields, these included).
ANALYTICS_FIELDS = ("pivotValues", "dateRange", *COUNT_METRICS, *MONEY_METRICS)

_URN = re.compile(r"urn:li:(?P<kind>[A-Za-z]+):(?P<id>[0-9]+)")
_DIGITS = re.compile(r"[0-9]+")


# --------------------------------------------------------------------------- entry point
def parse(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """Parse one LinkedIn landing file; its kind comes from its name (see ``FILE_PATTERNS``)."""
    kind = file_kind(file_name)
    text = decode_utf8(data, file_name)
    if not text.strip():  # an empty file is a valid day with no rows
        return _empty(file_name)
    document = load_json(text, file_name)

    records: list[tuple[int, Any]] = []
    pages = api_pages(document, file_name, unit="page", expected="a response object or an array of pages")
    for position, page in pages:
        records.extend((len(records) + 1, element) for element in _page_elements(page, kind, file_name, position))

    warnings: dict[str, int] = {}
    parse_one = KINDS[kind]
    result = parse_records(
        records,
        lambda record: parse_one(record, report_date, warnings),
        source_file=file_name,
        primary=PRIMARY_TABLE,
        table_names=list(SCHEMAS),
        key=lambda row: tuple(row[column] for column in GRAIN),
    )
    loaded = len(result.tables[PRIMARY_TABLE])
    for message, count in warnings.items():
        loaded_count = min(count, loaded)
        if loaded_count:
            result.warnings.append(message.format(n=loaded_count, of=loaded))
    return result


def file_kind(file_name: str) -> str:
    """``ad_analytics`` / ``ad_accounts`` / ``ad_campaigns`` / ``creatives`` from the file name
    (the last part of a ``<source>/<date>/<name>`` display name)."""
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    for kind in KINDS:
        if name.startswith(kind) and name.endswith(".json"):
            return kind
    raise SourceParseError(
        file_name,
        "file name",
        None,
        f"not a LinkedIn export: expected a name matching one of {', '.join(FILE_PATTERNS)}",
    )


def _empty(file_name: str) -> ParseResult:
    return ParseResult(source_file=file_name, records_read=0, tables={name: [] for name in SCHEMAS})


def _page_elements(page: dict, kind: str, file_name: str, position: str) -> list[Any]:
    if "elements" not in page:
        status = page.get("status")
        if isinstance(status, int) and status >= 400:  # a Rest.li error body saved instead of a response
            message = f"the API returned an error: {page.get('code') or status}: {page.get('message')!r}"
            raise SourceParseError(file_name, position, "status", message[:500])
        if kind == "ad_accounts" and "id" in page:  # GET /rest/adAccounts/<id>: the entity itself
            return [page]
        raise SourceParseError(file_name, position, "elements", 'missing (expected {"elements": [...], ...})')
    elements = page["elements"]
    if not isinstance(elements, list):
        raise SourceParseError(file_name, position, "elements", f"expected an array, got {type(elements).__name__}")
    return elements


# --------------------------------------------------------------------------- field helpers
def _object(record: Any, what: str) -> dict:
    if not isinstance(record, dict):
        raise RecordError(None, f"{what} is not a JSON object: {type(record).__name__}")
    return record


def _urn_id(
    value: Any, field_name: str, kind: str, *, allow_plain: bool = False, allow_null: bool = False
) -> str | None:
    """The numeric id of ``urn:li:<kind>:<digits>`` (or, with ``allow_plain``, of a bare number)."""
    if value is None or value == "":
        if allow_null:
            return None
        raise RecordError(field_name, "required value is missing")
    if allow_plain and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str):
        if allow_plain and _DIGITS.fullmatch(value.strip()):
            return value.strip()
        match = _URN.fullmatch(value.strip())
        if match and match["kind"] == kind:
            return match["id"]
    nor_plain = " nor a LinkedIn id" if allow_plain else ""
    raise RecordError(field_name, f"not a {kind} URN (urn:li:{kind}:<digits>){nor_plain}: {value!r}")


def _count(record: dict, native: str) -> int | None:
    if native not in record and native not in REQUIRED_METRICS:
        return None
    return to_int(record.get(native), native)


def _money(record: dict, native: str, warnings: dict[str, int]) -> float | None:
    if native not in record and native not in REQUIRED_METRICS:
        return None
    value = record.get(native)
    if native == "costInLocalCurrency" and isinstance(value, (int, float)) and not isinstance(value, bool):
        message = (
            "{n} of {of} loaded rows have costInLocalCurrency as a JSON number, not the API's decimal string "
            "(loaded; the file was re-serialised by something)"
        )
        warnings[message] = warnings.get(message, 0) + 1
    return to_float(value, native)


def _day(value: Any, field_name: str) -> date:
    """``{"year": 2024, "month": 3, "day": 5}`` -> date."""
    if value is None:
        raise RecordError(field_name, "required value is missing")
    if not isinstance(value, dict):
        raise RecordError(field_name, f"expected {{year, month, day}}, got {value!r}")
    parts = []
    for key in ("year", "month", "day"):
        part = value.get(key)
        if isinstance(part, bool) or not isinstance(part, int):
            raise RecordError(f"{field_name}.{key}", f"not an integer: {part!r}")
        parts.append(part)
    try:
        return date(*parts)
    except ValueError:
        raise RecordError(field_name, f"not a date: {value!r}") from None


def _name(record: dict, field_name: str, warnings: dict[str, int], *, warn: bool = True) -> str | None:
    value = require_str(record.get(field_name), field_name, allow_null=True)
    if value is None and warn:
        message = "{n} of {of} loaded rows have no " + field_name + ": loaded with NULL names"
        warnings[message] = warnings.get(message, 0) + 1
    return value


def _optional(record: dict, field_name: str) -> str | None:
    return require_str(record.get(field_name), field_name, allow_null=True)


def _element(entity_type: str, entity_id: str, day: date | None) -> dict[str, Any]:
    return {"entity_type": entity_type, "entity_id": entity_id, "date_start": day}


# --------------------------------------------------------------------------- one record per kind
def _analytics(record: Any, report_date: date, warnings: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    record = _object(record, "adAnalytics element")
    pivots = record.get("pivotValues")
    if pivots is None:
        raise RecordError("pivotValues", "required value is missing")
    if not isinstance(pivots, list):
        raise RecordError("pivotValues", f"expected an array, got {type(pivots).__name__}")
    if len(pivots) != 1:
        raise RecordError("pivotValues", f"expected one value (pivot=CREATIVE), got {len(pivots)}")
    pivot = pivots[0]
    match = _URN.fullmatch(pivot.strip()) if isinstance(pivot, str) else None
    if not match or match["kind"] != "sponsoredCreative":
        raise RecordError(
            "pivotValues[0]", f"not a sponsoredCreative URN: {pivot!r} (the export must be pivot=CREATIVE)"
        )
    creative_id = match["id"]

    date_range = record.get("dateRange")
    if date_range is None:
        raise RecordError("dateRange", "required value is missing")
    if not isinstance(date_range, dict):
        raise RecordError("dateRange", f"expected {{start, end}}, got {date_range!r}")
    start = _day(date_range.get("start"), "dateRange.start")
    if date_range.get("end") is not None:
        end = _day(date_range.get("end"), "dateRange.end")
        if end != start:
            raise RecordError(
                "dateRange.end", f"a DAILY element must cover one day: {start.isoformat()} to {end.isoformat()}"
            )
    check_report_date(start, report_date, "dateRange.start")

    row: dict[str, Any] = {"date_start": start, "creative_id": creative_id}
    for native, column in COUNT_METRICS.items():
        row[column] = _count(record, native)
    for native, column in MONEY_METRICS.items():
        row[column] = _money(record, native, warnings)
    ordered = {name: row[name] for name in SCHEMAS["ad_analytics"].names if name in row}
    return _rows("ad_analytics", _element("ad_analytics", creative_id, start), ordered)


def _account(record: Any, report_date: date, warnings: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    record = _object(record, "ad account")
    account_id = _urn_id(record.get("id"), "id", "sponsoredAccount", allow_plain=True)
    row = {
        "account_id": account_id,
        "account_name": _name(record, "name", warnings),
        "currency": currency_code(record.get("currency"), "currency"),
        "account_type": _optional(record, "type"),
        "account_status": _optional(record, "status"),
    }
    return _rows("ad_accounts", _element("ad_account", account_id, None), row)


def _campaign(record: Any, report_date: date, warnings: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    record = _object(record, "campaign")
    campaign_id = _urn_id(record.get("id"), "id", "sponsoredCampaign", allow_plain=True)
    row = {
        "campaign_id": campaign_id,
        "account_id": _urn_id(record.get("account"), "account", "sponsoredAccount"),
        "campaign_name": _name(record, "name", warnings),
        "campaign_group_id": _urn_id(
            record.get("campaignGroup"), "campaignGroup", "sponsoredCampaignGroup", allow_null=True
        ),
        "campaign_type": _optional(record, "type"),
        "campaign_format": _optional(record, "format"),
        "objective_type": _optional(record, "objectiveType"),
        "campaign_status": _optional(record, "status"),
    }
    return _rows("ad_campaigns", _element("ad_campaign", campaign_id, None), row)


def _creative(record: Any, report_date: date, warnings: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    record = _object(record, "creative")
    creative_id = _urn_id(record.get("id"), "id", "sponsoredCreative", allow_plain=True)
    row = {
        "creative_id": creative_id,
        "campaign_id": _urn_id(record.get("campaign"), "campaign", "sponsoredCampaign"),
        "account_id": _urn_id(record.get("account"), "account", "sponsoredAccount", allow_null=True),
        "creative_name": _name(record, "name", warnings, warn=False),
        "intended_status": _optional(record, "intendedStatus"),
    }
    return _rows("creatives", _element("creative", creative_id, None), row)


def _rows(table: str, primary: dict[str, Any], row: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    out[PRIMARY_TABLE].append(primary)
    out[table].append(row)
    return out


KINDS: dict[str, Callable[[Any, date, dict[str, int]], dict[str, list[dict[str, Any]]]]] = {
    "ad_analytics": _analytics,
    "ad_accounts": _account,
    "ad_campaigns": _campaign,
    "creatives": _creative,
}
