"""The daily partitions every asset shares: one partition per report date."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import Settings

# Every asset that opens the DuckDB warehouse for writing runs in this pool;
# dagster.yaml limits it to one slot, so runs queue instead of failing on the file lock.
WAREHOUSE_POOL = "adwh_warehouse"


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=settings.start_date.isoformat())
