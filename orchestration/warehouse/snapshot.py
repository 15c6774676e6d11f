"""Publish the warehouse to the read-only analyst snapshot (docs/architecture.md#1-the-data-flow).

Analysts never open the warehouse dbt writes: they read ``ADWH_ANALYST_DB``, a
copy replaced atomically (copy to a temp file in the same folder, then
``os.replace``) after each successful run. A reader that has the old file open
keeps reading the old, complete version; a new reader gets the new one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb


def publish_snapshot(warehouse: Path, analyst_db: Path) -> Path:
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run the pipeline first")
    # Fold the write-ahead log into the file so the copy is complete.
    con = duckdb.connect(os.fspath(warehouse))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    analyst_db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".publish-", suffix=".duckdb", dir=analyst_db.parent)
    os.close(fd)
    try:
        shutil.copyfile(warehouse, tmp_name)
        _drop_views(Path(tmp_name))
        with open(tmp_name, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_name, analyst_db)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return analyst_db


def _drop_views(snapshot: Path) -> None:
    """Keep only tables in the snapshot. dbt's staging/intermediate views name the warehouse's
    catalog (``"warehouse"."staging"...``), which does not exist under the snapshot's name, and
    they read the Parquet lake *live*: a view would show analysts data of a run in progress.
    The marts are tables, so the snapshot is complete and consistent without the views."""
    con = duckdb.connect(os.fspath(snapshot))
    try:
        views = con.execute(
            "select schema_name, view_name from duckdb_views() where not internal and database_name = current_database()"
        ).fetchall()
        for schema, view in views:
            con.execute(f'drop view if exists "{schema}"."{view}"')
        con.execute("CHECKPOINT")
    finally:
        con.close()


def connect_read_only(analyst_db: Path) -> duckdb.DuckDBPyConnection:
    if not analyst_db.exists():
        raise FileNotFoundError(
            f"no analyst snapshot at {analyst_db}: it is published after the first successful run "
            "(`adwh run --start ... --end ...` or `adwh demo`)"
        )
    return duckdb.connect(os.fspath(analyst_db), read_only=True)
