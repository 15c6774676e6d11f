"""Google Ads: parse a day's export into the raw ``ad_stats`` table.

Two native formats land in ``google_ads/<YYYY-MM-DD>/`` (see docs/raw_layer.md):

``*.json`` — a ``googleAds:searchStream`` response (``source_format='api_json'``)
    A JSON array of batches ``{"results": [...], "fieldMask": "...", "requestId": "..."}``
    (a single batch object is accepted too; a batch without ``results`` is a batch
    with no rows, which is what the API sends for an empty report). Each result
    nests camelCase objects::

        customer{id, currencyCode, timeZone, descriptiveName}
        campaign{id, name, advertisingChannelType}
        adGroup{id, name}
        adGroupAd{ad{id}}
        metrics{impressions, clicks, interactions, costMicros, conversions,
                conversionsValue, viewThroughConversions,
                videoTrueviewViews, videoQuartileP100Rate}
        segments{date}

    int64 values arrive as strings (``"1204"``), doubles as JSON numbers, and the
    API omits a metric that is zero: an absent metric is 0. Records are numbered
    1.. across all batches in file order.

    Video (``VIDEO_METRICS``): ``metrics.video_trueview_views`` (TrueView views, the
    name since API v22, which replaced ``video_views``) and
    ``metrics.video_quartile_p100_rate`` (the share of impressions where the video was
    watched to the end, a double 0..1; the API has no completion count). They are
    nullable: a query that did not select them did not measure them, so an absent
    video metric is 0 only when the batch's ``fieldMask`` lists it (the API omits a
    zero metric it was asked for) and NULL otherwise. Which campaigns have video at
    all is decided downstream (dbt: VIDEO campaigns; a 0 elsewhere is "no video").

``*.csv`` — a report downloaded from the Google Ads UI (``source_format='ui_csv'``)
    Preamble lines (report title, date range), then a header of UI column names
    (``Day, Account, Currency code, Campaign, Campaign ID, Campaign type, Ad group,
    Ad group ID, Ad ID, Impr., Clicks, Interactions, Cost, Conversions, Conv. value,
    View-through conv.``, optionally ``Customer ID``), data lines, and ``Total: ...``
    footer lines. Numbers may be quoted with thousands separators (``"1,204"``,
    ``"1,234.56"``); ``Cost`` is in currency units and becomes
    ``cost_micros = round(Decimal(cost) * 1_000_000)``. A record's number is its
    physical line number in the file (1-based).

    ``--`` is the UI's "no data" marker. In a metric column it is read as 0 (the UI
    shows ``--`` where the API would omit a zero metric); in an id, currency or
    campaign-type column it is a missing value and the record is rejected; in a name
    column (``Campaign``, ``Ad group``, and ``Account`` when a ``Customer ID`` column
    holds the id) it is a missing name, loaded as NULL.

    The header is found by content, not by offset: the first line whose cells
    include ``Day`` and ``Campaign ID`` (failing that, the first line holding at
    least three of the required column names, so that a missing column is reported
    by name). Preamble, header, blank and ``Total`` lines are counted in
    ``ignored_lines``. A missing required column fails the file; an unknown extra
    column is ignored with a warning naming it.

Validation per record (-> quarantine, reason names the field): the row's date must
be the folder's report date; counts must be non-negative integers and money /
conversions non-negative finite numbers; ids must be present; the currency must be
an ISO 4217 code (``ISO_4217``); a repeat of the grain key (segment_date,
customer_id, campaign_id, ad_group_id, ad_id) is a duplicate of the first record.

Names (``customer.descriptiveName``, ``campaign.name``, ``adGroup.name``; the UI's
``Account`` / ``Campaign`` / ``Ad group``) are attributes, not measures, and the API
returns only the fields a query selects: a missing name is loaded as NULL, and the
file gets one warning naming the missing fields and how many rows lack them
(``base.warn_missing_names``). Ids, dates, currency, channel type and metrics stay
required.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from orchestration.ingestion.parsers.base import (
    ParseResult,
    RecordError,
    SourceParseError,
    api_pages,
    check_report_date,
    decode_utf8,
    dig,
    load_json,
    parse_records,
    require_str,
    schema,
    to_date,
    to_float,
    to_int,
    warn_missing_names,
)

SOURCE = "google_ads"
FILE_PATTERNS = ("*.json", "*.csv")
PRIMARY_TABLE = "ad_stats"
# Grain of the primary table; ingest also quarantines repeats across the files of one day.
GRAIN = ("segment_date", "customer_id", "campaign_id", "ad_group_id", "ad_id")

SCHEMAS: dict[str, pa.Schema] = {
    "ad_stats": schema(
        pa.field("segment_date", pa.date32(), nullable=False),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("customer_name", pa.string(), nullable=True),
        pa.field("currency_code", pa.string(), nullable=False),
        pa.field("time_zone", pa.string(), nullable=True),
        pa.field("campaign_id", pa.string(), nullable=False),
        pa.field("campaign_name", pa.string(), nullable=True),
        pa.field("advertising_channel_type", pa.string(), nullable=False),
        pa.field("ad_group_id", pa.string(), nullable=False),
        pa.field("ad_group_name", pa.string(), nullable=True),
        pa.field("ad_id", pa.string(), nullable=False),
        pa.field("impressions", pa.int64(), nullable=False),
        pa.field("clicks", pa.int64(), nullable=False),
        pa.field("interactions", pa.int64(), nullable=False),
        pa.field("cost_micros", pa.int64(), nullable=False),
        pa.field("conversions", pa.float64(), nullable=False),
        pa.field("conversions_value", pa.float64(), nullable=False),
        pa.field("view_through_conversions", pa.int64(), nullable=False),
        pa.field("video_trueview_views", pa.int64(), nullable=True),
        pa.field("video_quartile_p100_rate", pa.float64(), nullable=True),
        pa.field("source_format", pa.string(), nullable=False),
    )
}

# Descriptive columns (names): NULL when the export does not carry them, one warning per file.
# column -> native field, for the API JSON and the UI CSV.
API_NAME_FIELDS = {
    "customer_name": "customer.descriptiveName",
    "campaign_name": "campaign.name",
    "ad_group_name": "adGroup.name",
}
CSV_NAME_FIELDS = {"customer_name": "Account", "campaign_name": "Campaign", "ad_group_name": "Ad group"}

# Video metrics: column -> searchStream JSON field (camelCase, as the REST API returns it).
# NULL unless measured: an absent one is 0 only when the batch's fieldMask selected it.
VIDEO_METRICS = {
    "video_trueview_views": "videoTrueviewViews",
    "video_quartile_p100_rate": "videoQuartileP100Rate",
}

# ----------------------------------------------------------------------------- currencies
# ISO 4217 alphabetic codes of currencies in circulation (list of 2025). Fund codes
# (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals, bond units, XDR,
# XSU, XUA and the test / "no currency" codes XTS, XXX are left out on purpose: no
# ad account is billed in them. Shared with meta_ads (the only copy).
ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS
    INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
    LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()
)

_CURRENCY_SHAPE = re.compile(r"[A-Z]{3}")


INT64_MAX = 2**63 - 1


def int64(value: int, field_name: str) -> int:
    """Guard the int64 columns: a larger count would only fail later, when Parquet is written."""
    if value > INT64_MAX:
        raise RecordError(field_name, f"out of the int64 range: {value}")
    return value


def currency_code(value: Any, field_name: str) -> str:
    """A known ISO 4217 code: three uppercase letters, and in ``ISO_4217``."""
    code = require_str(value, field_name)
    if not _CURRENCY_SHAPE.fullmatch(code):
        raise RecordError(field_name, f"not an ISO 4217 currency code (3 uppercase letters): {value!r}")
    if code not in ISO_4217:
        raise RecordError(field_name, f"unknown currency: {value!r}")
    return code


# ----------------------------------------------------------------------------- entry point
def parse(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """Parse one Google Ads landing file (``.json`` API or ``.csv`` UI download)."""
    lower = file_name.lower()
    if lower.endswith(".json"):
        return _parse_api_json(data, file_name=file_name, report_date=report_date)
    if lower.endswith(".csv"):
        return _parse_ui_csv(data, file_name=file_name, report_date=report_date)
    raise SourceParseError(file_name, "file name", None, "unsupported file type (expected .json or .csv)")


def _empty_result(file_name: str) -> ParseResult:
    """An empty file is a valid day with no rows."""
    return ParseResult(source_file=file_name, records_read=0, tables={name: [] for name in SCHEMAS})


def _grain_key(row: dict[str, Any]) -> tuple:
    return tuple(row[column] for column in GRAIN)


# ----------------------------------------------------------------------------- API JSON
def _parse_api_json(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    text = decode_utf8(data, file_name)
    if not text.strip():
        return _empty_result(file_name)
    document = load_json(text, file_name)

    records: list[tuple[int, Any]] = []
    for position, batch in api_pages(
        document, file_name, unit="batch", expected="a JSON array of searchStream batches or one batch object"
    ):
        results = batch.get("results", [])  # a batch of an empty report has no "results"
        if not isinstance(results, list):
            raise SourceParseError(file_name, position, "results", f"expected an array, got {type(results).__name__}")
        selected = _selected_video_metrics(batch.get("fieldMask"))
        for result in results:
            records.append((len(records) + 1, _ApiResult(result, selected) if isinstance(result, dict) else result))

    result = parse_records(
        records,
        lambda record: {"ad_stats": [_api_row(record, report_date)]},
        source_file=file_name,
        primary=PRIMARY_TABLE,
        table_names=list(SCHEMAS),
        key=_grain_key,
    )
    return warn_missing_names(result, PRIMARY_TABLE, API_NAME_FIELDS)


class _ApiResult(dict):
    """A searchStream result (quarantined verbatim) plus the video metrics its batch selected."""

    selected_video: frozenset[str]

    def __init__(self, result: dict, selected_video: frozenset[str]):
        super().__init__(result)
        self.selected_video = selected_video


def _selected_video_metrics(field_mask: Any) -> frozenset[str]:
    """The ``VIDEO_METRICS`` fields a batch's ``fieldMask`` lists (camelCase or snake_case)."""
    if not isinstance(field_mask, str):
        return frozenset()
    listed = {name.strip() for name in field_mask.split(",")}
    return frozenset(
        field
        for field in VIDEO_METRICS.values()
        if f"metrics.{field}" in listed or f"metrics.{_snake(field)}" in listed
    )


