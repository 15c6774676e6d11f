"""Deterministic sample exports in the platforms' native shapes (``adwh generate``).

``generate(out_dir, start, end)`` writes, for every report date ``start..end``
(inclusive), the files a nightly exporter would have dropped into the landing
zone (docs/architecture.md, the landing contract)::

    out_dir/google_ads/<YYYY-MM-DD>/search_stream_<customer_id>.json   searchStream batches
    out_dir/google_ads/<YYYY-MM-DD>/ui_report.csv                       (EUR account, every 7th day)
    out_dir/meta_ads/<YYYY-MM-DD>/insights_<account_id>.json            Insights API pages
    out_dir/mailchimp/<YYYY-MM-DD>/reports.json                         GET /3.0/reports (lifetime)
    out_dir/klaviyo/<YYYY-MM-DD>/campaign_values_report.json            campaign-values-report (lifetime)
    out_dir/ga4/<YYYY-MM-DD>/events_YYYYMMDD.ndjson.gz                  BigQuery export rows
    out_dir/linkedin_ads/<YYYY-MM-DD>/ad_analytics_<account_id>.json    adAnalytics + the account,
                                       ad_accounts_/ad_campaigns_/creatives_<account_id>.json lookups

One module of this package per platform (``orchestration/sample/<source>.py``) models
its world and writes its files; each has ``SOURCE``, ``RESTATES`` and
``files(seed, scale, day, lag) -> ({file name: bytes}, records)`` (and, when it restates,
``delivery(name, data)``: the numbers a restatement must keep; a module with
``READS_GENERATED`` also gets ``generated``, the sources written alongside: GA4 has LinkedIn
sessions only beside LinkedIn exports). ``common`` holds the
shared randomness, ``email_campaigns`` the lifetime-snapshot model of both e-mail
platforms. The sources themselves come from the registry (``orchestration.registry``).

Restatements
------------
Conversions keep arriving after the day they are credited to. ``generate`` writes
each past folder as the platform would have last re-exported it on the night
after ``end`` (lag = days between the report date and that night): old days are
final, the most recent days are still immature. ``restate(out_dir, day)``
re-writes the Google Ads and Meta files of ``day`` as they look after every
attribution window has closed: conversions only grow, delivery numbers
(impressions, clicks, spend) are unchanged.

Determinism
-----------
Every random draw comes from a named stream (``common.stream``), so the same
arguments give byte-identical files, and a platform's files do not depend on which
other platforms are generated. A day's content depends only on the seed, the scale,
the date and (for the conversion lag) ``end``, not on ``start``. Only the standard
library is used.

Parallel generation
-------------------
Because of that, the days are independent: ``generate(..., workers=N)`` hands them out to
``N`` processes (``concurrent.futures.ProcessPoolExecutor``) and the files are byte-identical
to ``workers=1``. The platform modules' ``lru_cache``s (catalogues, day rows, e-mail
campaigns, GA4's user pool) are pure functions of their arguments, so what a process has
cached, and in which order it met the days, changes no byte (nor does the per-process
``hash()`` seed: no output depends on set or hash order). Each worker process builds the
per-run caches once (GA4's user pool: about 2 s at scale 63) and then takes one day after
the other, so a big run pays that once per process, not per day.
"""

from __future__ import annotations

import functools
import importlib
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

from orchestration.registry import ALL_SOURCES
from orchestration.sample.common import FINAL


