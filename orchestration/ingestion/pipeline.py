"""Ingest one (source, report date): landing folder -> parsers -> Parquet partition.

No Dagster here: the assets in ``defs/ingest.py`` call ``ingest_partition`` per
partition key and turn the ``PartitionReport`` into metadata and checks.

- The landing folder ``<landing>/<source>/<YYYY-MM-DD>/`` is the input; a missing
  folder is ``status='missing'`` (not exported yet), an empty folder or an empty
  file is a valid day with no rows.
- Inputs are fingerprinted: sha256 of every file, of the parser code and of the
  settings that change the parser's output. When the fingerprint equals the
  published partition's, nothing is parsed or written (``status='unchanged'``).
  The parser code is every ``orchestration`` module that importing the parser runs:
  the parser, the modules it imports, transitively (found by reading the import
  statements with ``ast``, at any level, relative ones included; see
  ``module_dependencies``), and the packages on the way, plus this module. A
  change in a shared helper (``meta_ads`` imports ``google_ads``) re-ingests.
  Imports by a computed name (``importlib.import_module(variable)``) are not seen:
  parsers do not use them. The settings are those read by a module in that set
  (``SETTING_READERS``): ``ADWH_PII_SALT`` (as ``pii.salt_digest``, never the
  value) for parsers that hash personal data, ``ADWH_REPORTING_CURRENCY`` for a
  parser that would import the settings (none does today).
- The PII salt: before writing a partition of a source whose fingerprint holds the
  salt, the lake-level salt record is checked (``salt_record``): a salt that differs
  from the one the lake's hashed partitions were made with is refused with an
  ``IngestError`` naming ``ADWH_PII_SALT`` (restore it, or re-hash the whole history
  with ``rehash_pii_history``: ``python -m orchestration.ingestion.salt_record
  rehash``), so no lake ever holds hashes made with two salts.
- Every record is loaded or quarantined with its reason; ``records_read ==
  rows_loaded + rows_quarantined`` is asserted before anything is written.
- A parser's table is a list of row dicts (turned into Arrow with the source's schema)
  or an ``ArrowRows`` from a columnar parser (GA4), whose ``pa.Table`` is cast to the
  schema and concatenated as it is, in file order; either way a row that does not fit
  the schema, or a NULL in a required column, fails the partition.
- A file that cannot be parsed at all raises ``IngestError`` naming the file and
  position; nothing of the partition is written (the previous version stays).
- A partition whose quarantined share is above ``ADWH_QUARANTINE_FAIL_RATE``
  (``quality``) raises ``QuarantineRateError`` (an ``IngestError``) naming the
  source, date, rate and top reject reasons; nothing is written either.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import importlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.ingestion import quality, salt_record
from orchestration.ingestion.lake import Lake
from orchestration.ingestion.parsers import pii
from orchestration.ingestion.parsers.base import QUARANTINE_SCHEMA, ArrowRows, Reject, Rows, SourceParseError
from orchestration.registry import ALL_SOURCES


class IngestError(RuntimeError):
    """A partition cannot be ingested; the message names source, date, file and position."""


class QuarantineRateError(IngestError):
    """Too many records of a partition were quarantined (``quality``): it is not written."""


@dataclass
class FileReport:
    name: str
    sha256: str
    bytes: int
    records_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    ignored_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class PartitionReport:
    source: str
    report_date: str
    status: str  # ingested | unchanged | missing
    records_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    files: list[FileReport] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # INFO: expected structure (UI preamble, totals)
    counter_decreases: list[dict[str, Any]] = field(default_factory=list)
    # quarantine summary for the rate check: the top reason kinds, and the rejects that only
    # repeat a row of another file of the day (not counted in the rate)
    reject_reasons: list[dict[str, Any]] = field(default_factory=list)
    cross_file_duplicates: int = 0

    @property
    def accounted_for(self) -> bool:
        return self.records_read == self.rows_loaded + self.rows_quarantined


def source_module(source: str) -> ModuleType:
    return importlib.import_module(f"orchestration.ingestion.parsers.{source}")


def _find_spec(name: str):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, AttributeError, ValueError):  # e.g. "pkg.module.attribute": not a module
        return None


def _source_file(spec) -> Path | None:
    origin = getattr(spec, "origin", None)
    return Path(origin) if origin and origin.endswith(".py") else None


def module_dependencies(name: str, *, package: str = "orchestration") -> list[str]:
    """The modules of ``package`` that importing module ``name`` runs, ``name`` included, sorted.

    Read from the source with ``ast`` (nothing is executed): every ``import`` / ``from ... import``
    statement at any level (top, functions, ``try`` blocks), relative imports resolved, names
    imported from a package checked for being submodules, transitively, plus the parent packages
    whose ``__init__`` runs on the way. Modules outside ``package`` (the standard library,
    pyarrow) are not followed: they are not the project's code.
    """

    def inside(module_name: str) -> bool:
        return module_name == package or module_name.startswith(package + ".")

    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in found or not inside(current):
            continue
        spec = _find_spec(current)
        path = _source_file(spec)
        if path is None:
            continue
        found.add(current)
        is_package = spec.submodule_search_locations is not None
        parent = current.rpartition(".")[0]
        if parent:
            todo.append(parent)
        anchor = current if is_package else parent  # what "from . import x" is relative to
        for level, module_name, names in _import_statements(path.read_bytes(), str(path)):
            if level == 0 and not names:  # import a.b.c
                todo.append(module_name)
                continue
            base = ("." * level) + module_name
            try:
                resolved = importlib.util.resolve_name(base, anchor) if level else base
            except (ImportError, ValueError):
                continue
            if not inside(resolved):
                continue
            todo.append(resolved)
            todo.extend(f"{resolved}.{n}" for n in names if n != "*" and _find_spec(f"{resolved}.{n}") is not None)
    return sorted(found)


_IMPORTS_CACHE: dict[bytes, list[tuple[int, str, tuple[str, ...]]]] = {}


def _import_statements(source: bytes, filename: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(level, module, imported names)`` of every import statement (``names`` empty for
    ``import x``), cached by the sha256 of the source (a changed file is parsed again)."""
    key = hashlib.sha256(source).digest()
    if key not in _IMPORTS_CACHE:
        statements: list[tuple[int, str, tuple[str, ...]]] = []
        for node in ast.walk(ast.parse(source, filename=filename)):
            if isinstance(node, ast.Import):
                statements.extend((0, alias.name, ()) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                statements.append((node.level, node.module or "", tuple(alias.name for alias in node.names)))
        _IMPORTS_CACHE[key] = statements
    return _IMPORTS_CACHE[key]


def parser_dependencies(module: ModuleType) -> list[str]:
    """The project modules a parse depends on: the parser's import closure (``module_dependencies``)."""
    return module_dependencies(module.__name__)


def _reporting_currency() -> str:
    return os.environ.get("ADWH_REPORTING_CURRENCY") or "USD"


# Settings that change what a parser emits, by the module that reads them. A parser whose import
# closure holds the module has the setting in its fingerprint; secrets only as a digest.
SETTING_READERS: dict[str, dict[str, Callable[[], str]]] = {
    "orchestration.ingestion.parsers.pii": {pii.PII_SALT_ENV: lambda: pii.salt_digest(pii.pii_salt())},
    "orchestration.settings": {"ADWH_REPORTING_CURRENCY": _reporting_currency},
}


def parser_settings(module: ModuleType) -> dict[str, str]:
    """``{variable: value or digest}`` of the settings the parser's output depends on."""
    out: dict[str, str] = {}
    for dependency in parser_dependencies(module):
        for variable, read in SETTING_READERS.get(dependency, {}).items():
            out[variable] = read()
    return dict(sorted(out.items()))


def parser_fingerprint(module: ModuleType) -> str:
    """Hash of everything a parse depends on: the code of every project module in the parser's
    import closure, this module's code, and the settings of ``parser_settings`` (a new parser or
    helper version, or a new salt, re-ingests unchanged inputs)."""
    digest = hashlib.sha256()
    for name in [*parser_dependencies(module), __name__]:
        path = _source_file(_find_spec(name))
        if path is None:
            continue
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    digest.update(json.dumps(parser_settings(module), sort_keys=True).encode())
    return digest.hexdigest()


def salted_sources() -> tuple[str, ...]:
    """The sources whose parsers hash personal data with the PII salt (from their imports)."""
    return tuple(s for s in ALL_SOURCES if pii.PII_SALT_ENV in parser_settings(source_module(s)))


def _published_days(lake: Lake, source: str) -> list[date]:
    root = lake.root / "raw" / source
    days = []
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name.startswith("report_date="):
                try:
                    day = date.fromisoformat(folder.name.split("=", 1)[1])
                except ValueError:
                    continue
                if lake.read_manifest(source, day) is not None:
                    days.append(day)
    return sorted(days)


def _check_pii_salt(lake: Lake, digest: str, *, rehashing: bool = False) -> list[str]:
    """The salt of this write is the lake's salt (``salt_record.check``), else ``IngestError``."""
    sources = salted_sources()

    def manifests():
        for source in sources:
            for day in _published_days(lake, source):
                yield lake.read_manifest(source, day) or {}

    try:
        return salt_record.check(lake.root, digest, sources=sources, manifests=manifests(), rehashing=rehashing)
    except salt_record.PiiSaltError as exc:
        raise IngestError(str(exc)) from None


def rehash_pii_history(*, landing_dir: Path, lake: Lake) -> list[PartitionReport]:
    """Re-ingest every partition of the lake that holds PII hashes with the current ``ADWH_PII_SALT``.

    Refuses (``IngestError``, nothing written) when a hashed partition has no landing folder any
    more. The salt record says "rotating" until every partition is rewritten, so an interruption
    blocks ordinary ingestion until this runs again (already re-hashed partitions are skipped).
    """
    digest = pii.salt_digest(pii.pii_salt())
    partitions = [(source, day) for source in salted_sources() for day in _published_days(lake, source)]
    gone = [
        f"{source} {day.isoformat()}"
        for source, day in partitions
        if not landing_folder(landing_dir, source, day).is_dir()
    ]
    if gone:
        raise IngestError(
            f"cannot re-hash with the new {pii.PII_SALT_ENV}: {len(gone)} hashed partition(s) have no landing folder "
            f"under {landing_dir} any more ({', '.join(gone[:20])}{' ...' if len(gone) > 20 else ''}); nothing was "
            "written. Put their exports back in the landing folder, or restore the previous salt."
        )
    record = salt_record.read(lake.root)
    if record is None or record["digest"] != digest or "rotating_from" in record:
        previous = None if record is None else record.get("rotating_from", record["digest"])
        salt_record.replace(lake.root, digest, rotating_from=previous)
    reports = [
        ingest_partition(source=source, day=day, landing_dir=landing_dir, lake=lake, rehashing_salt=True)
        for source, day in partitions
    ]
    salt_record.replace(lake.root, digest)
    return reports


def landing_folder(landing_dir: Path, source: str, day: date) -> Path:
    return landing_dir / source / day.isoformat()


def list_landing_files(folder: Path, patterns: tuple[str, ...]) -> tuple[list[Path], list[str]]:
    """Export files of a landing folder (sorted) and warnings for files that are skipped."""
    files, warnings = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue  # hidden files are partial uploads by convention
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            files.append(path)
        else:
            warnings.append(f"{path.name}: not a {' / '.join(patterns)} export, not read")
    return files, warnings


def partition_fingerprint(module: ModuleType, blobs: dict[str, bytes]) -> dict[str, Any]:
    """What a partition's content depends on: the parser (and what it imports), the settings that
    change its output, and every landing file's SHA-256. Equal to the manifest's: unchanged."""
    return {
        "parser": parser_fingerprint(module),
        "settings": parser_settings(module),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in blobs.items()},
    }


