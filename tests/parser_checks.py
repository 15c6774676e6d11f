"""The invariants every parser result must satisfy, shared by the parser tests."""

from __future__ import annotations

from types import ModuleType

import pyarrow as pa

from orchestration.ingestion.parsers.base import QUARANTINE_SCHEMA, ParseResult


def check_parse_result(result: ParseResult, module: ModuleType) -> ParseResult:
    """Nothing lost (records read = loaded + rejected), every row has exactly the columns of
    ``module.SCHEMAS`` in schema order with no null in a required column, every table and the
    rejects fit their Arrow schemas, and child-table rows only come from loaded records."""
    assert set(result.tables) == set(module.SCHEMAS)
    primary = result.tables[module.PRIMARY_TABLE]
    assert result.records_read == len(primary) + len(result.rejects)
    for table, rows in result.tables.items():
        schema = module.SCHEMAS[table]
        for row in rows:
            assert list(row) == schema.names  # exactly the columns, in schema order
            for f in schema:
                if not f.nullable:
                    assert row[f.name] is not None, f"{table}.{f.name} is null in {row}"
        pa.Table.from_pylist(rows, schema=schema)  # the types are right
    loaded = {row["record_number"] for row in primary}
    for table, rows in result.tables.items():
        if table != module.PRIMARY_TABLE:
            assert {row["record_number"] for row in rows} <= loaded, f"{table} rows of records not loaded"
    pa.Table.from_pylist(
        [
            {
                "source_file": result.source_file,
                "record_number": r.record_number,
                "reject_reason": r.reason,
                "raw_record": r.raw_record,
            }
            for r in result.rejects
        ],
        schema=QUARANTINE_SCHEMA,
    )
    return result
