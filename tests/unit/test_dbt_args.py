"""Pure builders of dbt arguments and of the nightly window."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from orchestration.warehouse.dbt_args import (
    dbt_build_args,
    partition_keys_vars,
    restatement_window,
    window_env,
    window_vars,
)
from tests.paths import REPO


def test_window_vars_half_open_from_datetimes():
    start = datetime(2024, 3, 1, tzinfo=UTC)
    end = datetime(2024, 3, 4, tzinfo=UTC)  # Dagster's window end is exclusive
    assert window_vars(start, end) == {"min_date": "2024-03-01", "max_date": "2024-03-04"}


def test_window_vars_rejects_empty_window():
    with pytest.raises(ValueError, match="empty window"):
        window_vars(date(2024, 3, 2), date(2024, 3, 2))


def test_partition_keys_vars_single_and_unsorted():
    assert partition_keys_vars(["2024-03-05"]) == {"min_date": "2024-03-05", "max_date": "2024-03-06"}
    assert partition_keys_vars(["2024-03-07", "2024-02-28"]) == {"min_date": "2024-02-28", "max_date": "2024-03-08"}


def test_build_args_serialise_vars_deterministically():
    args = dbt_build_args({"max_date": "2024-03-06", "min_date": "2024-03-05"})
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2]) == {"min_date": "2024-03-05", "max_date": "2024-03-06"}
    assert args[2] == '{"max_date": "2024-03-06", "min_date": "2024-03-05"}'


def test_window_env_names_the_variables_the_macros_read():
    env = window_env(window_vars(date(2024, 3, 1), date(2024, 3, 4)))
    assert env == {"ADWH_DBT_MIN_DATE": "2024-03-01", "ADWH_DBT_MAX_DATE": "2024-03-04"}
    # the dbt project reads exactly these names (a rename on one side only would build everything)
    macros = (REPO / "dbt_project" / "macros" / "incremental_window.sql").read_text()
    for name in env:
        assert f"env_var('{name}'" in macros
    with pytest.raises(ValueError):
        window_env({"min_date": "2024-03-01"})
    with pytest.raises(ValueError):
        window_env({"min_date": "2024-03-01", "max_date": "2024-03-02", "other": "x"})


def test_restatement_window_ends_yesterday():
    # 28 days before 2024-03-29 (exclusive of today): 2024-03-01 .. 2024-03-28
    assert restatement_window(date(2024, 3, 29), 28) == (date(2024, 3, 1), date(2024, 3, 28))
    with pytest.raises(ValueError):
        restatement_window(date(2024, 3, 29), 0)
