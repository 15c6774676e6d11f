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

Two paths, one result. :func:`parse_reference` is the per-record Python parse (``json.loads``
and :func:`parse_event` per line); it defines the output. :func:`parse`, used by ingestion,
does the bulk of the work columnar and gives exactly the same result (``tests/unit/
test_columnar_equivalence.py``), with its tables as :class:`~.base.ArrowRows`:

1. A pass over the lines counts blank lines and marks duplicates (as the reference does).
   Lines that are not duplicates, are ``{...}`` and contain no ``\\`` (so no JSON escapes),
   ``@`` or ``%40`` (no e-mail address to scrub) go to pyarrow's JSON reader with an
   explicit schema (``_READ_SCHEMA``), in chunks of ``CHUNK_LINES``. A chunk the reader
   refuses (invalid JSON, a value of another JSON type, a key given twice) is halved until
   the lines it refuses are isolated in chunks of at most ``_MIN_CHUNK`` lines.
2. Every check of :func:`parse_event` is a vectorised predicate over the Arrow columns
   (``_columnar_tables``), and every output column is computed with ``pyarrow.compute``:
   date, timestamps, ``(not set)``/blank -> NULL, params flattened, the ``url_*`` query
   parameters of plain-ASCII URLs that need no percent-decoding. ``user_id`` and
   ``mc_eid`` are hashed, and ``mc_eid=`` in URL params scrubbed, by the same Python
   functions over the distinct values of the column.