def _is_current(
    lake: Lake, source: str, day: date, fingerprint: dict[str, Any], manifest: dict[str, Any] | None
) -> bool:
    return bool(manifest) and manifest.get("fingerprint") == fingerprint and lake.is_complete(source, day)


def _landing_paths(source: str, day: date, landing_dir: Path) -> tuple[ModuleType, list[Path]]:
    """The source's parser and the export files of this partition's landing folder (none
    without a folder), as ``ingest_partition`` lists them."""
    module = source_module(source)
    folder = landing_folder(landing_dir, source, day)
    if not folder.is_dir():
        return module, []
    paths, _ = list_landing_files(folder, tuple(module.FILE_PATTERNS))
    return module, paths


def landing_bytes(*, source: str, day: date, landing_dir: Path) -> int:
    """Bytes the parser reads from this partition's landing files (``parsed_size``); 0 without a
    landing folder. Sizes only: no file is read whole."""
    _, paths = _landing_paths(source, day, landing_dir)
    return sum(parsed_size(path) for path in paths)


def pending_bytes(*, source: str, day: date, landing_dir: Path, lake: Lake) -> int:
    """Bytes ``ingest_partition`` would parse for this partition (``parsed_size``): 0 when it has
    no landing folder or is current (same fingerprint as its manifest)."""
    module, paths = _landing_paths(source, day, landing_dir)
    if not paths:
        return 0
    blobs = {path.name: path.read_bytes() for path in paths}
    if _is_current(lake, source, day, partition_fingerprint(module, blobs), lake.read_manifest(source, day)):
        return 0
    return sum(parsed_size(path) for path in paths)