def _snake(camel: str) -> str:
    """``videoQuartileP100Rate`` -> ``video_quartile_p100_rate`` (the GAQL name)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel).lower()


def _video_metrics(record: dict) -> dict[str, Any]:
    """The nullable video columns: the value when present, 0 when absent but selected, else NULL."""
    selected = getattr(record, "selected_video", frozenset())
    views_field = f"metrics.{VIDEO_METRICS['video_trueview_views']}"
    rate_field = f"metrics.{VIDEO_METRICS['video_quartile_p100_rate']}"
    views = to_int(dig(record, views_field), views_field, allow_null=True)
    rate = to_float(dig(record, rate_field), rate_field, allow_null=True)
    if views is None and VIDEO_METRICS["video_trueview_views"] in selected:
        views = 0
    if rate is None and VIDEO_METRICS["video_quartile_p100_rate"] in selected:
        rate = 0.0
    if rate is not None and rate > 1:
        raise RecordError(rate_field, f"a share of impressions must be at most 1: {rate!r}")
    return {
        "video_trueview_views": None if views is None else int64(views, views_field),
        "video_quartile_p100_rate": rate,
    }


def _api_row(record: Any, report_date: date) -> dict[str, Any]:
    """One searchStream result -> one ``ad_stats`` row (RecordError names the native field)."""
    if not isinstance(record, dict):
        raise RecordError(None, f"result is not a JSON object: {type(record).__name__}")
    segment_date = to_date(dig(record, "segments.date"), "segments.date")
    check_report_date(segment_date, report_date, "segments.date")

    def metric_int(name: str) -> int:
        path = f"metrics.{name}"
        return int64(to_int(dig(record, path), path, absent_is_zero=True), path)

    def metric_float(name: str) -> float:
        path = f"metrics.{name}"
        return to_float(dig(record, path), path, absent_is_zero=True)

    return {
        "segment_date": segment_date,
        "customer_id": require_str(dig(record, "customer.id"), "customer.id"),
        "customer_name": require_str(
            dig(record, "customer.descriptiveName"), "customer.descriptiveName", allow_null=True
        ),
        "currency_code": currency_code(dig(record, "customer.currencyCode"), "customer.currencyCode"),
        "time_zone": require_str(dig(record, "customer.timeZone"), "customer.timeZone", allow_null=True),
        "campaign_id": require_str(dig(record, "campaign.id"), "campaign.id"),
        "campaign_name": require_str(dig(record, "campaign.name"), "campaign.name", allow_null=True),
        "advertising_channel_type": require_str(
            dig(record, "campaign.advertisingChannelType"), "campaign.advertisingChannelType"
        ),
        "ad_group_id": require_str(dig(record, "adGroup.id"), "adGroup.id"),
        "ad_group_name": require_str(dig(record, "adGroup.name"), "adGroup.name", allow_null=True),
        "ad_id": require_str(dig(record, "adGroupAd.ad.id"), "adGroupAd.ad.id"),
        "impressions": metric_int("impressions"),
        "clicks": metric_int("clicks"),
        "interactions": metric_int("interactions"),
        "cost_micros": metric_int("costMicros"),
        "conversions": metric_float("conversions"),
        "conversions_value": metric_float("conversionsValue"),
        "view_through_conversions": metric_int("viewThroughConversions"),
        **_video_metrics(record),
        "source_format": "api_json",
    }


# ----------------------------------------------------------------------------- UI CSV
COL_DAY = "Day"
COL_ACCOUNT = "Account"
COL_CURRENCY = "Currency code"
COL_CAMPAIGN = "Campaign"
COL_CAMPAIGN_ID = "Campaign ID"
COL_CAMPAIGN_TYPE = "Campaign type"
COL_AD_GROUP = "Ad group"
COL_AD_GROUP_ID = "Ad group ID"
COL_AD_ID = "Ad ID"
COL_IMPRESSIONS = "Impr."
COL_CLICKS = "Clicks"
COL_INTERACTIONS = "Interactions"
COL_COST = "Cost"
COL_CONVERSIONS = "Conversions"
COL_CONV_VALUE = "Conv. value"
COL_VIEW_THROUGH = "View-through conv."
COL_CUSTOMER_ID = "Customer ID"  # optional

REQUIRED_CSV_COLUMNS: tuple[str, ...] = (
    COL_DAY,
    COL_ACCOUNT,
    COL_CURRENCY,
    COL_CAMPAIGN,
    COL_CAMPAIGN_ID,
    COL_CAMPAIGN_TYPE,
    COL_AD_GROUP,
    COL_AD_GROUP_ID,
    COL_AD_ID,
    COL_IMPRESSIONS,
    COL_CLICKS,
    COL_INTERACTIONS,
    COL_COST,
    COL_CONVERSIONS,
    COL_CONV_VALUE,
    COL_VIEW_THROUGH,
)
OPTIONAL_CSV_COLUMNS: tuple[str, ...] = (COL_CUSTOMER_ID,)

# UI "Campaign type" -> API AdvertisingChannelType enum. Names not listed here are
# upper-snake-cased ("Foo bar" -> "FOO_BAR") with a warning.
CAMPAIGN_TYPES: dict[str, str] = {
    "Search": "SEARCH",
    "Display": "DISPLAY",
    "Video": "VIDEO",
    "Shopping": "SHOPPING",
    "Performance Max": "PERFORMANCE_MAX",
    "Demand Gen": "DEMAND_GEN",
    "App": "MULTI_CHANNEL",  # the API's name for App campaigns
    "Smart": "SMART",
    "Hotel": "HOTEL",
    "Local": "LOCAL",
    "Local Services": "LOCAL_SERVICES",
    "Travel": "TRAVEL",
}

UI_NULL = "--"
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d*)?")


class _CsvLine(str):
    """A CSV record: the original text (so quarantine keeps it verbatim) plus its cells."""

    cells: list[str]

    def __new__(cls, text: str, cells: list[str]) -> _CsvLine:
        line = super().__new__(cls, text)
        line.cells = cells
        return line


def _csv_rows(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """(first physical line number, original text, cells) per CSV row.

    Rows are read with the csv module (quoted fields may span lines); the line
    numbers come from the reader's own count, so they are physical line numbers.
    """
    physical = text.splitlines(keepends=True)
    reader = csv.reader(physical)
    consumed = 0
    for cells in reader:
        first = consumed + 1
        raw = "".join(physical[consumed : reader.line_num]).rstrip("\r\n")
        consumed = reader.line_num
        yield first, raw, cells


def _is_header(cells: list[str]) -> bool:
    names = {c.strip() for c in cells}
    return COL_DAY in names and COL_CAMPAIGN_ID in names


def _looks_like_header(cells: list[str]) -> bool:
    """Fallback: a line with at least three required column names is a (damaged) header."""
    names = {c.strip() for c in cells}
    return len(names.intersection(REQUIRED_CSV_COLUMNS)) >= 3


def _parse_ui_csv(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    text = decode_utf8(data, file_name)
    if not text.strip():
        result = _empty_result(file_name)
        result.ignored_lines = len(text.splitlines())
        return result

    try:
        rows = list(_csv_rows(text))
    except csv.Error as exc:
        raise SourceParseError(file_name, "CSV", None, f"malformed CSV: {exc}") from None

    header_index = next((i for i, (_, _, cells) in enumerate(rows) if _is_header(cells)), None)
    if header_index is None:
        header_index = next((i for i, (_, _, cells) in enumerate(rows) if _looks_like_header(cells)), None)
    if header_index is None:
        raise SourceParseError(
            file_name,
            "header",
            COL_DAY,
            f"no header line found (a line with the columns '{COL_DAY}' and '{COL_CAMPAIGN_ID}')",
        )
    header_line, _, header_cells = rows[header_index]
    columns = _column_index(header_cells, file_name=file_name, header_line=header_line)

    warnings: list[str] = []
    extra = [name for name in columns if name not in REQUIRED_CSV_COLUMNS and name not in OPTIONAL_CSV_COLUMNS]
    if extra:
        warnings.append(f"line {header_line}: unknown column(s) not loaded: {', '.join(repr(n) for n in extra)}")

    preamble = header_line - 1  # title, date range: every physical line above the header
    ignored = {"preamble": preamble, "header": 1, "blank": 0, "Total": 0}
    records: list[tuple[int, Any]] = []
    for line_number, raw, cells in rows[header_index + 1 :]:
        if len(cells) <= 1 and not "".join(cells).strip():  # an empty or whitespace-only line
            ignored["blank"] += 1
        elif cells[0].strip().startswith("Total"):
            ignored["Total"] += 1
        else:
            records.append((line_number, _CsvLine(raw, cells)))

    unknown_types: dict[str, str] = {}

    def parse_one(record: _CsvLine) -> dict[str, list[dict[str, Any]]]:
        return {"ad_stats": [_ui_row(record.cells, columns, header_cells, report_date, unknown_types)]}

    result = parse_records(
        records, parse_one, source_file=file_name, primary=PRIMARY_TABLE, table_names=list(SCHEMAS), key=_grain_key
    )
    for ui_name, enum in unknown_types.items():
        warnings.append(f"unknown {COL_CAMPAIGN_TYPE} {ui_name!r}: loaded as {enum!r}")
    warn_missing_names(result, PRIMARY_TABLE, CSV_NAME_FIELDS)
    warnings.extend(result.warnings)
    result.ignored_lines = sum(ignored.values())
    # the preamble, header, blank and Total lines are the export's normal shape: INFO, not WARNING
    result.notes.append(
        "ignored lines that are not records: "
        + ", ".join(f"{count} {kind}" for kind, count in ignored.items() if count)
    )
    result.warnings = warnings
    return result


def _column_index(header_cells: list[str], *, file_name: str, header_line: int) -> dict[str, int]:
    """Column name -> cell index; a missing required column or a repeated name fails the file."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        name = cell.strip()
        if not name:
            continue
        if name in columns:
            raise SourceParseError(file_name, f"line {header_line} (header)", name, "column appears twice")
        columns[name] = index
    for name in REQUIRED_CSV_COLUMNS:
        if name not in columns:
            raise SourceParseError(file_name, f"line {header_line} (header)", name, "required column is missing")
    return columns


