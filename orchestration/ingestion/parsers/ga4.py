"""GA4 BigQuery export (NDJSON, optionally gzip) -> ``events`` and ``event_params``.

One JSON event per line, as BigQuery writes ``events_YYYYMMDD`` to JSON: ``event_date``
(``YYYYMMDD``), ``event_timestamp`` (µs since the epoch, a string), ``event_name``,
``user_pseudo_id``, ``user_id``, ``event_params`` (``[{key, value{string_value |
int_value | double_value | float_value}}]``, where ``int_value`` is an int64 and therefore
a *string* in the JSON export), ``collected_traffic_source{...}``, ``ecommerce{...}``.

Records and counting: every non-blank line is a record (``record_number`` = line
number) and ends up as one ``events`` row or one reject; blank lines are
``ignored_lines``. A line that is not valid JSON is rejected on its own ("invalid JSON
at column N"); the rest of the file loads. A file that is not valid UTF-8, or a ``.gz``
file whose gzip stream is corrupt or truncated, fails as a whole.

Validation per event: ``event_date`` equals the folder's ``report_date``;
``event_timestamp`` is an integer; ``event_name`` and ``user_pseudo_id`` are present; a
``purchase`` has an ``ecommerce.transaction_id`` (BigQuery writes ``"(not set)"`` when
the tag sent none; without it the purchase cannot be de-duplicated downstream);
``purchase_revenue`` is a finite, non-negative number. A line byte-identical (after
stripping) to an earlier one is rejected as its duplicate; otherwise GA4 may emit
identical-looking events, so there is no grain key.

Personal data (see :mod:`orchestration.ingestion.parsers.pii`): ``user_id`` is hashed; the
Mailchimp subscriber id ``mc_eid`` is hashed both in ``url_mc_eid`` and inside the
URLs; e-mail addresses are replaced by ``email_sha256:<hash>`` in every emitted string
and in the quarantined raw line (and in reject reasons).
"""

from __future__ import annotations

import gzip
import json
import math
import re
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa

from orchestration.ingestion.parsers.base import (
    ParseResult,
    RecordError,
    Reject,
    SourceParseError,
    check_report_date,
    decode_utf8,
    require_str,
    schema,
    to_date,
    to_float,
    to_int,
)
from orchestration.ingestion.parsers.pii import hash_pii, pii_salt, scrub_emails, scrub_url_text

SOURCE = "ga4"
FILE_PATTERNS = ("*.ndjson", "*.ndjson.gz")
PRIMARY_TABLE = "events"
PARAMS_TABLE = "event_params"

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOT_SET = "(not set)"  # BigQuery export's placeholder for a value the tag did not send

# events column -> collected_traffic_source field
TRAFFIC_FIELDS = {
    "traffic_source": "manual_source",
    "traffic_medium": "manual_medium",
    "traffic_campaign_id": "manual_campaign_id",
    "traffic_campaign_name": "manual_campaign_name",
    "traffic_gclid": "gclid",
}
# events column -> query parameter of page_location
URL_FIELDS = {
    "url_gclid": "gclid",
    "url_fbclid": "fbclid",
    "url_li_fat_id": "li_fat_id",  # LinkedIn's first-party click id (added by its click tracking)
    "url_mc_cid": "mc_cid",
    "url_mc_eid": "mc_eid",
    "url_utm_source": "utm_source",
    "url_utm_medium": "utm_medium",
    "url_utm_campaign": "utm_campaign",
    "url_utm_id": "utm_id",
}
PERSONAL_URL_PARAMS = {"mc_eid"}  # Mailchimp subscriber id: identifies a person

