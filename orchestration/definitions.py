"""Dagster definitions of adwh (``dagster dev`` from the repo root loads this module)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.dbt import build_dbt_assets, dbt_resource
from orchestration.defs.ingest import build_ingest_asset
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.publish import build_publish_asset
from orchestration.defs.resources import platform_credentials
from orchestration.defs.schedules import build_nightly_schedule
from orchestration.settings import Settings

ALL_ASSETS_JOB = "adwh_all"


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    settings.export()
    partitions = daily_partitions(settings)
    ingest = [build_ingest_asset(source, settings, partitions) for source in settings.sources]
    dbt = build_dbt_assets(settings, partitions)
    publish = build_publish_asset(settings, partitions, upstream=list(dbt.keys))
    job = dg.define_asset_job(
        ALL_ASSETS_JOB,
        selection=dg.AssetSelection.all(),
        description="Ingest every enabled source, build the dbt models and tests, publish the analyst snapshot.",
    )
    return dg.Definitions(
        assets=[*ingest, dbt, publish],
        jobs=[job],
        schedules=[build_nightly_schedule(settings, job)],
        resources={"dbt": dbt_resource(settings), "platform_credentials": platform_credentials()},
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded lazily by `dagster dev` / the code server (importing this module has no side effects)."""
    return build_definitions()
