"""Shared contract of the source parsers.

A parser is a pure function ``parse(data: bytes, *, file_name: str, report_date: date)
-> ParseResult``. It knows nothing of Dagster, DuckDB or the file system: the
ingest layer reads the bytes, calls the parser, writes the tables to Parquet.

Counting rule ("nothing is lost"): every *record* of the input (one API result
row, one CSV data line, one Meta insight row, one Mailchimp report, one Klaviyo
result, one GA4 event line) is either a row of the source's primary table or a
``Reject`` with its reason: ``records_read == len(tables[primary]) + len(rejects)``.
Rows of child tables (Meta actions, GA4 event params) are derived from loaded
records and are not counted again. Lines that are not records by the format's
own definition (CSV preamble, header, ``Total:`` footer lines, blank lines) are
counted in ``ignored_lines`` with the reason in ``warnings``.

A file that cannot be parsed at all (invalid UTF-8, truncated JSON, a CSV with
a missing required column, a document of the wrong shape) raises
``SourceParseError`` naming the file, the position and the field.

A table of the result is a list of row dicts or, from a columnar parser (GA4), an
``ArrowRows``: the same rows held in a ``pa.Table``, read like the list (index, iterate,
compare, ``len``) and written by the ingest layer without becoming Python objects.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

INT64_MAX = 2**63 - 1


class SourceParseError(ValueError):
    """The whole file cannot be parsed; names file, position and field."""

    def __init__(self, file_name: str, position: str, field_name: str | None, message: str):
        self.file_name = file_name
        self.position = position
        self.field_name = field_name
        self.message = message
        where = f"{file_name}: {position}"
        if field_name:
            where += f": field '{field_name}'"
        super().__init__(f"{where}: {message}")


class RecordError(ValueError):
    """One record is bad: it is quarantined with this reason (field + message)."""

    def __init__(self, field_name: str | None, message: str):
        self.field_name = field_name
        self.message = message
        super().__init__(f"field '{field_name}': {message}" if field_name else message)


@dataclass(frozen=True)
class Reject:
    record_number: int  # 1-based position of the record in its file (line number for CSV/NDJSON)
    reason: str  # names the field: "field 'metrics.impressions': not an integer: '12a'"
    raw_record: str  # the original record as text


class ArrowRows(Sequence):
    """A parser table held as a ``pa.Table`` that reads like the list of row dicts it stands for.

    Columnar parsers return their tables in this form, so the ingest layer can write them
    without turning them into Python objects (``.table``); callers that index, iterate,
    compare or count rows see the same row dicts as before (``to_pylist``, made once, on
    first use). Read-only.
    """

    __slots__ = ("table", "_rows")

    def __init__(self, table: pa.Table):
        self.table = table
        self._rows: list[dict[str, Any]] | None = None

    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = self.table.to_pylist()
        return self._rows

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, index):  # int -> row dict, slice -> list of row dicts
        return self.rows()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArrowRows):
            return self.rows() == other.rows()
        if isinstance(other, (list, tuple)):
            return self.rows() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence, like a list

    def __repr__(self) -> str:
        return f"ArrowRows({self.rows()!r})"


Rows = list[dict[str, Any]] | ArrowRows


def table_rows(rows: Rows) -> list[dict[str, Any]]:
    """The row dicts of a parser table (a list as is; an ``ArrowRows`` materialised)."""
    return rows.rows() if isinstance(rows, ArrowRows) else rows


@dataclass
class ParseResult:
    source_file: str
    records_read: int
    # table -> its rows: a list of row dicts, or an ``ArrowRows`` (the same rows held columnar)
    tables: dict[str, Rows]
    rejects: list[Reject] = field(default_factory=list)
    ignored_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    # expected structure worth a line in the log (INFO), e.g. a UI export's preamble and totals
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers
def decode_utf8(data: bytes, file_name: str) -> str:
    """Decode UTF-8 (a leading BOM is dropped); invalid bytes fail the file with the offset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceParseError(
            file_name, f"line {line}, byte {exc.start}", None, f"invalid UTF-8 ({exc.reason})"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def load_json(text: str, file_name: str) -> Any:
    """Parse a JSON document; a syntax error (e.g. a truncated file) names line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceParseError(
            file_name, f"line {exc.lineno}, column {exc.colno}", None, f"invalid JSON: {exc.msg}"
        ) from None


def api_pages(document: Any, file_name: str, *, unit: str, expected: str) -> list[tuple[str, dict]]:
    """A paged API response saved as one page object or a JSON array of pages -> ``[(position, page)]``
    with positions ``"<unit> N"``. Not an object/array, a page that is not an object, or a page that
    carries the API's ``error`` body fails the file, naming the position."""
    if isinstance(document, dict):
        pages = [document]
    elif isinstance(document, list):
        pages = document
    else:
        raise SourceParseError(file_name, "top level", None, f"expected {expected}, got {type(document).__name__}")
    numbered = []
    for number, page in enumerate(pages, start=1):
        position = f"{unit} {number}"
        if not isinstance(page, dict):
            raise SourceParseError(file_name, position, None, f"expected a {unit} object, got {type(page).__name__}")
        if "error" in page:
            raise SourceParseError(file_name, position, "error", f"the API returned an error: {page['error']!r}"[:500])
        numbered.append((position, page))
    return numbered


def raw_text(record: Any) -> str:
    """The original record as text, for the quarantine's ``raw_record``."""
    if isinstance(record, str):
        return record
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def dig(record: dict, path: str, default: Any = None) -> Any:
    """Value at a dotted path of nested dicts, ``default`` where any step is absent."""
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def to_int(value: Any, field_name: str, *, absent_is_zero: bool = False, allow_null: bool = False) -> int | None:
    """A non-negative integer from an int, an int64-as-string or an integral float.

    ``absent_is_zero``: a missing value means 0 (Google Ads omits zero metrics).
    """
    if value is None or value == "":
        if absent_is_zero:
            return 0
        if allow_null:
            return None
        raise RecordError(field_name, "required value is missing")
    if isinstance(value, bool):
        raise RecordError(field_name, f"not an integer: {value!r}")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise RecordError(field_name, f"not an integer: {value!r}")
        result = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if "_" in text:  # Python accepts "1_000"; no export format does
            raise RecordError(field_name, f"not an integer: {value!r}")
        try:
            result = int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                raise RecordError(field_name, f"not an integer: {value!r}") from None
            if not math.isfinite(as_float) or as_float != int(as_float):
                raise RecordError(field_name, f"not an integer: {value!r}") from None
            result = int(as_float)
    else:
        raise RecordError(field_name, f"not an integer: {value!r}")
    if result < 0:
        raise RecordError(field_name, f"negative value: {value!r}")
    if result > INT64_MAX:
        raise RecordError(field_name, f"out of the int64 range: {value!r}")
    return result


def to_float(value: Any, field_name: str, *, absent_is_zero: bool = False, allow_null: bool = False) -> float | None:
    """A finite, non-negative number from a number or a numeric string."""
    if value is None or value == "":
        if absent_is_zero:
            return 0.0
        if allow_null:
            return None
        raise RecordError(field_name, "required value is missing")
    if isinstance(value, bool):
        raise RecordError(field_name, f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        if "_" in value:
            raise RecordError(field_name, f"not a number: {value!r}")
        try:
            result = float(value.strip())
        except ValueError:
            raise RecordError(field_name, f"not a number: {value!r}") from None
    else:
        raise RecordError(field_name, f"not a number: {value!r}")
    if not math.isfinite(result):
        raise RecordError(field_name, f"not a finite number: {value!r}")
    if result < 0:
        raise RecordError(field_name, f"negative value: {value!r}")
    return result


def to_date(value: Any, field_name: str, fmt: str = "%Y-%m-%d") -> date:
    from datetime import datetime

    if not isinstance(value, str) or not value.strip():
        raise RecordError(field_name, f"not a date: {value!r}")
    try:
        return datetime.strptime(value.strip(), fmt).date()
    except ValueError:
        raise RecordError(field_name, f"not a date ({fmt}): {value!r}") from None


def require_str(value: Any, field_name: str, *, allow_null: bool = False) -> str | None:
    """A non-empty string (ids arrive as strings or ints; ints are turned into strings)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_null:
            return None
        raise RecordError(field_name, "required value is missing")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError(field_name, f"not a string: {value!r}")
    return str(value).strip() if isinstance(value, str) else str(value)


def check_report_date(row_date: date, report_date: date, field_name: str) -> None:
    """A record dated to another day than its folder is quarantined, never silently moved."""
    if row_date != report_date:
        raise RecordError(
            field_name,
            f"record is for {row_date.isoformat()} but the file is in the folder of {report_date.isoformat()}",
        )


def parse_records(
    records: list[tuple[int, Any]],
    parse_one: Callable[[Any], dict[str, list[dict[str, Any]]]],
    *,
    source_file: str,
    primary: str,
    table_names: list[str],
    key: Callable[[dict[str, Any]], tuple] | None = None,
) -> ParseResult:
    """Run ``parse_one`` over numbered records; RecordError -> Reject.

    ``parse_one`` returns ``{table: [rows]}`` with exactly one row in ``primary``.
    ``key``: the grain of the primary table; a second record with the same key is
    quarantined as a duplicate naming the first one.
    """
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in table_names}
    rejects: list[Reject] = []
    seen: dict[tuple, int] = {}
    for number, record in records:
        try:
            out = parse_one(record)
            if key is not None:
                k = key(out[primary][0])
                if k in seen:
                    raise RecordError(None, f"duplicate of record {seen[k]} (same key {k})")
                seen[k] = number
        except RecordError as exc:
            rejects.append(Reject(number, str(exc), raw_text(record)))
            continue
        for name, rows in out.items():
            for row in rows:
                row["source_file"] = source_file
                row["record_number"] = number
                tables[name].append(row)
    return ParseResult(source_file=source_file, records_read=len(records), tables=tables, rejects=rejects)


def warn_missing_names(result: ParseResult, primary: str, name_fields: dict[str, str]) -> ParseResult:
    """One warning for the file when loaded rows lack descriptive fields (names).

    Names (account, campaign, ad group, ad names; Mailchimp's audience id and type) are
    attributes, not measures, and a platform returns only the fields a query selects: a
    missing one is loaded as NULL, never a reason to quarantine the row. ``name_fields`` maps
    the column to the native field; the warning names the fields, how many loaded rows lack
    each, and how many rows lack any (one line per file, not one per row).
    """
    rows = result.tables[primary]
    counts = {native: sum(1 for row in rows if row[column] is None) for column, native in name_fields.items()}
    counts = {native: n for native, n in counts.items() if n}
    if counts:
        lacking = sum(1 for row in rows if any(row[column] is None for column in name_fields))
        result.warnings.append(
            f"{lacking} of {len(rows)} loaded rows have no "
            + ", ".join(f"{native} ({n})" for native, n in counts.items())
            + ": loaded with NULL names (descriptive fields the export did not include)"
        )
    return result


# Columns every raw table carries (in addition to its own), and the quarantine schema.
LINEAGE_FIELDS = [
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("record_number", pa.int64(), nullable=False),
]

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("record_number", pa.int64(), nullable=False),
        pa.field("reject_reason", pa.string(), nullable=False),
        pa.field("raw_record", pa.string(), nullable=False),
    ]
)


def schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema(list(fields) + LINEAGE_FIELDS)
