"""Ingest assets: one multi-asset per source, daily partitioned (thin: logic in orchestration.ingestion.pipeline)."""

from datetime import date

import dagster as dg

from orchestration import run_events
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.pull import pull_asset_key, pulled_sources
from orchestration.ingestion import quality
from orchestration.ingestion.lake import REJECTS, Lake
from orchestration.ingestion.parallel import ingest_workers, parallel_ingest
from orchestration.ingestion.pipeline import (
    LIFETIME_SOURCES,
    IngestError,
    PartitionReport,
    ingest_partition,
    source_module,
)
from orchestration.security import redact
from orchestration.settings import Settings, SettingsError, current_settings

ROWS_CHECK = "rows_accounted_for"
LANDING_CHECK = "landing_export_present"
COUNTERS_CHECK = "lifetime_counters_monotonic"
QUARANTINE_CHECK = "quarantine_rate"


def raw_asset_key(source: str, table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source, table])


def quarantine_asset_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["quarantine", source, REJECTS])


def build_ingest_asset(source: str, settings: Settings, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    module = source_module(source)
    primary = raw_asset_key(source, module.PRIMARY_TABLE)
    specs = [
        dg.AssetSpec(
            raw_asset_key(source, table),
            group_name="ingest",
            kinds={"parquet"},
            description=(
                f"{source} `{table}` rows parsed from the native exports in "
                f"`landing/{source}/<date>/` ({', '.join(module.FILE_PATTERNS)}), written to "
                f"`lake/raw/{source}/report_date=<date>/{table}.parquet`. See docs/raw_layer.md."
            ),
        )
        for table in module.SCHEMAS
    ]
    specs.append(
        dg.AssetSpec(
            quarantine_asset_key(source),
            group_name="ingest",
            kinds={"parquet"},
            description=f"Rejected {source} records with source_file, record_number, reject_reason, raw_record.",
        )
    )
    if source in pulled_sources(settings):  # its pull asset writes the landing folder this reads
        specs = [spec.replace_attributes(deps=[pull_asset_key(source)]) for spec in specs]
    check_specs = [
        dg.AssetCheckSpec(
            ROWS_CHECK,
            asset=primary,
            description="For every partition: records read = rows loaded + rows quarantined (read back from the published Parquet).",
        ),
        dg.AssetCheckSpec(
            LANDING_CHECK,
            asset=primary,
            description="Every requested report date has a landing folder (a missing one is 'not exported yet').",
        ),
        dg.AssetCheckSpec(
            QUARANTINE_CHECK,
            asset=primary,
            blocking=True,
            description=(
                f"Per partition, quarantined / read (cross-file duplicates not counted): WARN above "
                f"{quality.WARN_RATE_ENV} (default 1 %); above {quality.FAIL_RATE_ENV} (default 20 %, with at "
                f"least {quality.MIN_RECORDS_ENV} records read or none loaded) the partition is not written and "
                "the step fails; a published partition above it (thresholds lowered since) fails this check "
                "with ERROR, which blocks dbt and publish. See orchestration/ingestion/quality.py."
            ),
        ),
    ]
    if source in LIFETIME_SOURCES:
        check_specs.append(
            dg.AssetCheckSpec(
                COUNTERS_CHECK,
                asset=primary,
                description=(
                    "Lifetime counters never go down between consecutive snapshots of a campaign; a decrease "
                    "(a platform correction) is loaded and gives a negative daily difference, named here."
                ),
            )
        )

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        check_specs=check_specs,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=False,
    )
    def _ingest(context: dg.AssetExecutionContext):
        try:
            thresholds = quality.quarantine_thresholds()
            workers = ingest_workers()
        except SettingsError as exc:
            raise dg.Failure(description=f"{source}: {exc}") from None
        lake = Lake(settings.lake_dir)
        for restored in lake.recover():
            context.log.warning(f"restored partition {restored} left by an interrupted write")
        reports: list[PartitionReport] = []
        errors: list[str] = []
        days = [date.fromisoformat(key) for key in context.partition_keys]
        with parallel_ingest(
            source=source, days=days, landing_dir=settings.landing_dir, lake=lake, workers=workers
        ) as started:
            if started:
                context.log.info(
                    f"{source}: {len(started)} partitions parsed in {min(workers, len(started))} processes"
                )
            for day in days:
                key = day.isoformat()
                try:
                    if day in started:
                        report = started[day].result()
                    else:
                        report = ingest_partition(source=source, day=day, landing_dir=settings.landing_dir, lake=lake)
                except IngestError as exc:
                    errors.append(redact(str(exc)))
                    context.log.error(redact(str(exc)))
                    continue
                except Exception as exc:  # a bug or an OS error: still name source, date and cause
                    message = redact(f"{source} {key}: unexpected {type(exc).__name__}: {exc} (partition not changed)")
                    errors.append(message)
                    context.log.exception(message)
                    continue
                reports.append(report)
                run_events.reached(f"ingest:{source}:{key}", report=report)
                context.log.info(
                    f"{source} {key}: {report.status}; read {report.records_read}, loaded {report.rows_loaded}, "
                    f"quarantined {report.rows_quarantined}"
                )
                for note in report.notes:
                    context.log.info(redact(f"{source} {key}: {note}"))
                for warning in report.warnings:
                    context.log.warning(redact(f"{source} {key}: {warning}"))
        missing = [r.report_date for r in reports if r.status == "missing"]
        if errors:
            raise dg.Failure(
                description=f"{len(errors)} {source} partition(s) could not be ingested (the others were written):\n"
                + "\n".join(errors),
                metadata={"errors": dg.MetadataValue.json(errors)},
            )
        if missing and len(missing) == len(reports):
            folder = settings.landing_dir / source
            raise dg.Failure(
                description=f"{source}: no export yet for {', '.join(missing)} (expected folder(s) "
                f"{folder}/<YYYY-MM-DD>/); the partition will be processed when the export lands."
            )
        present = [r for r in reports if r.status != "missing"]
        yield from _results(source, module, lake, present)
        yield _rows_check(source, lake, primary, present)
        yield _quarantine_check(source, primary, present, thresholds)
        yield dg.AssetCheckResult(
            check_name=LANDING_CHECK,
            asset_key=primary,
            passed=not missing,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "missing_dates": dg.MetadataValue.json(missing),
                "source": source,
                "hint": f"exports expected in {settings.landing_dir / source}/<YYYY-MM-DD>/",
            },
            description=f"{source}: no export yet for {', '.join(missing)}" if missing else None,
        )
        if source in LIFETIME_SOURCES:
            decreases = [d for r in present for d in r.counter_decreases]
            yield dg.AssetCheckResult(
                check_name=COUNTERS_CHECK,
                asset_key=primary,
                passed=not decreases,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"decreases": dg.MetadataValue.json(decreases)},
                description=(
                    "; ".join(
                        f"{source} campaign {d['campaign']} {d['field']} {d['previous']} ({d['previous_date']}) -> "
                        f"{d['value']} ({d['report_date']})"
                        for d in decreases[:20]
                    )
                    if decreases
                    else None
                ),
            )

    return _ingest


