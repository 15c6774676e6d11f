"""The job that materialises everything, and the nightly schedule: 02:00 in
ADWH_SCHEDULE_TIMEZONE, re-processing the trailing restatement window (platforms restate
recent days; a restated day replaces the old one).

The window is per source (``ADWH_RESTATEMENT_DAYS_<SOURCE>``, else ``ADWH_RESTATEMENT_DAYS``):
the run covers the longest one, and each pull asset re-pulls only its own source's window
(tag ``adwh/nightly_date``); ingest skips unchanged partitions of the other dates."""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg

from orchestration.settings import Settings, current_settings
from orchestration.warehouse.dbt_args import restatement_window

NIGHTLY_CRON = "0 2 * * *"
ALL_ASSETS_JOB = "adwh_all"
NIGHTLY_DATE_TAG = "adwh/nightly_date"  # the night's date: pull assets derive their own window from it


def nightly_window_days(settings: Settings) -> int:
    """The longest restatement window of the enabled sources (the nightly run's range)."""
    return max([settings.restatement_days, *(settings.restatement_days_for(s) for s in settings.sources)])


def nightly_run_request(settings: Settings, today: date) -> dg.RunRequest | dg.SkipReason:
    start, end = restatement_window(today, nightly_window_days(settings))
    start = max(start, settings.start_date)
    if end < start:
        return dg.SkipReason(f"no report dates between {settings.start_date} and {end}")
    return dg.RunRequest(
        run_key=f"nightly-{today.isoformat()}",
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
            "adwh/trigger": "nightly",
            NIGHTLY_DATE_TAG: today.isoformat(),
        },
    )


def build_nightly_schedule(settings: Settings, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly",
        job=job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=settings.schedule_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Every night at 02:00 ({settings.schedule_timezone}): pull (sources with credentials), ingest and "
            f"rebuild the last {nightly_window_days(settings)} report dates (the longest restatement window; each "
            "source re-pulls its own, ADWH_RESTATEMENT_DAYS_<SOURCE>)."
        ),
    )
    def nightly(context: dg.ScheduleEvaluationContext):
        scheduled = context.scheduled_execution_time or datetime.now()
        return nightly_run_request(settings, scheduled.date())

    return nightly


@dg.definitions
def defs() -> dg.Definitions:
    settings = current_settings()
    job = dg.define_asset_job(
        ALL_ASSETS_JOB,
        selection=dg.AssetSelection.all(),
        description="Ingest every enabled source, build the dbt models and tests, publish the analyst snapshot.",
    )
    return dg.Definitions(jobs=[job], schedules=[build_nightly_schedule(settings, job)])
