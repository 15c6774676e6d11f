"""Meta Ads: parse a day's Insights export into ``ad_insights`` and ``ad_actions``.

Native format (``meta_ads/<YYYY-MM-DD>/*.json``): Insights API responses requested
with ``level=ad``, ``time_increment=1`` and
``action_attribution_windows=["1d_click","7d_click","28d_click","1d_view"]`` — one
page ``{"data": [...], "paging": {...}}`` or a JSON array of such pages. Every
number is a string. Records (insight rows) are numbered 1.. across all pages in
file order.

``ad_insights`` (primary) holds one row per insight row (ad × day). Its grain key
is (date_start, account_id, ad_id); a repeat is quarantined as a duplicate.

``ad_actions`` is the long form of the ``actions`` / ``action_values`` arrays. An
entry looks like ``{"action_type": "purchase", "value": "3", "1d_click": "2",
"7d_click": "3", "1d_view": "1"}``: every key besides ``action_type`` is an
attribution window and gives one row (kind, action_type, window, value), the plain
``value`` key as window ``default`` (the account's attribution setting). An action
type with no events is absent from the array, so it has no rows (not zeros).

Overlapping action types: ``purchase``, ``omni_purchase`` and
``offsite_conversion.fb_pixel_purchase`` (likewise the ``*_add_to_cart``,
``*_lead``, ... families) usually describe the *same* purchases, reported once per
channel view. They are all kept here, untouched; the seed
``meta_conversion_action_types`` decides downstream which type counts, so summing
every action type of a record double counts.

Video (``VIDEO_FIELDS``, video ads only): ``video_play_actions`` (plays started),
``video_thruplay_watched_actions`` (ThruPlays: 15 seconds or to the end) and
``video_p100_watched_actions`` (watched to 100 %) are arrays of
``{"action_type": "video_view", "value": "N"}`` like ``actions``; the ``value`` of the
``video_view`` entry goes to the ``ad_insights`` column of the same name, NULL when the field
(or its ``video_view`` entry) is absent: Meta leaves them out for ads without video and for a
zero count, and which of the two it was is decided downstream (dbt: an ad with plays has video).
The 3-second views are the ``actions`` entry of type ``video_view`` and land in ``ad_actions``
like every action. A malformed video field rejects the record, naming e.g.
``video_p100_watched_actions[0].value``.

Validation (-> quarantine, reason names the field): date_start must equal
date_stop and the folder's report date; numbers must parse as non-negative finite
numbers (counts as integers); ids and the currency are required and the
currency must be in ``google_ads.ISO_4217``. Names (``account_name``,
``campaign_name``, ``adset_name``, ``ad_name``) are attributes the Insights API returns
only when ``fields=`` asks for them: a missing name is loaded as NULL, with one
warning per file naming the fields and the number of rows (``base.warn_missing_names``). A malformed ``actions`` /
``action_values`` entry (the field is not an array, an entry is not an object, its
``action_type`` is missing or repeated, a window value is not a number) rejects the
whole record, naming the entry with its 0-based index, e.g. ``actions[2].7d_click``.
"""

from __future__ import annotations

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
    to_date,
    to_float,
    to_int,
    warn_missing_names,
)
from orchestration.ingestion.parsers.google_ads import currency_code, int64

SOURCE = "meta_ads"
FILE_PATTERNS = ("*.json",)
PRIMARY_TABLE = "ad_insights"
# Grain of the primary table; ingest also quarantines repeats across the files of one day.
GRAIN = ("date_start", "account_id", "ad_id")