def _ui_row(
    cells: list[str],
    columns: dict[str, int],
    header_cells: list[str],
    report_date: date,
    unknown_types: dict[str, str],
) -> dict[str, Any]:
    """One UI CSV data line -> one ``ad_stats`` row (RecordError names the UI column)."""
    if len(cells) != len(header_cells):
        raise RecordError(None, f"line has {len(cells)} cells, the header has {len(header_cells)}")

    def cell(name: str) -> str:
        return cells[columns[name]].strip()

    def text(name: str) -> str:
        value = cell(name)
        if value == UI_NULL:
            raise RecordError(name, "required value is missing ('--')")
        return require_str(value, name)

    def name_text(name: str) -> str | None:
        """A descriptive cell: ``--`` or blank is a missing name, loaded as NULL."""
        value = cell(name)
        return None if value == UI_NULL else require_str(value, name, allow_null=True)

    segment_date = to_date(cell(COL_DAY), COL_DAY)
    check_report_date(segment_date, report_date, COL_DAY)

    if COL_CUSTOMER_ID in columns:
        account = name_text(COL_ACCOUNT)  # a name: the id is in its own column
        customer_id = text(COL_CUSTOMER_ID).replace("-", "")
        if not customer_id.isdigit():
            raise RecordError(COL_CUSTOMER_ID, f"not a customer id (123-456-7890): {cell(COL_CUSTOMER_ID)!r}")
    else:
        account = text(COL_ACCOUNT)  # required: the UI report has no id and the account name stands in
        customer_id = account  # (docs/raw_layer.md)

    return {
        "segment_date": segment_date,
        "customer_id": customer_id,
        "customer_name": account,
        "currency_code": currency_code(text(COL_CURRENCY), COL_CURRENCY),
        "time_zone": None,
        "campaign_id": _ui_id(text(COL_CAMPAIGN_ID), COL_CAMPAIGN_ID),
        "campaign_name": name_text(COL_CAMPAIGN),
        "advertising_channel_type": _channel_type(text(COL_CAMPAIGN_TYPE), unknown_types),
        "ad_group_id": _ui_id(text(COL_AD_GROUP_ID), COL_AD_GROUP_ID),
        "ad_group_name": name_text(COL_AD_GROUP),
        "ad_id": _ui_id(text(COL_AD_ID), COL_AD_ID),
        "impressions": _ui_number(cell(COL_IMPRESSIONS), COL_IMPRESSIONS, to_int),
        "clicks": _ui_number(cell(COL_CLICKS), COL_CLICKS, to_int),
        "interactions": _ui_number(cell(COL_INTERACTIONS), COL_INTERACTIONS, to_int),
        "cost_micros": _ui_cost_micros(cell(COL_COST)),
        "conversions": _ui_number(cell(COL_CONVERSIONS), COL_CONVERSIONS, to_float),
        "conversions_value": _ui_number(cell(COL_CONV_VALUE), COL_CONV_VALUE, to_float),
        "view_through_conversions": _ui_number(cell(COL_VIEW_THROUGH), COL_VIEW_THROUGH, to_int),
        # the UI download carries no video columns: not measured
        "video_trueview_views": None,
        "video_quartile_p100_rate": None,
        "source_format": "ui_csv",
    }