# =============================================================================== summary
@dataclass(frozen=True)
class GenerateSummary:
    """What :func:`generate` wrote."""

    out_dir: Path
    start: date
    end: date
    scale: int
    seed: int
    sources: tuple[str, ...]
    files: tuple[Path, ...]
    records: dict[str, int] = field(default_factory=dict)
    """Records written per source (ad rows, insight rows, reports, results, events)."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        counts = ", ".join(f"{source}: {n:,}" for source, n in self.records.items())
        return (
            f"wrote {len(self.files)} files for {self.days} days "
            f"({self.start} .. {self.end}, scale {self.scale}, seed {self.seed}) into {self.out_dir}"
            f"\nrecords: {counts}"
        )


# =============================================================================== writing
def platform_module(source: str) -> ModuleType:
    """The sample module of a registered source (``orchestration/sample/<source>.py``)."""
    if source not in ALL_SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(ALL_SOURCES)}")
    return importlib.import_module(f"orchestration.sample.{source}")


def _write(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write a folder's files (each through a temp file + rename, so no half file is left)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = folder / name
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(path)
    return written


def _check_arguments(start: date, end: date, scale: int, sources: Iterable[str], workers: int = 1) -> tuple[str, ...]:
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (1 = generate in this process), got {workers}")
    chosen = tuple(dict.fromkeys(sources))
    unknown = [s for s in chosen if s not in ALL_SOURCES]
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; expected some of {', '.join(ALL_SOURCES)}")
    return chosen


def _generate_day(
    day: date, *, out_dir: Path, end: date, seed: int, scale: int, chosen: tuple[str, ...]
) -> tuple[list[Path], dict[str, int]]:
    """Write the folders of one report date, source by source: (files written, records per source).

    The unit of work of :func:`generate`, in this process or in a worker process (it is a
    module-level function of picklable arguments for that reason). A day's sources stay in
    one process: GA4 derives its sessions from the day rows the ad platforms have just
    cached (``day_rows``), and the e-mail campaigns of the day. An error gets a note
    naming the source and the day, so a failure in a worker says where it happened; its
    type is kept (an ``OSError`` of a full disk stays one)."""
    lag = (end - day).days + 1
    files: list[Path] = []
    records: dict[str, int] = {}
    for source in chosen:
        try:
            module = platform_module(source)
            context = {"generated": chosen} if getattr(module, "READS_GENERATED", False) else {}
            content, count = module.files(seed, scale, day, lag, **context)
            files += _write(out_dir / source / day.isoformat(), content)
        except Exception as exc:
            exc.add_note(f"adwh generate: failed writing {source} for report date {day} (seed {seed}, scale {scale})")
            raise
        records[source] = count
    return files, records


def generate(
    out_dir: Path,
    start: date,
    end: date,
    *,
    scale: int = 1,
    seed: int = 7,
    sources: Iterable[str] = ALL_SOURCES,
    workers: int = 1,
) -> GenerateSummary:
    """Write native exports for every report date ``start..end`` (inclusive) into ``out_dir``.

    The folders are written as the platforms would have last re-exported them on the
    night after ``end``: Google Ads / Meta conversions of the last days are still
    incomplete (see :func:`restate`). ``scale`` multiplies campaigns, ads, e-mail
    sends and users. Same arguments -> byte-identical files.

    ``workers`` > 1 generates the days on that many processes (at most one per day); the
    files and the summary are the same as with ``workers=1`` (see "Parallel generation").
    The summary lists the files day by day, source by source either way. The workers are
    spawned (fresh interpreters): a script that calls this with ``workers`` > 1 needs the
    usual ``if __name__ == "__main__":`` guard.
    """
    out_dir = Path(out_dir)
    chosen = _check_arguments(start, end, scale, sources, workers)
    for source in chosen:  # a platform module that does not import fails here, before any process starts
        platform_module(source)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    one_day = functools.partial(_generate_day, out_dir=out_dir, end=end, seed=seed, scale=scale, chosen=chosen)
    if workers == 1 or len(days) == 1:
        per_day = [one_day(day) for day in days]
    else:
        # One task per day, in date order: map() returns the results in that order whatever
        # process finished first, and a worker that is done takes the next day (a shared,
        # unevenly busy machine balances itself). Processes are reused across tasks, so the
        # per-process caches are built once per worker. "spawn" rather than the platform's
        # default "fork": the caller (the bench, any host process) may hold threads and locks
        # that a forked child would inherit half-taken; a spawned worker costs a fresh
        # interpreter and the imports (well under a second). If a day fails, map() cancels the
        # days not started yet and the error (with its note naming source and day) is raised here.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(days)), mp_context=context) as pool:
            per_day = list(pool.map(one_day, days))
    files: list[Path] = []
    records = dict.fromkeys(chosen, 0)
    for day_files, day_records in per_day:
        files += day_files
        for source, count in day_records.items():
            records[source] += count
    return GenerateSummary(
        out_dir=out_dir,
        start=start,
        end=end,
        scale=scale,
        seed=seed,
        sources=chosen,
        files=tuple(files),
        records=records,
    )


RESTATED_SOURCES: tuple[str, ...] = tuple(s for s in ALL_SOURCES if platform_module(s).RESTATES)
"""The platforms whose past days change after the export (late conversions)."""


def restate(
    out_dir: Path, day: date, *, seed: int = 7, scale: int = 1, sources: Iterable[str] | None = None
) -> list[Path]:
    """Re-write the files of ``day`` of the platforms that restate (``RESTATED_SOURCES``: Google
    Ads, Meta, LinkedIn) with their final conversions.

    This is the platforms' late re-export after every attribution window has closed:
    conversions (Google ``conversions``/``conversionsValue``/``viewThroughConversions``,
    Meta ``7d_click``/``28d_click`` actions and values, LinkedIn post-click / post-view
    conversions and their value) can only grow; impressions, clicks and spend are unchanged.
    ``sources`` defaults to the restating platforms that ``out_dir`` holds. Pass the ``seed``
    and ``scale`` given to :func:`generate`; a folder that was written with others is refused
    (its delivery numbers would change). Deterministic and idempotent.
    """
    out_dir = Path(out_dir)
    if sources is None:
        sources = [s for s in RESTATED_SOURCES if (out_dir / s).is_dir()] or list(RESTATED_SOURCES)
    written: list[Path] = []
    for source in sources:
        if source not in RESTATED_SOURCES:
            raise ValueError(f"only {', '.join(RESTATED_SOURCES)} restate; got {source!r}")
        module = platform_module(source)
        folder = out_dir / source / day.isoformat()
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} does not exist: generate the day before restating it")
        content, _ = module.files(seed, scale, day, FINAL)
        for name, data in content.items():
            old = folder / name
            if not old.exists() or module.delivery(name, old.read_bytes()) != module.delivery(name, data):
                raise ValueError(f"{old} was not written by generate(seed={seed}, scale={scale}); not restating it")
        written += _write(folder, content)
    return written
