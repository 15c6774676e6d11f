"""Dagster definitions only, autoloaded by ``dg.load_from_defs_folder`` (see
``orchestration/definitions.py``): every module exposes its own ``@dg.definitions`` function,
built from ``orchestration.settings.current_settings()``. The logic they call lives in the
Dagster-free packages (``ingestion``, ``warehouse``)."""

import warnings

import dagster as dg

# adwh opts in knowingly to single-run backfills (`backfill_policy=BackfillPolicy.single_run()`
# on every partitioned asset: one run per backfill, one dbt build over the whole window).
# Dagster marks the parameter beta and warns at every import; only that warning is silenced.
warnings.filterwarnings(
    "ignore", message=r"Parameter `backfill_policy` .* is currently in beta", category=dg.BetaWarning
)
