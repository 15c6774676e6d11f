"""The Parquet lake: hive-partitioned raw and quarantine folders, replaced atomically.

Layout (docs/raw_layer.md)::

    lake/raw/<source>/report_date=YYYY-MM-DD/<table>.parquet + _manifest.json
    lake/quarantine/<source>/report_date=YYYY-MM-DD/rejects.parquet

A partition is written into a staging folder ``lake/_staging/<uuid>/`` (raw and
quarantine side by side), then swapped into place with renames. Readers (dbt)
only glob ``report_date=*`` folders, so they never see a staging folder. The
swap of an existing partition is two renames (old -> ``lake/_trash``, new ->
place); ``recover()`` puts back a partition whose swap was interrupted between
the two, so a crash never leaves a half-written partition behind: either the
old one or the new one is in place.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "_manifest.json"
REJECTS = "rejects"


@dataclass(frozen=True)
class Lake:
    root: Path

    def raw_dir(self, source: str, day: date) -> Path:
        return self.root / "raw" / source / f"report_date={day.isoformat()}"

    def quarantine_dir(self, source: str, day: date) -> Path:
        return self.root / "quarantine" / source / f"report_date={day.isoformat()}"

    def read_manifest(self, source: str, day: date) -> dict[str, Any] | None:
        path = self.raw_dir(source, day) / MANIFEST
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def is_complete(self, source: str, day: date) -> bool:
        """Raw and quarantine partitions exist and come from the same write."""
        raw = self.read_manifest(source, day)
        q_path = self.quarantine_dir(source, day) / MANIFEST
        if raw is None or not q_path.exists():
            return False
        return json.loads(q_path.read_text()).get("write_id") == raw.get("write_id")

    def row_count(self, source: str, day: date, table: str) -> int:
        """Rows in a published table (from the Parquet footer), 0 when absent."""
        folder = self.quarantine_dir(source, day) if table == REJECTS else self.raw_dir(source, day)
        path = folder / f"{table}.parquet"
        return pq.ParquetFile(path).metadata.num_rows if path.exists() else 0

    # ------------------------------------------------------------------ writing
    def write_partition(
        self,
        source: str,
        day: date,
        tables: dict[str, pa.Table],
        rejects: pa.Table,
        manifest: dict[str, Any],
    ) -> None:
        """Replace the raw and quarantine partitions of (source, day) as one unit."""
        self.recover()
        staging = self.root / "_staging" / uuid.uuid4().hex
        raw_new, quarantine_new = staging / "raw", staging / "quarantine"
        raw_new.mkdir(parents=True)
        quarantine_new.mkdir()
        try:
            for name, table in tables.items():
                pq.write_table(table, raw_new / f"{name}.parquet")
            pq.write_table(rejects, quarantine_new / f"{REJECTS}.parquet")
            # Both halves carry the same write_id: a raw/quarantine pair from two different writes
            # (a crash between the two swaps below) is detected by is_complete() and re-ingested.
            manifest = {**manifest, "write_id": uuid.uuid4().hex}
            (quarantine_new / MANIFEST).write_text(json.dumps({"write_id": manifest["write_id"]}))
            # The manifest is written last: a raw folder with a manifest is complete.
            (raw_new / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))
            _fsync_tree(staging)
            self._swap(raw_new, self.raw_dir(source, day))
            self._swap(quarantine_new, self.quarantine_dir(source, day))
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _swap(self, new: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        trash_root = self.root / "_trash"
        trash_root.mkdir(parents=True, exist_ok=True)
        if final.exists():
            # Record where the old folder came from so recover() can put it back.
            trash = trash_root / uuid.uuid4().hex
            trash.mkdir()
            (trash / "origin").write_text(str(final))
            os.rename(final, trash / "data")
            os.rename(new, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(new, final)

    def recover(self) -> list[Path]:
        """Undo interrupted swaps and drop abandoned staging folders; returns restored paths."""
        restored: list[Path] = []
        trash_root = self.root / "_trash"
        if trash_root.exists():
            for trash in sorted(trash_root.iterdir()):
                origin_file, data = trash / "origin", trash / "data"
                if origin_file.exists() and data.exists():
                    origin = Path(origin_file.read_text())
                    if not origin.exists():
                        origin.parent.mkdir(parents=True, exist_ok=True)
                        os.rename(data, origin)
                        restored.append(origin)
                shutil.rmtree(trash, ignore_errors=True)
        staging_root = self.root / "_staging"
        if staging_root.exists():
            # Staging folders belong to writers that died (a live writer's folder is removed by
            # its own finally-clause); ingestion of one source/day runs in one process at a time.
            for staging in staging_root.iterdir():
                if _older_than_seconds(staging, 3600):
                    shutil.rmtree(staging, ignore_errors=True)
        return restored


def _older_than_seconds(path: Path, seconds: float) -> bool:
    import time

    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return False


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