def _results(source, module, lake: Lake, reports: list[PartitionReport]):
    per_date = "\n".join(
        f"| {r.report_date} | {r.status} | {r.records_read} | {r.rows_loaded} | {r.rows_quarantined} |" for r in reports
    )
    table_md = "| report date | status | read | loaded | quarantined |\n|---|---|---|---|---|\n" + per_date
    files = {r.report_date: {f.name: {"sha256": f.sha256, "bytes": f.bytes} for f in r.files} for r in reports}
    common = {
        "partitions_ingested": sum(r.status == "ingested" for r in reports),
        "partitions_unchanged": sum(r.status == "unchanged" for r in reports),
        "records_read": sum(r.records_read for r in reports),
        "rows_quarantined": sum(r.rows_quarantined for r in reports),
        "partitions": dg.MetadataValue.md(table_md),
        "input_files": dg.MetadataValue.json(files),
    }
    for table in module.SCHEMAS:
        rows = sum(r.table_rows.get(table, 0) for r in reports)
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(source, table),
            metadata={**common, "dagster/row_count": rows, "rows_loaded": rows},
        )
    yield dg.MaterializeResult(
        asset_key=quarantine_asset_key(source),
        metadata={"dagster/row_count": sum(r.rows_quarantined for r in reports)},
    )


