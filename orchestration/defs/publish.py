"""The analyst snapshot asset: runs after dbt, in the warehouse pool."""


import dagster as dg

from orchestration.defs.partitions import WAREHOUSE_POOL
from orchestration.publish import publish_snapshot
from orchestration.settings import Settings
from orchestration.testhooks import pause_point


def build_publish_asset(
    settings: Settings, partitions_def: dg.PartitionsDefinition, upstream: list[dg.AssetKey]
) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["analyst_snapshot"]),
        group_name="publish",
        deps=upstream,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=(
            "Read-only copy of the warehouse that analysts query (`adwh query`, or any DuckDB client "
            "opening ADWH_ANALYST_DB read-only). Replaced atomically after each successful run."
        ),
    )
    def analyst_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        pause_point("publish")
        path = publish_snapshot(settings.warehouse, settings.analyst_db)
        context.log.info(f"published {path}")
        return dg.MaterializeResult(metadata={"path": str(path), "bytes": path.stat().st_size})

    return analyst_snapshot
