"""Data freshness and quarantine counts per source, from the Parquet lake (docs/raw_layer.md).

Every ingested partition ``lake/raw/<source>/report_date=D/`` carries a ``_manifest.json``
(rows read, loaded and quarantined, warnings, ingested_at); its rejected rows are in
``lake/quarantine/<source>/report_date=D/rejects.parquet`` with a ``reject_reason``. Only
manifests and Parquet footers / reasons are read: never the rejected records themselves.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from orchestration.ingestion.lake import MANIFEST, REJECTS

REASON_CHARS = 160


@dataclass
class SourceStatus:
    source: str
    partitions: int = 0
    first_report_date: date | None = None
    last_report_date: date | None = None
    last_ingested_at: str | None = None
    records_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    partitions_with_rejects: int = 0
    warnings: int = 0
    reasons: Counter = field(default_factory=Counter)


def _partition_date(folder: Path) -> date | None:
    prefix = "report_date="
    if not folder.name.startswith(prefix):
        return None
    try:
        return date.fromisoformat(folder.name[len(prefix) :])
    except ValueError:
        return None


def read_lake_status(lake_dir: Path) -> dict[str, SourceStatus]:
    """Per source in the lake (sorted by name): partitions, dates, rows and reject reasons."""
    statuses: dict[str, SourceStatus] = {}
    raw_root = lake_dir / "raw"
    if not raw_root.is_dir():
        return statuses
    for source_dir in sorted(p for p in raw_root.iterdir() if p.is_dir()):
        status = SourceStatus(source_dir.name)
        for partition in sorted(source_dir.iterdir()):
            day = _partition_date(partition)
            manifest_path = partition / MANIFEST
            if day is None or not manifest_path.exists():
                continue  # not a published partition (a published one has its manifest)
            manifest = json.loads(manifest_path.read_text())
            report = manifest.get("report", {})
            status.partitions += 1
            status.first_report_date = min(filter(None, [status.first_report_date, day]))
            status.last_report_date = max(filter(None, [status.last_report_date, day]))
            ingested_at = manifest.get("ingested_at")
            if ingested_at and (status.last_ingested_at is None or ingested_at > status.last_ingested_at):
                status.last_ingested_at = ingested_at
            status.records_read += int(report.get("records_read", 0))
            status.rows_loaded += int(report.get("rows_loaded", 0))
            quarantined = int(report.get("rows_quarantined", 0))
            status.rows_quarantined += quarantined
            status.warnings += len(report.get("warnings", []))
            if quarantined:
                status.partitions_with_rejects += 1
                rejects = lake_dir / "quarantine" / source_dir.name / partition.name / f"{REJECTS}.parquet"
                if rejects.exists():
                    reasons = pq.read_table(rejects, columns=["reject_reason"]).column("reject_reason")
                    status.reasons.update(_short(str(reason)) for reason in reasons.to_pylist())
        statuses[status.source] = status
    return statuses


def _short(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"