def _quarantine_check(
    source: str, primary: dg.AssetKey, reports: list[PartitionReport], thresholds: quality.QuarantineThresholds
) -> dg.AssetCheckResult:
    """WARN above the warn rate; ERROR (blocking) above the fail rate (only reachable for partitions
    published before the thresholds were lowered: ingest_partition refuses to write such a partition)."""
    assessments = [
        quality.assess(
            source=source,
            report_date=r.report_date,
            records_read=r.records_read,
            rows_loaded=r.rows_loaded,
            rows_quarantined=r.rows_quarantined,
            cross_file_duplicates=r.cross_file_duplicates,
            reasons=r.reject_reasons,
            thresholds=thresholds,
        )
        for r in reports
    ]
    failing = [a for a in assessments if a.level == "fail"]
    flagged = failing or [a for a in assessments if a.level == "warn"]
    lines = ["| report date | read | quarantined (counted) | rate | level |", "|---|---|---|---|---|"]
    lines += [f"| {a.report_date} | {a.records_read} | {a.counted} | {a.rate:.2%} | {a.level} |" for a in assessments]
    return dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK,
        asset_key=primary,
        passed=not flagged,
        severity=dg.AssetCheckSeverity.ERROR if failing else dg.AssetCheckSeverity.WARN,
        metadata={
            "warn_rate": thresholds.warn_rate,
            "fail_rate": thresholds.fail_rate,
            "min_records": thresholds.min_records,
            "max_rate": max((a.rate for a in assessments), default=0.0),
            "per_partition": dg.MetadataValue.md("\n".join(lines)),
            "flagged": dg.MetadataValue.json(
                [
                    {"report_date": a.report_date, "rate": a.rate, "level": a.level, "reasons": a.reasons}
                    for a in flagged
                ]
            ),
        },
        description=redact("\n".join(a.message for a in flagged[:20])) if flagged else None,
    )


def _rows_check(source, lake: Lake, primary: dg.AssetKey, reports: list[PartitionReport]) -> dg.AssetCheckResult:
    """Compare what the parser read with what is really in the published files."""
    module = source_module(source)
    mismatches = []
    lines = ["| report date | read | loaded | quarantined | accounted for |", "|---|---|---|---|---|"]
    for r in reports:
        day = date.fromisoformat(r.report_date)
        loaded = lake.row_count(source, day, module.PRIMARY_TABLE)
        quarantined = lake.row_count(source, day, REJECTS)
        ok = r.records_read == loaded + quarantined
        lines.append(f"| {r.report_date} | {r.records_read} | {loaded} | {quarantined} | {'yes' if ok else 'NO'} |")
        if not ok:
            mismatches.append(
                {"report_date": r.report_date, "read": r.records_read, "loaded": loaded, "quarantined": quarantined}
            )
    return dg.AssetCheckResult(
        check_name=ROWS_CHECK,
        asset_key=primary,
        passed=not mismatches,
        metadata={
            "partitions_checked": len(reports),
            "records_read": sum(r.records_read for r in reports),
            "mismatches": dg.MetadataValue.json(mismatches),
            "per_partition": dg.MetadataValue.md("\n".join(lines)),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    settings = current_settings()
    partitions = daily_partitions(settings)
    return dg.Definitions(assets=[build_ingest_asset(source, settings, partitions) for source in settings.sources])
