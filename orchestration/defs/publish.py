"""The analyst snapshot asset: runs after dbt, in the warehouse pool."""

import dagster as dg

from orchestration import run_events
from orchestration.defs.dbt import dbt_assets_for
from orchestration.defs.partitions import daily_partitions
from orchestration.settings import Settings, current_settings
from orchestration.warehouse import WAREHOUSE_POOL
from orchestration.warehouse.snapshot import publish_snapshot


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
        run_events.reached("publish")
        if settings.dbt_target == "spark":
            # on Spark the marts ARE the published tables (metastore + warehouse folder) that
            # analysts' engines read; there is no DuckDB file to copy (docs/scale-out.md)
            location = settings.spark_dir / "warehouse" / "marts.db"
            context.log.info(f"Spark: the marts are the metastore's tables, stored in {location}")
            run_events.reached("published", path=str(location))
            return dg.MaterializeResult(metadata={"engine": "spark", "path": str(location)})
        path = publish_snapshot(settings.warehouse, settings.analyst_db)
        context.log.info(f"published {path}")
        run_events.reached("published", path=str(path))
        return dg.MaterializeResult(metadata={"path": str(path), "bytes": path.stat().st_size})

    return analyst_snapshot


@dg.definitions
def defs() -> dg.Definitions:
    settings = current_settings()
    upstream = list(dbt_assets_for(settings).keys)
    return dg.Definitions(assets=[build_publish_asset(settings, daily_partitions(settings), upstream)])