SCHEMAS: dict[str, pa.Schema] = {
    "ad_insights": schema(
        pa.field("date_start", pa.date32(), nullable=False),
        pa.field("date_stop", pa.date32(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("account_name", pa.string(), nullable=True),
        pa.field("account_currency", pa.string(), nullable=False),
        pa.field("account_timezone", pa.string(), nullable=True),
        pa.field("campaign_id", pa.string(), nullable=False),
        pa.field("campaign_name", pa.string(), nullable=True),
        pa.field("adset_id", pa.string(), nullable=False),
        pa.field("adset_name", pa.string(), nullable=True),
        pa.field("ad_id", pa.string(), nullable=False),
        pa.field("ad_name", pa.string(), nullable=True),
        pa.field("impressions", pa.int64(), nullable=False),
        pa.field("clicks", pa.int64(), nullable=False),
        pa.field("inline_link_clicks", pa.int64(), nullable=False),
        pa.field("spend", pa.float64(), nullable=False),
        pa.field("reach", pa.int64(), nullable=True),
        pa.field("attribution_setting", pa.string(), nullable=True),
        pa.field("video_play_actions", pa.int64(), nullable=True),
        pa.field("video_thruplay_watched_actions", pa.int64(), nullable=True),
        pa.field("video_p100_watched_actions", pa.int64(), nullable=True),
    ),
    "ad_actions": schema(
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("campaign_id", pa.string(), nullable=False),
        pa.field("adset_id", pa.string(), nullable=False),
        pa.field("ad_id", pa.string(), nullable=False),
        pa.field("date_start", pa.date32(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("action_type", pa.string(), nullable=False),
        pa.field("attribution_window", pa.string(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
    ),
}

# Descriptive columns: NULL when the export does not carry them (one warning per file).
NAME_FIELDS = {name: name for name in ("account_name", "campaign_name", "adset_name", "ad_name")}

# The arrays unnested into ad_actions and the `kind` each one gets.
ACTION_ARRAYS: dict[str, str] = {"actions": "action", "action_values": "action_value"}
DEFAULT_WINDOW_KEY = "value"  # the plain value, under the account's attribution setting
DEFAULT_WINDOW = "default"

# The video fields read into ad_insights columns of the same name (the video_view entry's value).
VIDEO_FIELDS = ("video_play_actions", "video_thruplay_watched_actions", "video_p100_watched_actions")
VIDEO_ACTION_TYPE = "video_view"


def parse(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """Parse one Meta Insights landing file (one page or an array of pages)."""
    text = decode_utf8(data, file_name)
    if not text.strip():  # an empty file is a valid day with no rows
        return ParseResult(source_file=file_name, records_read=0, tables={name: [] for name in SCHEMAS})
    document = load_json(text, file_name)

    records: list[tuple[int, Any]] = []
    for position, page in api_pages(
        document, file_name, unit="page", expected="an Insights page object or an array of pages"
    ):
        if "data" not in page:
            raise SourceParseError(file_name, position, "data", 'missing (expected {"data": [...], "paging": {...}})')
        rows = page["data"]
        if not isinstance(rows, list):
            raise SourceParseError(file_name, position, "data", f"expected an array, got {type(rows).__name__}")
        for row in rows:
            records.append((len(records) + 1, row))

    result = parse_records(
        records,
        lambda record: _parse_record(record, report_date),
        source_file=file_name,
        primary=PRIMARY_TABLE,
        table_names=list(SCHEMAS),
        key=lambda row: tuple(row[column] for column in GRAIN),
    )
    return warn_missing_names(result, PRIMARY_TABLE, NAME_FIELDS)


def _count(record: dict, name: str, *, absent_is_zero: bool = False, allow_null: bool = False) -> int | None:
    value = to_int(record.get(name), name, absent_is_zero=absent_is_zero, allow_null=allow_null)
    return None if value is None else int64(value, name)


def _parse_record(record: Any, report_date: date) -> dict[str, list[dict[str, Any]]]:
    """One insight row -> one ``ad_insights`` row and its ``ad_actions`` rows."""
    if not isinstance(record, dict):
        raise RecordError(None, f"insight row is not a JSON object: {type(record).__name__}")

    date_start = to_date(record.get("date_start"), "date_start")
    date_stop = to_date(record.get("date_stop"), "date_stop")
    if date_stop != date_start:
        raise RecordError(
            "date_stop",
            f"a daily row must cover one day: date_start {date_start.isoformat()}, date_stop {date_stop.isoformat()}",
        )
    check_report_date(date_start, report_date, "date_start")

    timezone = record.get("account_timezone")
    timezone_field = "account_timezone"
    if timezone is None:
        timezone, timezone_field = record.get("timezone_name"), "timezone_name"

    insight = {
        "date_start": date_start,
        "date_stop": date_stop,
        "account_id": require_str(record.get("account_id"), "account_id"),
        "account_name": require_str(record.get("account_name"), "account_name", allow_null=True),
        "account_currency": currency_code(record.get("account_currency"), "account_currency"),
        "account_timezone": require_str(timezone, timezone_field, allow_null=True),
        "campaign_id": require_str(record.get("campaign_id"), "campaign_id"),
        "campaign_name": require_str(record.get("campaign_name"), "campaign_name", allow_null=True),
        "adset_id": require_str(record.get("adset_id"), "adset_id"),
        "adset_name": require_str(record.get("adset_name"), "adset_name", allow_null=True),
        "ad_id": require_str(record.get("ad_id"), "ad_id"),
        "ad_name": require_str(record.get("ad_name"), "ad_name", allow_null=True),
        "impressions": _count(record, "impressions"),
        "clicks": _count(record, "clicks"),
        "inline_link_clicks": _count(record, "inline_link_clicks", absent_is_zero=True),
        "spend": to_float(record.get("spend"), "spend"),
        "reach": _count(record, "reach", allow_null=True),
        "attribution_setting": require_str(record.get("attribution_setting"), "attribution_setting", allow_null=True),
        **{name: _video_count(record.get(name), name) for name in VIDEO_FIELDS},
    }

    actions: list[dict[str, Any]] = []
    for array_name, kind in ACTION_ARRAYS.items():
        for action_type, window, value in _action_entries(record.get(array_name), array_name):
            actions.append(
                {
                    "account_id": insight["account_id"],
                    "campaign_id": insight["campaign_id"],
                    "adset_id": insight["adset_id"],
                    "ad_id": insight["ad_id"],
                    "date_start": date_start,
                    "kind": kind,
                    "action_type": action_type,
                    "attribution_window": window,
                    "value": value,
                }
            )
    return {"ad_insights": [insight], "ad_actions": actions}


def _video_count(entries: Any, field_name: str) -> int | None:
    """The ``value`` of the ``video_view`` entry of a video field; NULL when absent."""
    if entries is None:
        return None
    if not isinstance(entries, list):
        raise RecordError(field_name, f"expected an array, got {type(entries).__name__}")
    found: int | None = None
    for index, entry in enumerate(entries):
        where = f"{field_name}[{index}]"
        if not isinstance(entry, dict):
            raise RecordError(where, f"expected an object, got {type(entry).__name__}")
        if entry.get("action_type") != VIDEO_ACTION_TYPE:
            continue
        if found is not None:
            raise RecordError(f"{where}.action_type", f"{VIDEO_ACTION_TYPE!r} appears twice")
        found = int64(to_int(entry.get("value"), f"{where}.value"), f"{where}.value")
    return found


def _action_entries(entries: Any, array_name: str) -> list[tuple[str, str, float]]:
    """(action_type, attribution_window, value) of every window of every entry of one array.

    Absent array -> no rows. Any malformed entry raises RecordError naming
    ``<array>[<index>].<key>``, which rejects the whole record.
    """
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise RecordError(array_name, f"expected an array, got {type(entries).__name__}")
    out: list[tuple[str, str, float]] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        where = f"{array_name}[{index}]"
        if not isinstance(entry, dict):
            raise RecordError(where, f"expected an object, got {type(entry).__name__}")
        action_type = entry.get("action_type")
        if not isinstance(action_type, str) or not action_type.strip():
            raise RecordError(f"{where}.action_type", f"missing or not a string: {action_type!r}")
        if action_type in first_index:
            raise RecordError(
                f"{where}.action_type", f"{action_type!r} repeats {array_name}[{first_index[action_type]}]"
            )
        first_index[action_type] = index
        for key, raw_value in entry.items():
            if key == "action_type":
                continue
            window = DEFAULT_WINDOW if key == DEFAULT_WINDOW_KEY else key
            out.append((action_type, window, to_float(raw_value, f"{where}.{key}")))
    return out
