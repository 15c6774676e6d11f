"""Pure builders of the dbt command line (unit-tested without Dagster or dbt).

The partition window of a run is half-open, ``report_date >= min_date and report_date <
max_date``. The orchestration layer hands it to dbt in the environment (``window_env``:
``ADWH_DBT_MIN_DATE`` / ``ADWH_DBT_MAX_DATE``), read by the project's macros only while
executing (macros/incremental_window.sql): dbt's vars are part of what its partial parsing
compares, so a window passed in ``--vars`` would make every run (every night has a new window)
re-parse the whole project. ``--vars '{"min_date": ..., "max_date": ...}'`` still works for
a hand-run ``dbt`` and wins over the environment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from orchestration.registry import ALL_SOURCES


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def window_vars(start: date | datetime, end: date | datetime) -> dict[str, str]:
    """A half-open time window [start, end) -> ``{"min_date", "max_date"}`` as ISO dates."""
    start_d, end_d = _as_date(start), _as_date(end)
    if end_d <= start_d:
        raise ValueError(f"empty window: end {end_d} is not after start {start_d}")
    return {"min_date": start_d.isoformat(), "max_date": end_d.isoformat()}


def partition_keys_vars(keys: Sequence[str]) -> dict[str, str]:
    """Daily partition keys (need not be contiguous) -> the window covering all of them."""
    if not keys:
        raise ValueError("no partition keys")
    days = sorted(date.fromisoformat(key) for key in keys)
    return window_vars(days[0], days[-1] + timedelta(days=1))


def source_vars(enabled: Iterable[str]) -> dict[str, bool]:
    """``{"<source>_enabled": bool}`` for every source of the registry: how dbt learns which
    sources are switched on (each staging folder and each source-specific model reads its
    own var, default true when dbt runs on its own)."""
    on = set(enabled)
    unknown = sorted(on - set(ALL_SOURCES))
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(ALL_SOURCES)}")
    return {f"{name}_enabled": name in on for name in ALL_SOURCES}


def vars_arg(vars_: dict[str, Any]) -> list[str]:
    """``--vars '{...}'`` serialised deterministically."""
    return ["--vars", json.dumps(vars_, sort_keys=True)]


WINDOW_ENV = {"min_date": "ADWH_DBT_MIN_DATE", "max_date": "ADWH_DBT_MAX_DATE"}


def window_env(vars_: dict[str, str]) -> dict[str, str]:
    """``{"min_date", "max_date"}`` (``window_vars``) -> the environment variables the dbt
    project reads the run window from."""
    unknown = sorted(set(vars_) - set(WINDOW_ENV))
    if unknown or len(vars_) != len(WINDOW_ENV):
        raise ValueError(f"a run window is exactly min_date and max_date; got {sorted(vars_)}")
    return {WINDOW_ENV[name]: value for name, value in vars_.items()}


def dbt_build_args(vars_: dict[str, Any], *, extra_vars: dict[str, Any] | None = None) -> list[str]:
    """``dbt build --vars '{...}'`` arguments with the vars serialised deterministically."""
    return ["build", *vars_arg({**vars_, **(extra_vars or {})})]


def restatement_window(today: date, days: int) -> tuple[date, date]:
    """The report dates a nightly run re-processes: the ``days`` days before ``today``
    (inclusive start, inclusive end = yesterday)."""
    if days < 1:
        raise ValueError("the restatement window needs at least one day")
    return today - timedelta(days=days), today - timedelta(days=1)
