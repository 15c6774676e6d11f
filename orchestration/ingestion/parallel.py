"""Ingest independent partitions of one source side by side, in worker processes.

A partition is written on its own (its own staging folder, then renames: ``lake.py``), and the
lake's salt record tolerates concurrent first writers (``salt_record.create``), so the days of a
backfill can be parsed in parallel. Parsing is CPU-bound Python and pyarrow work, hence processes
(``spawn``: a fresh interpreter, nothing inherited from a threaded Dagster process but the
environment), at most ``ADWH_INGEST_WORKERS`` of them (default: the CPUs this process may use).

It pays only when there is enough to parse: starting a worker (importing pyarrow and the parsers)
costs about a second, so a nightly run whose window is mostly unchanged, or a few small files,
stays in the calling process. ``parallel_ingest`` decides from the bytes still to parse
(``pipeline.pending_bytes``: unchanged partitions cost only their fingerprint), and computes no
fingerprint when the window's landing files are too small even if all of them were to parse.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from pathlib import Path

from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import PartitionReport, ingest_partition, landing_bytes, pending_bytes
from orchestration.settings import SettingsError

INGEST_WORKERS_ENV = "ADWH_INGEST_WORKERS"
# below this many bytes to parse (uncompressed; all pending partitions of the step together),
# starting workers costs more than it saves. Measured on 2 cores (decision 40): two workers take
# about a second to start; 60 GA4 days (76 MB of NDJSON, 5.4 MB gzip) parse in 3.3 s in one
# process and 2.4 s in two; 60 Google Ads days (1.5 MB of JSON) in 0.4 s, and 0.9 s in two.
PARALLEL_MIN_BYTES = 32 * 2**20


def ingest_workers(env: Mapping[str, str] | None = None) -> int:
    """``ADWH_INGEST_WORKERS``: the most processes one source's step ingests with (1: in the step's
    own process only). Default: the CPUs this process may run on."""
    env = os.environ if env is None else env
    text = (env.get(INGEST_WORKERS_ENV) or "").strip()
    if not text:
        return max(1, len(os.sched_getaffinity(0)))
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{INGEST_WORKERS_ENV} must be a whole number of processes >= 1, got {text!r}")
    return int(text)


@contextlib.contextmanager
def parallel_ingest(
    *, source: str, days: list[date], landing_dir: Path, lake: Lake, workers: int
) -> Iterator[dict[date, Future[PartitionReport]]]:
    """Start ingesting ``days`` of ``source`` in worker processes when it pays; yields the futures
    of the days started (``result()`` is the ``PartitionReport``, or raises what
    ``ingest_partition`` raised). Days not in it (nothing to parse, or not worth a worker) are
    for the caller to ingest in its own process. Leaving the block waits for started work and
    cancels what has not started."""
    # cheapest first: no pool possible, then the landing files' sizes (all days, changed or not),
    # and only then the fingerprints that tell which days still need parsing
    if (
        workers < 2
        or len(days) < 2
        or (sum(landing_bytes(source=source, day=day, landing_dir=landing_dir) for day in days) < PARALLEL_MIN_BYTES)
    ):
        yield {}
        return
    pending = {day: pending_bytes(source=source, day=day, landing_dir=landing_dir, lake=lake) for day in days}
    todo = [day for day in days if pending[day]]
    if len(todo) < 2 or sum(pending[day] for day in todo) < PARALLEL_MIN_BYTES:
        yield {}
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
        futures = {day: pool.submit(_ingest, source, day, landing_dir, lake.root) for day in todo}
        try:
            yield futures
        finally:
            for future in futures.values():
                future.cancel()


def _ingest(source: str, day: date, landing_dir: Path, lake_root: Path) -> PartitionReport:
    """In a worker process."""
    return ingest_partition(source=source, day=day, landing_dir=landing_dir, lake=Lake(lake_root))