3. Every other line - one the reader refused, one whose row fails a predicate, or holds a
   value the vectorised path does not reproduce exactly (surrounding or non-ASCII
   whitespace, a URL with ``%``/``+``/``#``, a number such as ``-0`` or ``1e400``, a session
   id given as a double or string) - goes through the per-record code, which gives its
   row or its reject (reason and scrubbed raw line) exactly as the reference does. Rows of
   both paths are merged in line order.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from orchestration.ingestion.parsers.base import (
    ArrowRows,
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


# --------------------------------------------------------------------------- reference path
def _parse_line(
    number: int, line: str, stripped: str, first_seen: dict[str, int], report_date: date, salt: str, file_name: str
) -> dict[str, list[dict[str, Any]]] | Reject:
    """One non-blank line -> its rows (with lineage) or its Reject. ``first_seen`` maps each
    stripped line to the number of its first occurrence (filled here when missing)."""
    try:
        first = first_seen.setdefault(stripped, number)
        if first != number:
            raise RecordError(None, f"duplicate of line {first} (byte-identical event)")
        try:
            event = json.loads(stripped)
        except json.JSONDecodeError as exc:
            column = exc.colno + (len(line) - len(line.lstrip()))  # column in the line as written
            raise RecordError(None, f"invalid JSON at column {column}: {exc.msg}") from None
        if not isinstance(event, dict):
            raise RecordError(None, f"not a JSON object: {type(event).__name__}")
        out = parse_event(event, report_date, salt)
    except RecordError as exc:
        return Reject(number, scrub_url_text(str(exc), salt), scrub_raw_line(stripped, salt))
    for rows in out.values():
        for row in rows:
            row["source_file"] = file_name
            row["record_number"] = number
    return out


def _result(file_name: str, records_read: int, tables: dict, rejects: list[Reject], blank_lines: int) -> ParseResult:
    result = ParseResult(
        source_file=file_name, records_read=records_read, tables=tables, rejects=rejects, ignored_lines=blank_lines
    )
    if blank_lines:
        result.warnings.append(f"{file_name}: {blank_lines} blank line(s) ignored")
    return result


def _text(data: bytes, file_name: str) -> str:
    if file_name.lower().endswith(".gz"):
        data = _decompress(data, file_name)
    return decode_utf8(data, file_name)


def parse_reference(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """The per-record pure-Python parse: one ``json.loads`` and :func:`parse_event` per line.

    It defines the output: :func:`parse` (the columnar path) must give exactly this result,
    and runs this code itself for every line its vectorised checks do not clear.
    """
    salt = pii_salt()
    text = _text(data, file_name)
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
        out = _parse_line(number, line, stripped, first_seen, report_date, salt, file_name)
        if isinstance(out, Reject):
            rejects.append(out)
            continue
        for table, rows in out.items():
            tables[table].extend(rows)
    return _result(file_name, records_read, tables, rejects, blank_lines)


# --------------------------------------------------------------------------- entry point
def parse(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    """Parse one GA4 NDJSON export (``.gz`` is decompressed here) into ``events`` and ``event_params``.

    Columnar (see :mod:`orchestration.ingestion.parsers.ga4_columnar`): the result equals
    :func:`parse_reference`'s, with the tables held as :class:`~.base.ArrowRows`.
    """
    return _parse_columnar(data, file_name=file_name, report_date=report_date)


# --------------------------------------------------------------------------- columnar path
# What pyarrow's JSON reader reads of an event (other fields are ignored). A value of another
# JSON type (an int where a string is expected, an object that is a list, a key given twice)
# fails the read of its chunk: those lines then take the per-record path.
_VALUE = pa.struct(
    [("string_value", _str), ("int_value", _str), ("double_value", pa.float64()), ("float_value", pa.float64())]
)
_READ_SCHEMA = pa.schema(
    [
        ("event_date", _str),
        ("event_timestamp", _str),
        ("event_name", _str),
        ("user_pseudo_id", _str),
        ("user_id", _str),
        ("event_params", pa.list_(pa.struct([("key", _str), ("value", _VALUE)]))),
        ("collected_traffic_source", pa.struct([(name, _str) for name in TRAFFIC_FIELDS.values()])),
        ("ecommerce", pa.struct([("transaction_id", _str), ("purchase_revenue", pa.float64()), ("currency", _str)])),
    ]
)
_PARSE_OPTIONS = pajson.ParseOptions(explicit_schema=_READ_SCHEMA, unexpected_field_behavior="ignore")
CHUNK_LINES = 20_000  # lines per read; a chunk that fails is halved until the bad lines are isolated
_MIN_CHUNK = 16  # a failing chunk this small goes to the per-record path as a whole
MAX_TIMESTAMP_US = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
_VISIBLE_ASCII = r"^[!-~]$"  # printable, non-space ASCII
_INT64_TEXT = r"^-?[0-9]{1,18}$"  # what int() reads like the per-record path (longer ones take that path)
_DIGITS = r"^[0-9]{1,18}$"
# A URL whose query parameters need no decoding and whose query is everything after the first
# "?": printable ASCII without "%", "+", "#", "[", "]" or "\" (urlsplit/parse_qs would change those).
_PLAIN_URL = r'^[!"$&-*,-Z^-~]*$'
_MC_EID_TEXT = r"(?i)mc_eid="  # a value scrub_url_text may change (it needs the exact Python function)


def _mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean array as numpy, NULL as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _matches(array, pattern: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(array, pattern))


def _null_unless(array, keep: np.ndarray):
    """``array`` with NULL where ``keep`` is False."""
    if keep.all():
        return array
    return pc.if_else(pa.array(keep), array, pa.scalar(None, array.type))


def _clean(array) -> np.ndarray:
    """Non-empty strings that start and end with printable, non-space ASCII: ``str.strip()`` leaves them as they are."""
    first = pc.utf8_slice_codeunits(array, 0, 1)
    last = pc.utf8_slice_codeunits(array, -1, 2**62)
    return _matches(first, _VISIBLE_ASCII) & _matches(last, _VISIBLE_ASCII)


def _map_python(array, function, only: np.ndarray | None = None):
    """``function`` over the distinct non-null values of a string array (``only``: just where True)."""
    todo = array if only is None else _null_unless(array, only)
    distinct = pc.unique(todo).drop_null()
    if len(distinct) == 0:
        return array
    mapped = pa.array([function(value) for value in distinct.to_pylist()], _str)
    replaced = pc.take(mapped, pc.index_in(todo, value_set=distinct))
    return replaced if only is None else pc.if_else(pa.array(only), replaced, array)


def _opt_str_columnar(array) -> tuple[pa.Array, np.ndarray]:
    """:func:`_opt_str` of a string column -> (values, rows it cannot decide: per-record path)."""
    placeholder = _mask(pc.is_in(array, value_set=pa.array(["", NOT_SET])))
    plain = _mask(pc.is_null(array)) | placeholder | _clean(array)
    return _null_unless(array, ~placeholder), ~plain


def _first_with_key(keys_equal: np.ndarray, parents: np.ndarray, rows: int) -> pa.Array:
    """Per event, the index of its first param whose key is the one asked for (NULL: none)."""
    chosen = np.flatnonzero(keys_equal)
    owner = parents[chosen]
    first = np.ones(len(chosen), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    index = np.full(rows, -1, dtype=np.int64)
    index[owner[first]] = chosen[first]
    return pa.array(index, mask=index < 0)


def _read_chunks(lines: list[str], numbers: list[int]) -> tuple[list[pa.Table], list[list[int]], list[int]]:
    """Read stripped event lines with pyarrow -> (tables, their record numbers, numbers not read).

    A chunk that pyarrow refuses (or that yields another number of rows than lines) is halved
    until the lines it cannot read are isolated in chunks of at most ``_MIN_CHUNK`` lines."""
    tables, table_numbers, unread = [], [], []
    pending = [(start, min(start + CHUNK_LINES, len(lines))) for start in range(0, len(lines), CHUNK_LINES)]
    pending.reverse()
    while pending:
        start, stop = pending.pop()
        chunk = lines[start:stop]
        data = "\n".join(chunk).encode("utf-8")
        block = max(1 << 20, max(map(len, chunk)) * 4 + 2)  # a block holds whole lines (UTF-8: <= 4 bytes a char)
        # one CPU: the serial reader (pyarrow's threaded one is slower there)
        options = pajson.ReadOptions(block_size=block, use_threads=pa.cpu_count() > 1)
        try:
            table = pajson.read_json(io.BytesIO(data), read_options=options, parse_options=_PARSE_OPTIONS)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            table = None
        if table is not None and table.num_rows == stop - start:
            tables.append(table)
            table_numbers.append(numbers[start:stop])
        elif stop - start <= _MIN_CHUNK:
            unread.extend(numbers[start:stop])
        else:
            middle = (start + stop) // 2
            pending += [(middle, stop), (start, middle)]
    return tables, table_numbers, unread


def _columnar_tables(
    table: pa.Table, numbers: pa.Array, report_date: date, salt: str, file_name: str
) -> tuple[dict[str, pa.Table], np.ndarray]:
    """The events read by pyarrow -> (``events``/``event_params`` of the rows it clears, cleared mask).

    Every check of :func:`parse_event` is a vectorised predicate here; a row that fails one, or
    that holds a value only the Python code handles exactly, is not cleared (per-record path)."""
    rows = table.num_rows

    def col(name: str) -> pa.Array:  # plain arrays (a ChunkedArray's to_numpy would import pandas)
        return table.column(name).combine_chunks()

    ok = np.ones(rows, dtype=bool)

    ok &= _mask(pc.equal(col("event_date"), report_date.strftime("%Y%m%d")))
    timestamp_text = col("event_timestamp")
    digits = _matches(timestamp_text, _DIGITS)
    timestamp = pc.cast(_null_unless(timestamp_text, digits), pa.int64())
    ok &= digits & _mask(pc.less_equal(timestamp, MAX_TIMESTAMP_US))
    event_name, user_pseudo_id = col("event_name"), col("user_pseudo_id")
    ok &= _clean(event_name) & _clean(user_pseudo_id)

    # event_params, flattened: one entry per param, ``parents`` = its event
    param_lists = col("event_params")
    params = pc.list_flatten(param_lists)
    parents = np.asarray(pc.list_parent_indices(param_lists).to_numpy(zero_copy_only=False), dtype=np.int64)
    keys = pc.struct_field(params, "key")
    holder = pc.struct_field(params, "value")
    string_value = pc.struct_field(holder, "string_value")
    int_text = pc.struct_field(holder, "int_value")
    double_value = pc.coalesce(pc.struct_field(holder, "double_value"), pc.struct_field(holder, "float_value"))
    int_digits = _matches(int_text, _INT64_TEXT)
    int_value = pc.cast(_null_unless(int_text, int_digits), pa.int64())
    bad_param = ~_mask(pc.is_valid(params)) | ~_clean(keys)
    bad_param |= ~(_mask(pc.is_null(int_text)) | _mask(pc.equal(int_text, "")) | int_digits)
    negative_zero = _mask(pc.equal(double_value, 0.0)) & _mask(pc.less(pc.divide(1.0, double_value), 0.0))
    bad_param |= ~(_mask(pc.is_null(double_value)) | _mask(pc.is_finite(double_value))) | negative_zero
    ok[parents[bad_param]] = False
    scrubbed = _map_python(
        string_value,
        lambda value: scrub_emails(scrub_url_text(value, salt), salt),
        _matches(string_value, _MC_EID_TEXT),
    )

    keys_np = keys.to_numpy(zero_copy_only=False)

    def first(key: str) -> pa.Array:
        return _first_with_key(keys_np == key, parents, rows)

    def param_string(key: str) -> pa.Array:
        value = pc.take(scrubbed, first(key))
        return _null_unless(value, ~_mask(pc.equal(value, "")))

    session = first("ga_session_id")
    session_int = pc.take(int_value, session)
    session_other = _mask(pc.is_valid(pc.take(double_value, session))) | _mask(
        pc.is_valid(pc.take(string_value, session))
    )
    ok &= ~(_mask(pc.is_null(session_int)) & session_other)

    out: dict[str, Any] = {
        "event_date": pa.repeat(pa.scalar(report_date, pa.date32()), rows),
        "event_timestamp_us": timestamp,
        "event_ts": pc.cast(timestamp, pa.timestamp("us", tz="UTC")),
        "event_name": event_name,
        "user_pseudo_id": user_pseudo_id,
        "user_id": _map_python(
            col("user_id"), lambda value: hash_pii(require_str(value, "user_id", allow_null=True), salt)
        ),
        "ga_session_id": session_int,
        "page_location": param_string("page_location"),
        "page_referrer": param_string("page_referrer"),
    }
    traffic = col("collected_traffic_source")
    for column, name in TRAFFIC_FIELDS.items():
        out[column], undecided = _opt_str_columnar(
            pc.struct_field(traffic, name)  # NULL where the object is
        )
        ok &= ~undecided

    # url_* from the original page_location (unscrubbed), when its query needs no decoding
    location = pc.take(string_value, first("page_location"))
    ok &= _mask(pc.is_null(location)) | _matches(location, _PLAIN_URL)
    # parse_qs of the query: "&"-separated "name=value" pairs (no "=", or no value: skipped),
    # names lower-cased, the first value of a name wins
    query = pc.struct_field(pc.extract_regex(location, r"^[^?]*\?(?P<query>.*)$"), "query")
    pairs = pc.split_pattern(query, "&")
    pair_rows = np.asarray(pc.list_parent_indices(pairs).to_numpy(zero_copy_only=False), dtype=np.int64)
    name_value = pc.extract_regex(pc.list_flatten(pairs), r"^(?P<name>[^=]*)=(?P<value>.*)$")
    names = pc.ascii_lower(pc.struct_field(name_value, "name")).to_numpy(zero_copy_only=False)
    values = pc.struct_field(name_value, "value")
    named = _mask(pc.not_equal(values, ""))
    for column, name in URL_FIELDS.items():
        value = pc.take(values, _first_with_key(named & (names == name), pair_rows, rows))
        out[column] = _map_python(value, lambda text: hash_pii(text, salt)) if name in PERSONAL_URL_PARAMS else value

    ecommerce = col("ecommerce")

    def ecommerce_field(name: str):
        return pc.struct_field(ecommerce, name)  # NULL where the object is

    out["transaction_id"], undecided = _opt_str_columnar(ecommerce_field("transaction_id"))
    ok &= ~undecided & ~(_mask(pc.equal(event_name, "purchase")) & _mask(pc.is_null(out["transaction_id"])))
    revenue = ecommerce_field("purchase_revenue")
    revenue_zero = _mask(pc.equal(revenue, 0.0))
    ok &= _mask(pc.is_null(revenue)) | (
        _mask(pc.is_finite(revenue))
        & _mask(pc.greater_equal(revenue, 0.0))
        & ~(revenue_zero & _mask(pc.less(pc.divide(1.0, revenue), 0.0)))
    )
    out["purchase_revenue"] = revenue
    currency, undecided = _opt_str_columnar(ecommerce_field("currency"))
    ok &= ~undecided
    out["currency"] = pc.coalesce(currency, param_string("currency"))
    out["source_file"] = pa.repeat(pa.scalar(file_name, _str), rows)
    out["record_number"] = numbers

    keep = pa.array(ok)
    events_schema = SCHEMAS[PRIMARY_TABLE]
    events = pa.Table.from_arrays([pc.cast(out[f.name], f.type) for f in events_schema], schema=events_schema)
    events = events.filter(keep)

    param_keep = ok[parents]
    param_parents = pa.array(parents[param_keep])
    param_columns = {
        "event_timestamp_us": pc.take(timestamp, param_parents),
        "event_name": pc.take(event_name, param_parents),
        "user_pseudo_id": pc.take(user_pseudo_id, param_parents),
        "key": keys,
        "string_value": scrubbed,
        "int_value": int_value,
        "double_value": double_value,
    }
    mask = pa.array(param_keep)
    for name in ("key", "string_value", "int_value", "double_value"):
        param_columns[name] = pc.filter(param_columns[name], mask)
    param_columns["source_file"] = pa.repeat(pa.scalar(file_name, _str), len(param_parents))
    param_columns["record_number"] = pc.take(numbers, param_parents)
    params_schema = SCHEMAS[PARAMS_TABLE]
    event_params = pa.Table.from_arrays(
        [pc.cast(param_columns[f.name], f.type) for f in params_schema], schema=params_schema
    )
    return {PRIMARY_TABLE: events, PARAMS_TABLE: event_params}, ok


def _parse_columnar(data: bytes, *, file_name: str, report_date: date) -> ParseResult:
    salt = pii_salt()
    text = _text(data, file_name)
    lines = _lines(text)
    first_seen: dict[str, int] = {}
    records_read = blank_lines = 0
    fast_lines: list[str] = []
    fast_numbers: list[int] = []
    slow: list[int] = []
    # no JSON escapes (every decoded string is then a substring of its line) and no e-mail address
    # to scrub (in clear or percent-encoded): looked for line by line only if the file has any
    special = ("\\", "@", "%40") if any(text_has in text for text_has in ("\\", "@", "%40")) else ()
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            blank_lines += 1
            continue
        records_read += 1
        if (
            first_seen.setdefault(stripped, number) == number
            and stripped[0] == "{"
            and stripped[-1] == "}"
            and not any(text_has in stripped for text_has in special)
        ):
            fast_lines.append(stripped)
            fast_numbers.append(number)
        else:
            slow.append(number)

    parts: dict[str, list[pa.Table]] = {PRIMARY_TABLE: [], PARAMS_TABLE: []}
    chunks, chunk_numbers, unread = _read_chunks(fast_lines, fast_numbers)
    slow.extend(unread)
    for table, numbers in zip(chunks, chunk_numbers, strict=True):
        numbers_array = pa.array(numbers, pa.int64())
        tables, cleared = _columnar_tables(table, numbers_array, report_date, salt, file_name)
        for name, part in tables.items():
            parts[name].append(part)
        slow.extend(np.asarray(numbers)[~cleared].tolist())

    slow.sort()
    rejects: list[Reject] = []
    slow_rows: dict[str, list[dict[str, Any]]] = {PRIMARY_TABLE: [], PARAMS_TABLE: []}
    for number in slow:
        line = lines[number - 1]
        out = _parse_line(number, line, line.strip(), first_seen, report_date, salt, file_name)
        if isinstance(out, Reject):
            rejects.append(out)
            continue
        for name, rows in out.items():
            slow_rows[name].extend(rows)

    if not any(len(part) for part in parts[PRIMARY_TABLE]):
        return _result(file_name, records_read, slow_rows, rejects, blank_lines)
    tables: dict[str, Any] = {}
    for name, table_parts in parts.items():
        if slow_rows[name]:
            try:
                table_parts = [*table_parts, pa.Table.from_pylist(slow_rows[name], schema=SCHEMAS[name])]
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                # rows that do not fit the schema: the ingest layer reports them, from the lists
                return parse_reference(data, file_name=file_name, report_date=report_date)
        table = pa.concat_tables(table_parts)
        if slow_rows[name]:
            table = table.take(pc.sort_indices(table, sort_keys=[("record_number", "ascending")]))
        tables[name] = ArrowRows(table)
    return _result(file_name, records_read, tables, rejects, blank_lines)
