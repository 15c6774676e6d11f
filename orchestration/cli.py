"""The ``adwh`` command line (every sub-command; docs: README.md "The command line").

adwh demo [--days N] [--scale N]            sample exports -> full pipeline -> headline marts
adwh generate --out DIR --start D --end D [--scale N] [--seed S] [--sources a,b] [--workers N]
adwh run --start D --end D                  materialise every asset for those report dates
adwh pull [--source S] --start D --end D    pull the platforms' exports into landing/, no ingest
adwh query "SQL" [--format table|csv]       read-only SQL on the analyst snapshot
adwh report [--out PATH]                    the offline HTML report from the analyst snapshot
adwh bench [--tier tiny|small|medium] [--out DIR] [--docs PATH]
                                            the performance benchmark -> bench-report.json + benchmarks.md
adwh benchmark [--journeys N] [--channels N] [--seed S] [--out PATH]
                                            its attribution part alone: data-driven attribution speed and memory
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from orchestration import run_events
from orchestration.settings import REPO_ROOT, Settings, SettingsError
from orchestration.warehouse.run_lock import release_dead_runs, warehouse_run_lock

DEMO_START = date(2024, 1, 1)
DEMO_DAYS = 90


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _sources(text: str) -> tuple[str, ...]:
    """``--sources a,b``: validated against the registry like ADWH_SOURCES (blank = every source)."""
    from orchestration.settings import parse_sources

    try:
        return parse_sources(text)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("ADWH_SOURCES", "--sources")) from None


# ----------------------------------------------------------------------------- dagster
@contextmanager
def dagster_instance(settings: Settings) -> Iterator[object]:
    """The persistent Dagster instance runs are recorded in (and whose pools serialise
    warehouse writers across processes): $DAGSTER_HOME, by default ``<data>/dagster_home``
    seeded with the repo's dagster.yaml. On SQLite its event log is the pooled one of
    ``orchestration/instance_storage.py``."""
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home_path = settings.data_dir / "dagster_home"
        home_path.mkdir(parents=True, exist_ok=True)
        config = home_path / "dagster.yaml"
        if not config.exists():
            shutil.copyfile(REPO_ROOT / "dagster.yaml", config)
        os.environ["DAGSTER_HOME"] = str(home_path)
    from dagster._core.instance.ref import InstanceRef

    from orchestration.instance_storage import pooled_instance_ref

    # Dagster's SQLite event log with engines kept open (orchestration/instance_storage.py);
    # an instance on PostgreSQL is opened as configured
    instance = dg.DagsterInstance.from_ref(pooled_instance_ref(InstanceRef.from_dir(os.environ["DAGSTER_HOME"])))
    try:
        yield instance
    finally:
        instance.dispose()


def run_pipeline(
    settings: Settings,
    start: date,
    end: date,
    *,
    quiet: bool = False,
    log_level: str | None = None,
    summary_out: TextIO | None = None,
) -> bool:
    """Materialise every asset for report dates start..end (inclusive), in-process.

    Runs on one warehouse are serialised by ``warehouse_run_lock``. On a terminal the steps show
    progress bars (``orchestration/progress.py``) and Dagster's console log is WARNING; elsewhere
    the log is line-oriented at INFO. The run ends with one summary on ``summary_out`` (stdout)
    unless ``quiet``."""
    if end < start:
        raise CliError(f"--end {end} is before --start {start}")
    if start < settings.start_date:
        raise CliError(f"--start {start} is before the first partition {settings.start_date} (set ADWH_START_DATE)")
    with warehouse_run_lock(settings):
        run_events.reached("run-locked")
        return _run_pipeline_locked(
            settings, start, end, quiet=quiet, log_level=log_level, summary_out=summary_out or sys.stdout
        )


def _run_pipeline_locked(
    settings: Settings, start: date, end: date, *, quiet: bool, log_level: str | None, summary_out: TextIO
) -> bool:
    from orchestration.definitions import ALL_ASSETS_JOB, build_definitions
    from orchestration.defs.dbt import dbt_assets_for
    from orchestration.progress import RunProgress, check_counts
    from orchestration.security import redact

    defs = build_definitions(settings)
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    days = (end - start).days + 1
    dbt_assets = dbt_assets_for(settings)  # built (and cached) by build_definitions above
    progress = RunProgress(
        dict.fromkeys(settings.sources, days),
        total_dbt_nodes=len(dbt_assets.keys) + len(dbt_assets.check_keys),
    )
    if log_level is None:
        log_level = "WARNING" if progress.live else "INFO"
    tags = {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
        "adwh/trigger": "cli",
        "adwh/pid": str(os.getpid()),
        "adwh/host": socket.gethostname(),
    }
    unsubscribe = run_events.subscribe(progress)
    try:
        with dagster_instance(settings) as instance, progress:
            for run_id in release_dead_runs(instance):
                print(f"adwh: run {run_id} had died (killed?); marked failed and its pool slots freed", file=sys.stderr)
            result = job.execute_in_process(
                instance=instance,
                tags=tags,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
    finally:
        unsubscribe()
    if not quiet:
        print("\n".join(progress.summary(check_counts(result.all_events), ok=result.success)), file=summary_out)
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.event_specific_data is not None:
                error = getattr(event.event_specific_data, "error", None)
                if error is not None:
                    print(f"FAILED {event.step_key}: {redact(error.message.strip())}", file=sys.stderr)
        return False
    if not quiet:
        print(f"run {result.run_id} succeeded for report dates {start} .. {end}", file=summary_out)
    return True


# ----------------------------------------------------------------------------- query
def query(settings: Settings, sql: str, fmt: str = "table") -> str:
    if settings.dbt_target == "spark":
        from orchestration.warehouse.spark import QueryError, spark_query

        try:
            frame = spark_query(sql, env={**os.environ, **settings.dbt_env()})
        except QueryError as exc:
            raise CliError(str(exc)) from None
        if fmt == "csv":
            return frame.to_csv(index=False)
        return frame.to_string(index=False) if len(frame) else "(no rows)"

    import duckdb

    from orchestration.warehouse.snapshot import connect_read_only

    try:
        con = connect_read_only(settings.analyst_db)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    try:
        relation = con.sql(sql)
        if relation is None:
            return ""
        frame = relation.df()
    except duckdb.Error as exc:
        message = str(exc)
        if "read-only" in message or "read only" in message:
            raise CliError(
                "the analyst snapshot is read-only: adwh query runs SELECTs only "
                f"(the warehouse is changed by runs, never by queries). DuckDB said: {message}"
            ) from None
        raise CliError(f"query failed: {message}") from None
    finally:
        con.close()
    if fmt == "csv":
        return frame.to_csv(index=False)
    return frame.to_string(index=False) if len(frame) else "(no rows)"


# ----------------------------------------------------------------------------- demo
HEADLINES = {
    "CTR, clicks and spend by platform and channel": """
        select platform, channel,
               cast(sum(impressions) as bigint) as impressions,
               cast(sum(clicks) as bigint) as clicks,
               round(sum(clicks) / nullif(sum(impressions), 0) * 100, 3) as ctr_pct,
               round(sum(spend_reporting), 2) as spend_reporting,
               any_value(reporting_currency) as currency
        from marts.fct_ad_performance_daily
        group by platform, channel
        order by platform, channel""",
    "Top campaigns by spend (mart_campaign_performance_daily)": """
        select platform, campaign_name,
               cast(sum(impressions) as bigint) as impressions, cast(sum(clicks) as bigint) as clicks,
               round(sum(clicks) / nullif(sum(impressions), 0) * 100, 3) as ctr_pct,
               round(sum(spend_reporting), 2) as spend_reporting,
               round(sum(spend_reporting) / nullif(sum(clicks), 0), 2) as cpc
        from marts.mart_campaign_performance_daily
        group by platform, campaign_name
        order by spend_reporting desc nulls last, clicks desc
        limit 10""",
    "Video: view rate by platform, each with its own definition of a view (never compare them unlabelled)": """
        select platform,
               cast(sum(impressions) as bigint) as impressions,
               cast(sum(video_views) as bigint) as video_views,
               round(sum(video_views) / nullif(sum(impressions), 0) * 100, 2) as view_rate_pct,
               round(sum(spend_reporting) / nullif(sum(video_views), 0), 4) as cost_per_view,
               round(sum(video_completions) / nullif(sum(impressions) filter (where video_completions is not null), 0)
                     * 100, 2) as completion_rate_pct,
               any_value(video_view_definition) as view_definition
        from marts.mart_video_performance_daily
        group by platform
        order by platform""",
    "View-through vs click-through conversions by platform (default windows; Klaviyo does not split)": """
        select platform,
               round(sum(case when touch_type = 'click_through' then conversions end), 1) as click_through,
               round(sum(case when touch_type = 'view_through' then conversions end), 1) as view_through,
               round(sum(case when touch_type = 'unsplit' then conversions end), 1) as unsplit,
               string_agg(distinct attribution_window, ', ' order by attribution_window) as windows
        from marts.mart_conversions_by_touch_type
        where is_default_window
        group by platform
        order by platform""",
    "Attribution models side by side: attributed conversions by channel (each column sums to the same total)": """
        select channel,
               round(sum(attributed_conversions) filter (where model = 'first_touch'), 1) as first_touch,
               round(sum(attributed_conversions) filter (where model = 'last_touch'), 1) as last_touch,
               round(sum(attributed_conversions) filter (where model = 'last_non_direct'), 1) as last_non_direct,
               round(sum(attributed_conversions) filter (where model = 'linear'), 1) as linear,
               round(sum(attributed_conversions) filter (where model = 'position_based'), 1) as position_based,
               round(sum(attributed_conversions) filter (where model = 'time_decay'), 1) as time_decay,
               round(sum(attributed_conversions) filter (where model = 'markov'), 1) as markov,
               round(sum(attributed_conversions) filter (where model = 'shapley'), 1) as shapley
        from marts.mart_attribution
        group by channel
        order by channel""",
    "Platform claims vs de-duplicated first-party conversions (GA4, last non-direct)": """
        select platform,
               round(sum(claimed_conversions_total), 1) as claimed,
               round(sum(first_party_conversions), 1) as first_party,
               round(sum(claimed_conversions_total) / nullif(sum(first_party_conversions), 0), 2) as over_claim_ratio
        from marts.mart_platform_claims_reconciliation
        group by platform
        order by platform""",
}


# Spark SQL spellings of the headline queries that use DuckDB-only syntax
HEADLINES_SPARK = {
    "View-through vs click-through conversions by platform (default windows; Klaviyo does not split)": """
        select platform,
               round(sum(case when touch_type = 'click_through' then conversions end), 1) as click_through,
               round(sum(case when touch_type = 'view_through' then conversions end), 1) as view_through,
               round(sum(case when touch_type = 'unsplit' then conversions end), 1) as unsplit,
               array_join(array_sort(collect_set(attribution_window)), ', ') as windows
        from marts.mart_conversions_by_touch_type
        where is_default_window
        group by platform
        order by platform""",
}


def demo(settings: Settings, *, days: int = DEMO_DAYS, scale: int = 1) -> int:
    from orchestration.sample.generate import generate

    # the demo reads sample exports only: it never calls a platform API, whatever credentials are set
    os.environ["ADWH_PULL_SOURCES"] = "none"
    start = max(DEMO_START, settings.start_date)
    end = start + timedelta(days=days - 1)
    print(f"adwh demo: writing {days} days of sample native exports ({start} .. {end}) to {settings.landing_dir}")
    generate(settings.landing_dir, start, end, scale=scale, sources=settings.sources)
    log_path = settings.data_dir / "logs" / "demo-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"running the pipeline (ingest -> dbt build -> publish) in-process through Dagster; dbt's log: {log_path}")
    terminal = sys.stdout
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        ok = run_pipeline(settings, start, end, log_level="WARNING", summary_out=terminal)
    if not ok:
        tail = log_path.read_text().splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        print(f"adwh demo: the run failed (see above and {log_path})", file=sys.stderr)
        return 1
    if settings.dbt_target == "spark":
        print(
            f"\nSpark warehouse (the marts, published as the metastore's tables): {settings.spark_dir / 'warehouse'}\n"
        )
    else:
        print(f"\nwarehouse: {settings.warehouse}\nanalyst snapshot: {settings.analyst_db}\n")
    for title, sql in HEADLINES.items():
        if settings.dbt_target == "spark":
            sql = HEADLINES_SPARK.get(title, sql)
        print(f"== {title}")
        print(query(settings, sql))
        print()
    print(
        'query the marts yourself: .venv/bin/adwh query "select * from marts.mart_campaign_performance_daily limit 5"'
    )
    return 0


# ----------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adwh", description="adwh: marketing data warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    p_demo = sub.add_parser("demo", help="sample exports -> full pipeline -> headline marts")
    p_demo.add_argument("--days", type=int, default=DEMO_DAYS, help=f"days of sample data (default {DEMO_DAYS})")
    p_demo.add_argument("--scale", type=int, default=1)
    p_demo.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default=None,
        help="warehouse engine (default: ADWH_DBT_TARGET, else duckdb); spark needs `make venv-spark` and Java",
    )

    p_gen = sub.add_parser("generate", help="write deterministic sample exports in the native formats")
    p_gen.add_argument("--out", type=Path, required=True)
    p_gen.add_argument("--start", type=_date, required=True)
    p_gen.add_argument("--end", type=_date, required=True)
    p_gen.add_argument("--scale", type=int, default=1)
    p_gen.add_argument("--seed", type=int, default=7)
    p_gen.add_argument(
        "--sources",
        type=_sources,
        default=_sources(""),
        help="comma-separated sources to write (default: every source of the registry)",
    )
    p_gen.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes generating days in parallel (default 1); the files are the same for any N",
    )

    p_run = sub.add_parser("run", help="materialise every asset for report dates START..END (inclusive)")
    p_run.add_argument("--start", type=_date, required=True)
    p_run.add_argument("--end", type=_date, required=True)

    from orchestration.bench.tiers import TIERS

    p_perf = sub.add_parser(
        "bench",
        help="generate scale data, measure backfill, nightly runs, full rebuild, the DuckDB floor and attribution",
    )
    p_perf.add_argument("--tier", choices=tuple(TIERS), default="tiny", help="data size (orchestration/bench/tiers.py)")
    p_perf.add_argument("--out", type=Path, default=None, help="output folder; default <data dir>/bench/<tier>")
    p_perf.add_argument(
        "--docs", type=Path, default=None, help="also write the Markdown report here (docs/benchmarks.md)"
    )
    p_perf.add_argument(
        "--resume", action="store_true", help="reuse the histories already measured in --out (same tier)"
    )

    p_bench = sub.add_parser(
        "benchmark",
        help="measure the data-driven attribution (SQL aggregation + exact Markov/Shapley) and write a report",
    )
    p_bench.add_argument("--journeys", type=int, default=1_000_000)
    p_bench.add_argument("--channels", type=int, default=9)
    p_bench.add_argument("--seed", type=int, default=1)
    p_bench.add_argument(
        "--out", type=Path, default=None, help="report path (.md or .json); default data/benchmark/attribution.md"
    )

    p_query = sub.add_parser("query", help="read-only SQL on the analyst snapshot")
    p_query.add_argument("sql")
    p_query.add_argument("--format", choices=("table", "csv"), default="table")

    from orchestration.pull import cli as pull_cli

    pull_cli.add_parser(sub)
    from orchestration.report import cli as report_cli

    report_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("run", "demo", "pull"):
        from orchestration.security import install_log_redaction

        install_log_redaction()
        run_events.install_from_env()
    if args.command == "demo" and args.engine:
        os.environ["ADWH_DBT_TARGET"] = args.engine  # read by Settings and the Dagster definitions
    try:
        settings = Settings.from_env()
        if args.command == "demo":
            return demo(settings, days=args.days, scale=args.scale)
        if args.command == "generate":
            from orchestration.sample.generate import generate

            if args.end < args.start:
                raise CliError(f"--end {args.end} is before --start {args.start}")
            if args.workers < 1:
                raise CliError(f"--workers must be >= 1, got {args.workers}")
            summary = generate(
                args.out,
                args.start,
                args.end,
                scale=args.scale,
                seed=args.seed,
                sources=args.sources,
                workers=args.workers,
            )
            per_source = ", ".join(f"{source} {count}" for source, count in summary.records.items())
            print(
                f"wrote {len(summary.files)} files for {summary.days} days to {summary.out_dir} (records: {per_source})"
            )
            return 0
        if args.command == "run":
            return 0 if run_pipeline(settings, args.start, args.end) else 1
        if args.command == "pull":
            from orchestration.pull import cli as pull_cli

            return pull_cli.run(args, settings)
        if args.command == "report":
            from orchestration.report import cli as report_cli

            return report_cli.run(args, settings)
        if args.command == "query":
            print(query(settings, args.sql, args.format), end="" if args.format == "csv" else "\n")
            return 0
        if args.command == "bench":
            from orchestration.bench.run import run_bench

            out = args.out or settings.data_dir / "bench" / args.tier
            command = "adwh " + " ".join(sys.argv[1:] if argv is None else argv)
            try:
                report = run_bench(args.tier, out, docs=args.docs, resume=args.resume, command=command)
            except RuntimeError as exc:  # a measured step failed: its command and log tail
                print(f"adwh bench: {exc}", file=sys.stderr)
                return 1
            met = sum(1 for t in report["targets"] if t["met"])
            print(f"adwh bench --tier {args.tier}: {met} of {len(report['targets'])} targets met; report: {out}")
            return 0
        if args.command == "benchmark":
            from orchestration.bench.attribution import run_benchmark, to_markdown

            out = args.out or settings.data_dir / "benchmark" / "attribution.md"
            out.parent.mkdir(parents=True, exist_ok=True)
            report = run_benchmark(args.journeys, args.channels, args.seed, out=out)
            print(to_markdown(report))
            print(f"report written to {out}")
            return 0
    except (CliError, SettingsError) as exc:
        print(f"adwh: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