_str = pa.string()
SCHEMAS: dict[str, pa.Schema] = {
    PRIMARY_TABLE: schema(
        pa.field("event_date", pa.date32(), nullable=False),
        pa.field("event_timestamp_us", pa.int64(), nullable=False),
        pa.field("event_ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("event_name", _str, nullable=False),
        pa.field("user_pseudo_id", _str, nullable=False),
        pa.field("user_id", _str, nullable=True),
        pa.field("ga_session_id", pa.int64(), nullable=True),
        pa.field("page_location", _str, nullable=True),
        pa.field("page_referrer", _str, nullable=True),
        *(pa.field(column, _str, nullable=True) for column in TRAFFIC_FIELDS),
        *(pa.field(column, _str, nullable=True) for column in URL_FIELDS),
        pa.field("transaction_id", _str, nullable=True),
        pa.field("purchase_revenue", pa.float64(), nullable=True),
        pa.field("currency", _str, nullable=True),
    ),
    PARAMS_TABLE: schema(
        pa.field("event_timestamp_us", pa.int64(), nullable=False),
        pa.field("event_name", _str, nullable=False),
        pa.field("user_pseudo_id", _str, nullable=False),
        pa.field("key", _str, nullable=False),
        pa.field("string_value", _str, nullable=True),
        pa.field("int_value", pa.int64(), nullable=True),
        pa.field("double_value", pa.float64(), nullable=True),
    ),
}


# --------------------------------------------------------------------------- file level
def _decompress(data: bytes, file_name: str) -> bytes:
    """gunzip a ``.gz`` landing file; a corrupt or truncated stream fails the file."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise SourceParseError(file_name, "gzip stream", None, f"corrupt or truncated gzip file ({exc})") from None


def _lines(text: str) -> list[str]:
    """Split on ``\\n`` only: U+2028 and friends are legal inside JSON strings, not line ends."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another one
    return lines


# --------------------------------------------------------------------------- value helpers
def _opt_str(value: Any, field_name: str) -> str | None:
    """An optional string; ``None``, blank and ``"(not set)"`` are NULL; numbers become strings."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RecordError(field_name, f"not a string: {value!r}")
    text = value.strip() if isinstance(value, str) else str(value)
    return None if text in ("", NOT_SET) else text


def _signed_int(value: Any, field_name: str) -> int | None:
    """An int64 (may be negative), from an int, an int-as-string or an integral float; NULL when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(field_name, f"not an integer: {value!r}")
    result: int
    if isinstance(value, int):
        result = value
    elif isinstance(value, float) and math.isfinite(value) and value == int(value):
        result = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        result = int(value)
    else:
        raise RecordError(field_name, f"not an integer: {value!r}")
    if not INT64_MIN <= result <= INT64_MAX:
        raise RecordError(field_name, f"value out of int64 range: {value!r}")
    return result


def _signed_float(value: Any, field_name: str) -> float | None:
    """A finite float (may be negative), from a number or numeric string; NULL when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RecordError(field_name, f"not a number: {value!r}")
    try:
        result = float(value)
    except ValueError:
        raise RecordError(field_name, f"not a number: {value!r}") from None
    if not math.isfinite(result):
        raise RecordError(field_name, f"not a finite number: {value!r}")
    return result


def _query_params(url: str | None) -> dict[str, str]:
    """First value of each query parameter of ``url`` (names lower-cased); {} for no URL."""
    if not url:
        return {}
    try:
        query = urlsplit(url).query
    except ValueError:  # e.g. an invalid IPv6 host: the URL is kept, it just yields no parameters
        return {}
    params: dict[str, str] = {}
    for name, values in parse_qs(query).items():
        params.setdefault(name.lower(), values[0])
    return params


# --------------------------------------------------------------------------- one event
def _event_params(value: Any, salt: str) -> list[dict[str, Any]]:
    """``event_params`` as long rows ``{key, string_value, int_value, double_value}``, PII scrubbed."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("event_params", f"not a list: {type(value).__name__}")
    rows = []
    for index, param in enumerate(value):
        if not isinstance(param, dict):
            raise RecordError(f"event_params[{index}]", f"not an object: {param!r}")
        key = require_str(param.get("key"), f"event_params[{index}].key")
        holder = param.get("value")
        if holder is None:
            holder = {}
        if not isinstance(holder, dict):
            raise RecordError(f"event_params.{key}.value", f"not an object: {holder!r}")
        string_value = holder.get("string_value")
        if string_value is not None and not isinstance(string_value, str):
            raise RecordError(f"event_params.{key}.string_value", f"not a string: {string_value!r}")
        double_value = holder.get("double_value")
        double_field = "double_value"
        if double_value is None:
            double_value, double_field = holder.get("float_value"), "float_value"
        rows.append(
            {
                "key": key,
                "string_value": scrub_url_text(string_value, salt) if string_value is not None else None,
                "int_value": _signed_int(holder.get("int_value"), f"event_params.{key}.int_value"),
                "double_value": _signed_float(double_value, f"event_params.{key}.{double_field}"),
            }
        )
    return rows


def _ga_session_id(param: dict[str, Any] | None) -> int | None:
    """The session id from its param: ``int_value`` (or an integral ``string_value``)."""
    if param is None:
        return None
    if param["int_value"] is not None:
        return param["int_value"]
    if param["double_value"] is not None:
        return _signed_int(param["double_value"], "event_params.ga_session_id.double_value")
    return _signed_int(param["string_value"], "event_params.ga_session_id.string_value")


def _scrub_row(row: dict[str, Any], salt: str) -> dict[str, Any]:
    """Last line of defence: no e-mail address in any string column (idempotent)."""
    return {column: scrub_emails(value, salt) if isinstance(value, str) else value for column, value in row.items()}


def parse_event(event: dict[str, Any], report_date: date, salt: str) -> dict[str, list[dict[str, Any]]]:
    """One event object -> ``{"events": [row], "event_params": [rows]}`` (no lineage); RecordError if invalid."""
    raw_date = event.get("event_date")
    event_date = to_date(str(raw_date) if isinstance(raw_date, int) else raw_date, "event_date", "%Y%m%d")
    check_report_date(event_date, report_date, "event_date")

    timestamp_us = to_int(event.get("event_timestamp"), "event_timestamp")
    assert timestamp_us is not None
    try:
        event_ts = EPOCH + timedelta(microseconds=timestamp_us)
    except OverflowError:
        raise RecordError("event_timestamp", f"out of range: {event.get('event_timestamp')!r}") from None
    event_name = require_str(event.get("event_name"), "event_name")
    user_pseudo_id = require_str(event.get("user_pseudo_id"), "user_pseudo_id")
    user_id = hash_pii(require_str(event.get("user_id"), "user_id", allow_null=True), salt)

    params = _event_params(event.get("event_params"), salt)
    by_key: dict[str, dict[str, Any]] = {}
    for param in params:
        by_key.setdefault(param["key"], param)  # first one wins if a key repeats

    def param_string(key: str) -> str | None:
        param = by_key.get(key)
        return param["string_value"] if param is not None and param["string_value"] else None

    traffic = event.get("collected_traffic_source")
    if traffic is None:
        traffic = {}
    if not isinstance(traffic, dict):
        raise RecordError("collected_traffic_source", f"not an object: {traffic!r}")
    ecommerce = event.get("ecommerce")
    if ecommerce is None:
        ecommerce = {}
    if not isinstance(ecommerce, dict):
        raise RecordError("ecommerce", f"not an object: {ecommerce!r}")

    transaction_id = _opt_str(ecommerce.get("transaction_id"), "ecommerce.transaction_id")
    if event_name == "purchase" and transaction_id is None:
        raise RecordError(
            "ecommerce.transaction_id",
            f"purchase without a transaction id ({ecommerce.get('transaction_id')!r}): it cannot be de-duplicated",
        )
    purchase_revenue = to_float(ecommerce.get("purchase_revenue"), "ecommerce.purchase_revenue", allow_null=True)
    currency = _opt_str(ecommerce.get("currency"), "ecommerce.currency") or param_string("currency")

    # url_* come from the original page_location (before scrubbing); personal ones are hashed.
    original_location = None
    for raw_param in event.get("event_params") or []:
        if isinstance(raw_param, dict) and raw_param.get("key") == "page_location":
            original_location = (raw_param.get("value") or {}).get("string_value")
            break
    query = _query_params(original_location)

    row: dict[str, Any] = {
        "event_date": event_date,
        "event_timestamp_us": timestamp_us,
        "event_ts": event_ts,
        "event_name": event_name,
        "user_pseudo_id": user_pseudo_id,
        "user_id": user_id,
        "ga_session_id": _ga_session_id(by_key.get("ga_session_id")),
        "page_location": param_string("page_location"),  # already scrubbed with the params
        "page_referrer": param_string("page_referrer"),
    }
    for column, name in TRAFFIC_FIELDS.items():
        row[column] = _opt_str(traffic.get(name), f"collected_traffic_source.{name}")
    for column, name in URL_FIELDS.items():
        value = query.get(name) or None
        row[column] = hash_pii(value, salt) if name in PERSONAL_URL_PARAMS else value
    row["transaction_id"] = transaction_id
    row["purchase_revenue"] = purchase_revenue
    row["currency"] = currency

    common = {"event_timestamp_us": timestamp_us, "event_name": event_name, "user_pseudo_id": user_pseudo_id}
    return {
        PRIMARY_TABLE: [_scrub_row(row, salt)],
        PARAMS_TABLE: [_scrub_row({**common, **param}, salt) for param in params],
    }


# --------------------------------------------------------------------------- quarantine
_USER_ID_IN_JSON = re.compile(r'("user_id"\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)')


def scrub_raw_line(line: str, salt: str) -> str:
    """The raw line as it may enter the quarantine: ``user_id`` values hashed, ``mc_eid`` hashed,
    e-mail addresses replaced. Text-level, so it also works on lines that are not valid JSON."""

    def _hash_user_id(match: re.Match[str]) -> str:
        literal = match.group(2)
        try:
            value = json.loads(literal)
        except json.JSONDecodeError:
            value = literal.strip('"')
        return match.group(1) + json.dumps(hash_pii(str(value), salt))

    return scrub_url_text(_USER_ID_IN_JSON.sub(_hash_user_id, line), salt)


# --------------------------------------------------------------------------- entry point
def parse(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """Parse one GA4 NDJSON export (``.gz`` is decompressed here) into ``events`` and ``event_params``."""
    salt = pii_salt()
    if file_name.lower().endswith(".gz"):
        data = _decompress(data, file_name)
    text = decode_utf8(data, file_name)

    tables: dict[str, list[dict[str, Any]]] = {PRIMARY_TABLE: [], PARAMS_TABLE: []}
    rejects: list[Reject] = []
    first_seen: dict[str, int] = {}
    records_read = 0
    blank_lines = 0

    for number, line in enumerate(_lines(text), start=1):
        stripped = line.strip()
        if not stripped:
            blank_lines += 1
            continue
        records_read += 1
        try:
            if stripped in first_seen:
                raise RecordError(None, f"duplicate of line {first_seen[stripped]} (byte-identical event)")
            first_seen[stripped] = number
            try:
                event = json.loads(stripped)
            except json.JSONDecodeError as exc:
                column = exc.colno + (len(line) - len(line.lstrip()))  # column in the line as written
                raise RecordError(None, f"invalid JSON at column {column}: {exc.msg}") from None
            if not isinstance(event, dict):
                raise RecordError(None, f"not a JSON object: {type(event).__name__}")
            out = parse_event(event, report_date, salt)
        except RecordError as exc:
            rejects.append(Reject(number, scrub_url_text(str(exc), salt), scrub_raw_line(stripped, salt)))
            continue
        for table, rows in out.items():
            for row in rows:
                row["source_file"] = file_name
                row["record_number"] = number
                tables[table].append(row)

    result = ParseResult(
        source_file=file_name, records_read=records_read, tables=tables, rejects=rejects, ignored_lines=blank_lines
    )
    if blank_lines:
        result.warnings.append(f"{file_name}: {blank_lines} blank line(s) ignored")
    return result
