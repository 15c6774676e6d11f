"""``adwh bench``: generate scale data in the native shapes, then measure the pipeline on it.

For a tier (``orchestration/bench/tiers.py``) and each history length H (short, long) it builds a
warehouse of its own under ``<out>/work/h<H>/`` and measures, each step as a separate
``adwh run`` process (so dbt's and Dagster's start-up count, as they do every night):

1. the backfill of the H history days (wall, peak RSS of the process tree, rows/s per source);
2. the nightly run: one new day + the ``window_days`` restatement window, with unchanged inputs
   (the new day is new only the first time) and with restated inputs (every window day of the
   restating platforms re-exported), broken down by phase from Dagster's step events (ingest per
   source, dbt, publish) and dbt's run_results.json (seconds per model, tests = checks);
3. at the long history: a full rebuild (``dbt build --full-refresh``) of every model, the
   DuckDB-SQL floor on the same landing files (``floor.py``; its rows are compared with the
   fact), and the attribution benchmark (``attribution.py``; ChannelAttribution beside it when
   the optional ``bench`` extra is installed).

Everything goes into ``<out>/bench-report.json`` and ``<out>/benchmarks.md`` (``report.py``).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.bench import floor as floor_mod
from orchestration.bench.measure import check, dbt_timings, latest_run_phases, run_measured, run_results_of
from orchestration.bench.tiers import START, TIERS, Tier
from orchestration.ingestion.pipeline import landing_bytes
from orchestration.registry import ALL_SOURCES
from orchestration.registry import get as get_source
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings
from orchestration.warehouse.dbt_args import dbt_build_args, source_vars, window_vars

Log = Callable[[str], None]


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] adwh bench: {message}", file=sys.stderr, flush=True)


class Workspace:
    """One benchmark warehouse: landing, lake, warehouse and Dagster instance of its own."""

    def __init__(self, root: Path, tier: Tier, history_days: int) -> None:
        self.root = root
        self.tier = tier
        self.history_days = history_days
        self.landing = root / "landing"
        self.data = root / "data"
        self.logs = root / "logs"
        self.first_day = START
        self.last_history_day = START + timedelta(days=history_days - 1)
        self.new_day = START + timedelta(days=history_days)
        self.window_start = max(START, self.new_day - timedelta(days=tier.window_days))
        self._runs = 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DAGSTER_"))}
        env.update(
            {
                "ADWH_DATA_DIR": str(self.data),
                "ADWH_LANDING_DIR": str(self.landing),
                "ADWH_START_DATE": START.isoformat(),
                "ADWH_RESTATEMENT_DAYS": str(self.tier.window_days),
                "ADWH_PULL_SOURCES": "none",
                "ADWH_REPORTING_CURRENCY": "USD",
                # one process per ingest step: the report's ingestion figure is per core (bytes /
                # step seconds); production parses big backfills in parallel (decision 40)
                "ADWH_INGEST_WORKERS": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    def run(self, start: date, end: date, label: str) -> dict:
        """``adwh run --start --end`` as a process of its own: wall, peak RSS, phases."""
        self._runs += 1
        command = [
            sys.executable,
            "-m",
            "orchestration.cli",
            "run",
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
        ]
        measured = check(run_measured(command, env=self.env(), log=self.logs / f"{self._runs:02d}-{label}.log"))
        phases = latest_run_phases(self.data / "dagster_home")
        run_results = run_results_of(self.settings().dbt_runs_dir, phases.run_id)
        dbt = dbt_timings(run_results) if run_results else None
        return _phases(measured.wall_seconds, measured.peak_rss_bytes, phases, dbt, start, end)


def _phases(wall: float, peak: int, phases, dbt: dict | None, start: date, end: date) -> dict:
    steps = phases.steps
    ingest = {k.removeprefix("ingest_"): v for k, v in steps.items() if k.startswith("ingest_")}
    dbt_step = sum(v for k, v in steps.items() if "dbt" in k)
    publish = sum(v for k, v in steps.items() if "snapshot" in k or "publish" in k)
    result = {
        "report_dates": [start.isoformat(), end.isoformat()],
        "wall_seconds": round(wall, 3),
        "peak_rss_bytes": peak,
        "run_id": phases.run_id,
        "dagster_run_seconds": phases.run_seconds,
        "startup_and_run_creation_seconds": round(wall - phases.run_seconds, 3),
        "phases": {
            "ingest_per_source": ingest,
            "ingest_seconds": round(sum(ingest.values()), 3),
            "dbt_step_seconds": round(dbt_step, 3),
            "publish_seconds": round(publish, 3),
        },
        "steps": steps,
    }
    if dbt is not None:
        result["phases"]["dbt_models_seconds"] = dbt["models_seconds"]
        result["phases"]["checks_seconds"] = dbt["tests_seconds"]
        result["phases"]["dbt_overhead_seconds"] = round(dbt_step - dbt["elapsed_seconds"], 3)
        result["dbt"] = dbt
    return result


def _median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (each timed run is kept in ``runs``)."""
    ordered = sorted(runs, key=lambda r: r["wall_seconds"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["median_wall_seconds"] = round(statistics.median(r["wall_seconds"] for r in runs), 3)
    median["repeats"] = [r["wall_seconds"] for r in runs]
    return median


def _count_lake(lake: Path, sources: tuple[str, ...]) -> dict[str, dict]:
    """Rows per source and table in the lake (raw) and quarantined rows, read back with DuckDB."""
    counts: dict[str, dict] = {}
    con = duckdb.connect(":memory:")
    try:
        for source in sources:
            tables: dict[str, int] = {}
            for path in sorted((lake / "raw" / source).glob("report_date=*/*.parquet")):
                tables.setdefault(path.stem, 0)
            for table in tables:
                pattern = (lake / "raw" / source / "report_date=*" / f"{table}.parquet").as_posix()
                (tables[table],) = con.execute(f"select count(*) from read_parquet('{pattern}')").fetchone()
            quarantine = lake / "quarantine" / source
            q_pattern = (quarantine / "report_date=*" / "rejects.parquet").as_posix()
            rejects = 0
            if any(quarantine.glob("report_date=*/rejects.parquet")):
                (rejects,) = con.execute(f"select count(*) from read_parquet('{q_pattern}')").fetchone()
            counts[source] = {"tables": tables, "quarantined": int(rejects)}
    finally:
        con.close()
    return counts


def _landing_bytes(landing: Path, source: str, first: date, last: date) -> int:
    """Bytes the parser reads from the landing files of ``first`` .. ``last`` (uncompressed)."""
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return sum(landing_bytes(source=source, day=day, landing_dir=landing) for day in days)


def full_rebuild(ws: Workspace) -> dict:
    """``dbt build --full-refresh`` of every model and test over the whole history (dbt alone)."""
    settings = ws.settings()
    target = ws.root / "dbt-target-full-refresh"
    args = dbt_build_args(window_vars(START, ws.new_day + timedelta(days=1)), extra_vars=source_vars(settings.sources))
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        os.fspath(dbt),
        *args,
        "--full-refresh",
        "--project-dir",
        os.fspath(DBT_PROJECT_DIR),
        "--profiles-dir",
        os.fspath(REPO_ROOT),
        "--target",
        settings.dbt_target,
        "--target-path",
        os.fspath(target),
    ]
    env = {**ws.env(), **settings.dbt_env()}
    measured = check(run_measured(command, env=env, log=ws.logs / "full-refresh.log", cwd=DBT_PROJECT_DIR))
    timings = dbt_timings(target / "run_results.json")
    return {
        "wall_seconds": round(measured.wall_seconds, 3),
        "peak_rss_bytes": measured.peak_rss_bytes,
        "dbt_elapsed_seconds": timings["elapsed_seconds"],
        "models_seconds": timings["models_seconds"],
        "checks_seconds": timings["tests_seconds"],
        "dbt": timings,
    }


def bench_history(ws: Workspace, log: Log, *, long: bool) -> dict:
    """Generate, backfill and time the nightly runs of one warehouse."""
    from orchestration.sample.generate import RESTATED_SOURCES, generate, restate

    tier = ws.tier
    log(f"h{ws.history_days}: generating {ws.history_days + 1} days at scale {tier.scale} into {ws.landing}")
    started = time.perf_counter()
    # on every core: generation is not a measurement (its seconds are only reported), and the
    # files are the same as generated on one
    generate_workers = os.cpu_count() or 1
    summary = generate(ws.landing, START, ws.new_day, scale=tier.scale, workers=generate_workers)
    generate_seconds = time.perf_counter() - started
    settings = ws.settings()

    log(f"h{ws.history_days}: backfill {START} .. {ws.last_history_day}")
    backfill = ws.run(START, ws.last_history_day, "backfill")
    lake_after_backfill = _count_lake(settings.lake_dir, settings.sources)
    per_source = {}
    for source in settings.sources:
        # records = rows of the parser's primary table (child tables such as GA4's event_params
        # hold parts of a record) + quarantined records
        primary = get_source(source).parser().PRIMARY_TABLE
        rows = lake_after_backfill[source]["tables"].get(primary, 0) + lake_after_backfill[source]["quarantined"]
        seconds = backfill["phases"]["ingest_per_source"].get(source)
        size = _landing_bytes(ws.landing, source, START, ws.last_history_day)
        per_source[source] = {
            "rows": rows,
            "primary_table": primary,
            "input_bytes": size,
            "ingest_seconds": seconds,
            "rows_per_second_ingest": round(rows / seconds, 1) if seconds else None,
            "mb_per_second_ingest": round(size / 1e6 / seconds, 2) if seconds else None,
            "rows_per_second_backfill_wall": round(rows / backfill["wall_seconds"], 1),
        }
    backfill["per_source"] = per_source

    nightly_unchanged, nightly_restated = [], []
    for repeat in range(tier.repeats):
        label = f"nightly-unchanged-{repeat + 1}"
        log(f"h{ws.history_days}: {label} {ws.window_start} .. {ws.new_day}")
        nightly_unchanged.append(ws.run(ws.window_start, ws.new_day, label))
    for repeat in range(tier.repeats):
        # Alternate final and as-exported versions, so every timed run sees every window day of
        # the restating platforms changed (restate() is idempotent: twice the same is no change).
        day = ws.window_start
        while day <= ws.new_day:
            if repeat % 2 == 0:
                restate(ws.landing, day, scale=tier.scale, sources=RESTATED_SOURCES)
            day += timedelta(days=1)
        if repeat % 2 == 1:
            generate(
                ws.landing,
                ws.window_start,
                ws.new_day,
                scale=tier.scale,
                sources=RESTATED_SOURCES,
                workers=generate_workers,
            )
        label = f"nightly-restated-{repeat + 1}"
        log(f"h{ws.history_days}: {label} {ws.window_start} .. {ws.new_day}")
        nightly_restated.append(ws.run(ws.window_start, ws.new_day, label))

    result: dict = {
        "history_days": ws.history_days,
        "report_dates": [START.isoformat(), ws.new_day.isoformat()],
        "generate_seconds": round(generate_seconds, 3),
        "generated_records": summary.records,
        "generated_files": len(summary.files),
        "backfill": backfill,
        "nightly_unchanged": _median_run(nightly_unchanged),
        "nightly_restated": _median_run(nightly_restated),
        "lake": _count_lake(settings.lake_dir, settings.sources),
    }
    if long:
        log(f"h{ws.history_days}: full rebuild (dbt build --full-refresh)")
        result["full_rebuild"] = full_rebuild(ws)
        log(f"h{ws.history_days}: the DuckDB-SQL floor (Google Ads)")
        floor = floor_mod.run_floor(ws.landing, ws.root / "floor" / "fct_google_ads.parquet")
        floor["comparison"] = floor_mod.compare_with_fact(
            ws.root / "floor" / "fct_google_ads.parquet", settings.warehouse
        )
        result["floor"] = floor
        result["warehouse"] = str(settings.warehouse)
    result["landing"] = str(ws.landing)
    return result


def environment() -> dict:
    import importlib.metadata as md

    import psutil

    versions = {}
    for name in (
        "dagster",
        "dagster-dbt",
        "dbt-core",
        "dbt-duckdb",
        "duckdb",
        "pyarrow",
        "psutil",
        "matplotlib",
        "ChannelAttribution",
    ):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpus": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


def _same_measurement(saved: dict | None, tier: Tier) -> bool:
    """Whether a saved history was measured as ``tier`` would measure it (the fields a history's
    numbers depend on; the other history's length and the journeys do not matter)."""
    keys = ("scale", "window_days", "repeats")
    return saved is not None and all(saved.get(key) == getattr(tier, key) for key in keys)


def run_bench(
    tier_name: str,
    out: Path,
    *,
    docs: Path | None = None,
    resume: bool = False,
    log: Log = _log,
    command: str | None = None,
) -> dict:
    """Run the whole benchmark of ``tier_name`` into ``out`` (and the page to ``docs``); return the report.

    Each history's measurements are saved in ``<out>/work/h<H>/result.json`` as soon as they are
    complete; ``resume`` reuses them (same scale, window and repeats) instead of measuring that
    history again.
    Without it an existing workspace is removed first."""
    from orchestration.bench import attribution as attribution_mod
    from orchestration.bench import report as report_mod

    tier = TIERS[tier_name]
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict = {
        "tier": tier.as_dict(),
        "command": command or f"adwh bench --tier {tier_name} --out {out}",
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": environment(),
        "sources": list(ALL_SOURCES),
    }
    histories = {}
    for history, long in ((tier.short_days, False), (tier.long_days, True)):
        ws = Workspace(out / "work" / f"h{history}", tier, history)
        saved = ws.root / "result.json"
        if resume and saved.exists() and _same_measurement(json.loads(saved.read_text()).get("tier"), tier):
            log(f"h{history}: reusing the measurements of {saved} (--resume)")
            histories[str(history)] = json.loads(saved.read_text())["result"]
            report.setdefault("resumed_histories", []).append(str(history))
            continue
        if ws.root.exists():  # a fresh measurement starts from nothing (no lake, warehouse or runs)
            shutil.rmtree(ws.root)
        histories[str(history)] = bench_history(ws, log, long=long)
        saved.write_text(json.dumps({"tier": tier.as_dict(), "result": histories[str(history)]}, default=str))
    report["histories"] = histories
    log(f"attribution: {tier.journeys:,} journeys")
    report["attribution"] = attribution_mod.compare_with_channel_attribution(tier.journeys)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    report["targets"] = report_mod.targets(report)
    report_mod.write(report, out, docs=docs)
    return report
