"""What an ``adwh run`` shows its operator: progress per step on a terminal, one summary at the end.

``RunProgress`` is a run-events observer (``orchestration/run_events.py``): the ingest asset
announces every partition it ingested (with its report), the dbt asset every model, seed and test
it finished, the publish asset the snapshot. On a terminal (``sys.stderr.isatty()``) it draws one
progress bar per step with rich (which Dagster already depends on); elsewhere (the nightly log)
it draws nothing and the log stays line-oriented. Either way ``summary()`` gives the closing lines:
rows loaded and quarantined per source, marts rebuilt, checks passed / warned / failed, wall time.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class SourceTotals:
    partitions: int = 0
    unchanged: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass
class RunProgress:
    """Observer of one run; ``total_dbt_nodes`` sizes the dbt bar (models + seeds + tests)."""

    partitions_per_source: dict[str, int]
    total_dbt_nodes: int
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    live: bool | None = None  # None: draw bars only on a terminal

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.sources: dict[str, SourceTotals] = defaultdict(SourceTotals)
        self.dbt_done: dict[str, int] = defaultdict(int)  # resource type -> finished
        self.published = False
        if self.live is None:
            self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._progress = None
        self._tasks: dict[str, Any] = {}
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            for source, count in self.partitions_per_source.items():
                self._tasks[f"ingest:{source}"] = self._progress.add_task(f"ingest {source}", total=count)
            self._tasks["dbt"] = self._progress.add_task("dbt build", total=self.total_dbt_nodes or None)
            self._tasks["publish"] = self._progress.add_task("publish snapshot", total=1)

    # ------------------------------------------------------------------ observer
    def __call__(self, point: str, details: dict[str, Any]) -> None:
        if point.startswith("ingest:"):
            _, source, _day = point.split(":", 2)
            report = details.get("report")
            totals = self.sources[source]
            totals.partitions += 1
            if report is not None:
                totals.unchanged += report.status == "unchanged"
                totals.rows_loaded += report.rows_loaded
                totals.rows_quarantined += report.rows_quarantined
            self._advance(f"ingest:{source}")
        elif point == "dbt:node":
            self.dbt_done[details.get("resource_type", "node")] += 1
            self._advance("dbt")
        elif point == "published":
            self.published = True
            self._advance("publish")

    def _advance(self, task: str) -> None:
        if self._progress is not None and task in self._tasks:
            self._progress.advance(self._tasks[task])

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    # ------------------------------------------------------------------ summary
    def summary(self, checks: dict[str, int], *, ok: bool) -> list[str]:
        wall = time.monotonic() - self.started
        lines = [f"adwh run {'succeeded' if ok else 'FAILED'} in {wall:.0f} s"]
        for source in self.partitions_per_source:
            t = self.sources.get(source, SourceTotals())
            lines.append(
                f"  {source:<12} {t.partitions} partition(s) ({t.unchanged} unchanged), "
                f"{t.rows_loaded:,} rows loaded, {t.rows_quarantined:,} quarantined"
            )
        models = self.dbt_done.get("model", 0)
        lines.append(
            f"  dbt          {models} model(s) rebuilt, {self.dbt_done.get('seed', 0)} seed(s), "
            f"{self.dbt_done.get('test', 0) + self.dbt_done.get('unit_test', 0)} test(s)"
        )
        lines.append(
            f"  checks       {checks.get('passed', 0)} passed, {checks.get('warned', 0)} warned, "
            f"{checks.get('failed', 0)} failed"
        )
        lines.append(f"  snapshot     {'published' if self.published else 'not published (previous one kept)'}")
        return lines


def check_counts(events: Any) -> dict[str, int]:
    """passed / warned / failed over the asset-check evaluations of a run's events."""
    import dagster as dg

    counts = {"passed": 0, "warned": 0, "failed": 0}
    for event in events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.passed:
            counts["passed"] += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            counts["warned"] += 1
        else:
            counts["failed"] += 1
    return counts