def _ui_id(value: str, field_name: str) -> str:
    """Campaign / ad group / ad ids are digit strings in the UI report."""
    if not value.isdigit():
        raise RecordError(field_name, f"not an id (digits): {value!r}")
    return value


def _channel_type(ui_name: str, unknown_types: dict[str, str]) -> str:
    """UI campaign type -> API enum; unknown names are upper-snake-cased and remembered for a warning."""
    if ui_name in CAMPAIGN_TYPES:
        return CAMPAIGN_TYPES[ui_name]
    enum = re.sub(r"[^0-9A-Za-z]+", "_", ui_name).strip("_").upper()
    unknown_types.setdefault(ui_name, enum)
    return enum


def _ui_numeric_text(value: str, field_name: str) -> str:
    """UI number text -> plain number text: ``--`` (no data) is 0, thousands separators go.

    Python's own number parsers accept ``1_000``; the UI never writes that, so it is refused.
    """
    if value == "":
        raise RecordError(field_name, "required value is missing")
    if value == UI_NULL:
        return "0"
    if "_" in value:
        raise RecordError(field_name, f"not a number: {value!r}")
    if _THOUSANDS.fullmatch(value):
        return value.replace(",", "")
    return value


def _ui_number(value: str, field_name: str, convert: Callable[..., Any]) -> Any:
    number = convert(_ui_numeric_text(value, field_name), field_name)
    return int64(number, field_name) if isinstance(number, int) else number


def _ui_cost_micros(value: str) -> int:
    """``Cost`` in currency units -> micros, with Decimal so that 0.1 stays exactly 100000."""
    number_text = _ui_numeric_text(value, COL_COST)
    try:
        amount = Decimal(number_text)
    except InvalidOperation:
        raise RecordError(COL_COST, f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise RecordError(COL_COST, f"not a finite number: {value!r}")
    if amount < 0:
        raise RecordError(COL_COST, f"negative value: {value!r}")
    return int64(int(round(amount * 1_000_000)), COL_COST)
