"""The lake replaces partitions as a unit and recovers from an interrupted swap."""

from __future__ import annotations

import os
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.ingestion.lake import MANIFEST, REJECTS, Lake
from orchestration.ingestion.parsers.base import QUARANTINE_SCHEMA

DAY = date(2024, 3, 5)
SCHEMA = pa.schema([("x", pa.int64())])


def _write(lake: Lake, values: list[int], rejects: int = 0, tag: str = "v") -> None:
    reject_rows = [
        {"source_file": "f", "record_number": i, "reject_reason": "bad", "raw_record": "{}"} for i in range(rejects)
    ]
    lake.write_partition(
        "src",
        DAY,
        {"t": pa.table({"x": values}, schema=SCHEMA)},
        pa.Table.from_pylist(reject_rows, schema=QUARANTINE_SCHEMA),
        {"tag": tag},
    )


def test_write_then_replace(tmp_path):
    lake = Lake(tmp_path)
    _write(lake, [1, 2, 3], rejects=1, tag="first")
    assert lake.row_count("src", DAY, "t") == 3
    assert lake.row_count("src", DAY, REJECTS) == 1
    assert lake.read_manifest("src", DAY)["tag"] == "first"
    assert lake.is_complete("src", DAY)

    _write(lake, [7], rejects=0, tag="second")
    assert pq.read_table(lake.raw_dir("src", DAY) / "t.parquet").column("x").to_pylist() == [7]
    assert lake.row_count("src", DAY, REJECTS) == 0
    assert lake.read_manifest("src", DAY)["tag"] == "second"
    # nothing left over besides the two partitions
    assert not any((tmp_path / "_staging").iterdir())
    assert not any((tmp_path / "_trash").iterdir())


def test_failed_write_keeps_old_partition(tmp_path, monkeypatch):
    lake = Lake(tmp_path)
    _write(lake, [1, 2], tag="old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError):
        _write(lake, [9, 9, 9], tag="new")
    monkeypatch.undo()
    assert lake.read_manifest("src", DAY)["tag"] == "old"
    assert lake.row_count("src", DAY, "t") == 2
    assert not any((tmp_path / "_staging").iterdir())


def test_recover_interrupted_swap(tmp_path):
    """Simulate a crash between 'old -> trash' and 'new -> place': recover() restores old."""
    lake = Lake(tmp_path)
    _write(lake, [1, 2], tag="old")
    final = lake.raw_dir("src", DAY)
    trash = tmp_path / "_trash" / "crashed"
    trash.mkdir(parents=True)
    (trash / "origin").write_text(str(final))
    os.rename(final, trash / "data")
    assert not final.exists()

    restored = lake.recover()
    assert restored == [final]
    assert lake.read_manifest("src", DAY)["tag"] == "old"
    assert not trash.exists()


def test_mismatched_halves_are_incomplete(tmp_path):
    """A raw half from one write and a quarantine half from another is detected."""
    lake = Lake(tmp_path)
    _write(lake, [1], tag="a")
    (lake.quarantine_dir("src", DAY) / MANIFEST).write_text('{"write_id": "other"}')
    assert not lake.is_complete("src", DAY)