def parsed_size(path: Path) -> int:
    """Bytes a parser reads from a landing file: a ``.gz`` file's uncompressed size (its gzip
    trailer, ISIZE, modulo 4 GiB; landing files are far smaller), else the file's size."""
    size = path.stat().st_size
    if path.suffix != ".gz" or size < 18:
        return size
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return int.from_bytes(handle.read(4), "little")


def ingest_partition(
    *,
    source: str,
    day: date,
    landing_dir: Path,
    lake: Lake,
    force: bool = False,
    rehashing_salt: bool = False,
    thresholds: quality.QuarantineThresholds | None = None,
) -> PartitionReport:
    """Ingest one partition (see the module docstring). ``thresholds``: the quarantine-rate
    thresholds, by default from the environment (``quality.quarantine_thresholds``)."""
    module = source_module(source)
    folder = landing_folder(landing_dir, source, day)
    if not folder.is_dir():
        return PartitionReport(source, day.isoformat(), "missing")

    paths, warnings = list_landing_files(folder, tuple(module.FILE_PATTERNS))
    blobs = {path.name: path.read_bytes() for path in paths}
    fingerprint = partition_fingerprint(module, blobs)
    settings = fingerprint["settings"]
    salt_warnings = []
    if pii.PII_SALT_ENV in settings:  # checked even when unchanged: a lake with two salts must not build
        salt_warnings = _check_pii_salt(lake, settings[pii.PII_SALT_ENV], rehashing=rehashing_salt)
    previous = lake.read_manifest(source, day)
    if not force and _is_current(lake, source, day, fingerprint, previous):
        return _report_from_manifest(previous, status="unchanged")

    # per table, the parts of its rows in file order: Arrow tables (columnar parsers) and row dicts
    parts: dict[str, list[pa.Table | list[dict[str, Any]]]] = {name: [[]] for name in module.SCHEMAS}
    rejects: list[dict[str, Any]] = []
    report = PartitionReport(source, day.isoformat(), "ingested", warnings=[*warnings, *salt_warnings])
    grain = tuple(getattr(module, "GRAIN", ()))
    seen: dict[tuple, str] = {}
    for name, data in blobs.items():
        display = f"{source}/{day.isoformat()}/{name}"
        try:
            result = module.parse(data, file_name=display, report_date=day)
        except SourceParseError as exc:
            raise IngestError(f"{source} {day.isoformat()}: cannot parse {exc}") from exc
        file_report = FileReport(
            name=name,
            sha256=fingerprint["files"][name],
            bytes=len(data),
            records_read=result.records_read,
            ignored_lines=result.ignored_lines,
            warnings=list(result.warnings),
            notes=list(result.notes),
        )
        file_rejects = list(result.rejects)
        result_tables = result.tables
        if grain:
            result_tables, cross = _drop_cross_file_duplicates(
                result_tables, module.PRIMARY_TABLE, grain, seen, display
            )
            file_rejects.extend(cross)
            report.cross_file_duplicates += len(cross)
        for table, rows in result_tables.items():
            if table not in parts:
                raise IngestError(f"{display}: parser emitted unknown table {table!r}")
            if isinstance(rows, ArrowRows):
                parts[table] += [rows.table, []]
            else:
                parts[table][-1].extend(rows)
        file_report.rows_loaded = len(result_tables[module.PRIMARY_TABLE])
        file_report.rows_quarantined = len(file_rejects)
        for reject in file_rejects:
            rejects.append(
                {
                    "source_file": display,
                    "record_number": reject.record_number,
                    "reject_reason": reject.reason,
                    "raw_record": reject.raw_record,
                }
            )
        report.files.append(file_report)
        report.warnings.extend(f"{name}: {w}" for w in result.warnings)
        report.notes.extend(f"{name}: {n}" for n in result.notes)
        if file_report.records_read != file_report.rows_loaded + file_report.rows_quarantined:
            raise IngestError(
                f"{display}: {file_report.records_read} records read but {file_report.rows_loaded} loaded"
                f" + {file_report.rows_quarantined} quarantined (parser bug: rows unaccounted for)"
            )

    arrow_tables: dict[str, pa.Table] = {}
    for table, table_parts in parts.items():
        table_schema = module.SCHEMAS[table]
        try:
            arrow_tables[table] = pa.concat_tables(
                part.cast(table_schema)
                if isinstance(part, pa.Table)
                else pa.Table.from_pylist(part, schema=table_schema)
                for part in table_parts
                if isinstance(part, pa.Table) or part or len(table_parts) == 1
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as exc:
            raise IngestError(f"{source} {day.isoformat()}: table {table}: rows do not fit the schema: {exc}") from exc
        # pyarrow does not enforce nullable=False on from_pylist: check it here.
        for schema_field in module.SCHEMAS[table]:
            if not schema_field.nullable and arrow_tables[table].column(schema_field.name).null_count:
                raise IngestError(
                    f"{source} {day.isoformat()}: table {table}: required column {schema_field.name!r} has nulls"
                    " (parser bug: a record with a missing required value should have been quarantined)"
                )
    reject_table = pa.Table.from_pylist(rejects, schema=QUARANTINE_SCHEMA)

    report.records_read = sum(f.records_read for f in report.files)
    report.rows_loaded = arrow_tables[module.PRIMARY_TABLE].num_rows
    report.rows_quarantined = reject_table.num_rows
    report.table_rows = {name: t.num_rows for name, t in arrow_tables.items()}
    report.reject_reasons = quality.top_reasons(
        (r["reject_reason"], f"{r['source_file']} record {r['record_number']}") for r in rejects
    )
    assessment = quality.assess(
        source=source,
        report_date=report.report_date,
        records_read=report.records_read,
        rows_loaded=report.rows_loaded,
        rows_quarantined=report.rows_quarantined,
        cross_file_duplicates=report.cross_file_duplicates,
        reasons=report.reject_reasons,
        thresholds=thresholds,
    )
    if assessment.level == "fail":
        raise QuarantineRateError(
            f"{assessment.message}. Nothing of the partition was written (the previous version stays); fix the "
            f"export, or raise {quality.FAIL_RATE_ENV} if this is expected."
        )
    if source in LIFETIME_SOURCES:
        report.counter_decreases = lifetime_counter_decreases(
            source, day, arrow_tables[module.PRIMARY_TABLE], lake, module
        )
        report.warnings.extend(
            f"{d['campaign']}: lifetime {d['field']} went down from {d['previous']} ({d['previous_date']}) "
            f"to {d['value']}: the platform corrected its total; the daily difference is negative (kept)"
            for d in report.counter_decreases
        )
    manifest = {
        "source": source,
        "report_date": day.isoformat(),
        "fingerprint": fingerprint,
        "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "report": asdict(report),
    }
    lake.write_partition(source, day, arrow_tables, reject_table, manifest)
    return report


# Sources that report lifetime totals per campaign: a counter that goes down between two
# snapshots is a platform correction (late bounces, reclassified proxy opens). It is loaded
# (dbt keeps the negative daily difference so sums equal the latest lifetime total) and
# reported as a warning and by the WARN check `lifetime_counters_monotonic`.
LIFETIME_SOURCES = ("mailchimp", "klaviyo")


def _previous_partition(lake: Lake, source: str, day: date) -> date | None:
    root = lake.root / "raw" / source
    if not root.is_dir():
        return None
    days = []
    for folder in root.iterdir():
        if folder.name.startswith("report_date="):
            try:
                other = date.fromisoformat(folder.name.split("=", 1)[1])
            except ValueError:
                continue
            if other < day and lake.read_manifest(source, other) is not None:
                days.append(other)
    return max(days) if days else None


def lifetime_counter_decreases(
    source: str, day: date, table: pa.Table, lake: Lake, module: ModuleType
) -> list[dict[str, Any]]:
    """Counters of ``table`` lower than in the latest earlier published snapshot of the campaign."""
    previous_day = _previous_partition(lake, source, day)
    if previous_day is None or table.num_rows == 0:
        return []
    path = lake.raw_dir(source, previous_day) / f"{module.PRIMARY_TABLE}.parquet"
    if not path.exists():
        return []
    import pyarrow.parquet as pq

    key_columns = list(module.GRAIN)
    counters = [
        f.name
        for f in module.SCHEMAS[module.PRIMARY_TABLE]
        if pa.types.is_integer(f.type) and f.name not in ("record_number",)
    ]
    before = {tuple(r[c] for c in key_columns): r for r in pq.read_table(path).to_pylist()}
    decreases = []
    for row in table.to_pylist():
        key = tuple(row[c] for c in key_columns)
        old = before.get(key)
        if old is None:
            continue
        for column in counters:
            if old.get(column) is not None and row[column] is not None and row[column] < old[column]:
                decreases.append(
                    {
                        "campaign": "/".join(str(k) for k in key),
                        "field": column,
                        "previous": old[column],
                        "previous_date": previous_day.isoformat(),
                        "value": row[column],
                        "report_date": day.isoformat(),
                        "source_file": row.get("source_file"),
                        "record_number": row.get("record_number"),
                    }
                )
    return decreases


def _drop_cross_file_duplicates(
    tables: dict[str, Rows],
    primary: str,
    grain: tuple[str, ...],
    seen: dict[tuple, str],
    display: str,
) -> tuple[dict[str, Rows], list[Reject]]:
    """A record whose grain key was already loaded from another file of the same day is
    quarantined (e.g. the same account exported both as API JSON and as UI CSV). Columnar
    tables (``ArrowRows``) are read by their grain columns; only a duplicate row is made a dict."""
    dropped: set[int] = set()
    rejects: list[Reject] = []
    primary_rows = tables[primary]
    if isinstance(primary_rows, ArrowRows):
        columnar = primary_rows.table
        columns = [columnar.column(column).to_pylist() if column in columnar.column_names else None for column in grain]
        keys = zip(*(values if values is not None else [None] * columnar.num_rows for values in columns), strict=True)
        numbers = columnar.column("record_number").to_pylist()
    else:
        keys = (tuple(row.get(column) for column in grain) for row in primary_rows)
        numbers = [row["record_number"] for row in primary_rows]
    for index, (key, number) in enumerate(zip(keys, numbers, strict=True)):
        key = tuple(key)
        if key in seen:
            dropped.add(number)
            row = primary_rows[index]
            raw = {k: v for k, v in row.items() if k not in ("source_file", "record_number")}
            rejects.append(
                Reject(
                    number,
                    f"duplicate of {seen[key]} (same {', '.join(grain)} in another file of this day)",
                    json.dumps(raw, default=str, sort_keys=True),
                )
            )
        else:
            seen[key] = f"{display} record {number}"
    if not dropped:
        return tables, rejects
    kept: dict[str, Rows] = {}
    for name, rows in tables.items():
        if isinstance(rows, ArrowRows):
            drop = pc.is_in(rows.table.column("record_number"), value_set=pa.array(sorted(dropped), pa.int64()))
            kept[name] = ArrowRows(rows.table.filter(pc.invert(drop)))
        else:
            kept[name] = [row for row in rows if row["record_number"] not in dropped]
    return kept, rejects


def _report_from_manifest(manifest: dict[str, Any], *, status: str) -> PartitionReport:
    data = dict(manifest["report"])
    files = [FileReport(**f) for f in data.pop("files", [])]
    data["status"] = status
    return PartitionReport(**{**data, "files": files})
