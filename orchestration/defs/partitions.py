"""The daily partitions every asset shares: one partition per report date (not a Dagster
definition by itself: the assets of the other modules use it)."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import Settings


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=settings.start_date.isoformat())
