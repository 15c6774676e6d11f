"""Pull assets: one per API platform whose credentials are set, on the daily partitions,
upstream of its ``ingest_<source>`` asset (thin: the clients are in ``orchestration.pull``).

A source without credentials has no pull asset: its exports are dropped into ``landing/`` by
other means and the graph is as without pulls (``make demo`` stays offline).

In a nightly run (tag ``adwh/nightly_date``) a pull asset re-pulls only its own source's
restatement window (``ADWH_RESTATEMENT_DAYS_<SOURCE>``); the run's range is the longest
window of the enabled sources. The e-mail platforms snapshot "now" (runner docstring).
"""

import os
from datetime import date, timedelta

import dagster as dg

from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import PlatformCredentials
from orchestration.defs.schedules import NIGHTLY_DATE_TAG
from orchestration.pull import configured_sources, platform
from orchestration.pull.http import PullConfigError
from orchestration.pull.runner import pull_source
from orchestration.security import redact
from orchestration.settings import Settings, current_settings

GROUP = "pull"


def pull_asset_key(source: str) -> dg.AssetKey:
    return dg.AssetKey([f"pull_{source}"])


def pulled_sources(settings: Settings, env: dict[str, str] | None = None) -> tuple[str, ...]:
    """The enabled sources whose credentials are set: they get a pull asset."""
    return configured_sources(settings.sources, os.environ if env is None else env)


def build_pull_asset(source: str, settings: Settings, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    module = platform(source)
    label = module.LABEL

    @dg.asset(
        key=pull_asset_key(source),
        group_name=GROUP,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"api", "json"},
        description=(
            f"Pulls the {label} export of each report date from its API into "
            f"`landing/{source}/<date>/` (the native shape the parser reads; written atomically; an "
            "identical re-pull leaves the file untouched). See docs/connect-accounts.md."
        ),
    )
    def _pull(context: dg.AssetExecutionContext, platform_credentials: PlatformCredentials) -> dg.MaterializeResult:
        days = sorted(date.fromisoformat(key) for key in context.partition_keys)
        outside: list[str] = []
        nightly = context.run.tags.get(NIGHTLY_DATE_TAG)
        if nightly:
            window = settings.restatement_days_for(source)
            first = date.fromisoformat(nightly) - timedelta(days=window)
            outside = [d.isoformat() for d in days if d < first]
            days = [d for d in days if d >= first]
            if outside:
                context.log.info(
                    f"{source}: nightly run re-pulls its {window}-day restatement window from {first}; "
                    f"{len(outside)} earlier date(s) of the run are not re-pulled"
                )
        env = {**os.environ, **platform_credentials.as_env()}
        try:
            report = pull_source(
                source,
                days,
                landing_dir=settings.landing_dir,
                env=env,
                timezone_name=settings.schedule_timezone,
                log=context.log,
                expected_refusals=bool(nightly),
            )
        except PullConfigError as exc:
            raise dg.Failure(description=redact(f"{label}: {exc}")) from None
        metadata = {
            "files_written": report.count("written"),
            "files_replaced": report.count("replaced"),
            "files_unchanged": report.count("unchanged"),
            "requests": report.requests,
            "files": dg.MetadataValue.json([f.__dict__ for f in report.files]),
            "not_pulled": dg.MetadataValue.json(
                [n.__dict__ for n in report.not_pulled]
                + [{"report_date": d, "reason": "outside the source's restatement window"} for d in outside]
            ),
        }
        if report.errors:
            raise dg.Failure(
                description=f"{len(report.errors)} {label} account-day(s) could not be pulled (their landing files "
                "were left as they were; the others were written):\n" + "\n".join(report.errors),
                metadata={**metadata, "errors": dg.MetadataValue.json(report.errors)},
            )
        return dg.MaterializeResult(metadata=metadata)

    return _pull


@dg.definitions
def defs() -> dg.Definitions:
    settings = current_settings()
    partitions = daily_partitions(settings)
    return dg.Definitions(
        assets=[build_pull_asset(source, settings, partitions) for source in pulled_sources(settings)]
    )
