"""The Spark build's pure parts (orchestration/warehouse/spark.py), without a JVM: the two dbt
selections around the weights solve, the profile's Spark settings, the read-only query guard,
and the weights rows (the function the DuckDB Python model and the Spark step share)."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.settings import REPO_ROOT
from orchestration.warehouse.attribution import channel_weights_rows
from orchestration.warehouse.spark import QueryError, profile_spark_conf, spark_phases, spark_query

W = "int_attribution__channel_weights_solved"


def test_phases_without_selection():
    before, after = spark_phases(["build", "--vars", "{}"])
    assert before == ["build", "--vars", "{}", "--exclude", f"{W}+"]
    assert after == ["build", "--vars", "{}", "--select", f"{W}+", "--exclude", W]


def test_phases_keep_the_callers_selection_and_exclusions():
    before, after = spark_phases(
        ["build", "--select", "marts", "staging", "--exclude", "resource_type:test", "--vars", "{}"]
    )
    assert before == [
        "build",
        "--select",
        "marts",
        "staging",
        "--exclude",
        "resource_type:test",
        f"{W}+",
        "--vars",
        "{}",
    ]
    # step 3: the weights' descendants within the caller's selection (dbt's intersection a,b)
    assert after == [
        "build",
        "--select",
        f"marts,{W}+",
        f"staging,{W}+",
        "--exclude",
        "resource_type:test",
        W,
        "--vars",
        "{}",
    ]


def test_profile_spark_conf_renders_env_vars(tmp_path):
    conf = profile_spark_conf(REPO_ROOT, {"ADWH_SPARK_DIR": str(tmp_path)})
    assert conf["spark.sql.warehouse.dir"] == f"{tmp_path}/warehouse"
    assert (
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
        == f"jdbc:derby:;databaseName={tmp_path}/metastore_db;create=true"
    )
    assert conf["spark.driver.memory"] == "2g"  # the default of env_var('ADWH_SPARK_DRIVER_MEMORY', '2g')
    assert conf["spark.master"].startswith("local[")
    assert (
        profile_spark_conf(REPO_ROOT, {"ADWH_SPARK_DIR": "/x", "ADWH_SPARK_DRIVER_MEMORY": "1g"})["spark.driver.memory"]
        == "1g"
    )
    with pytest.raises(KeyError, match="ADWH_SPARK_DIR"):
        profile_spark_conf(REPO_ROOT, {})


@pytest.mark.parametrize(
    "sql", ["drop table marts.fct_ad_performance_daily", "insert into x select 1", "select 1; drop table x", ""]
)
def test_spark_query_refuses_anything_but_one_query(sql):
    # refused before any Spark session is started (no JVM needed)
    with pytest.raises(QueryError, match="read-only"):
        spark_query(sql, env={})


def test_weights_rows_hand_computed():
    """Two channels. Paths: A->conv, B->null, A->B->conv (start->A 2, start->B 1, A->conv 1,
    A->B 1, B->null 1, B->conv 1). P(conv) = 2/3·(1/2 + 1/2·1/2) + 1/3·1/2 = 2/3.
    Without A: only start->B->conv = 1/3·1/2 = 1/6 -> effect 1 - (1/6)/(2/3) = 3/4.
    Without B: start->A->conv = 2/3·1/2 = 1/3 -> effect 1/2. Shares 3/5, 2/5.
    Shapley, v(S) = conversions of paths whose channel set is within S: v({A}) = 1, v({B}) = 0,
    v({A,B}) = 2: phi_A = ((1 - 0) + (2 - 0))/2 = 3/2, phi_B = ((0 - 0) + (2 - 1))/2 = 1/2."""
    d0, d1 = date(2024, 1, 1), date(2024, 4, 1)
    counts = [
        ("start", "A", 2),
        ("start", "B", 1),
        ("A", "conversion", 1),
        ("A", "B", 1),
        ("B", "null", 1),
        ("B", "conversion", 1),
    ]
    transitions = [dict(from_state=f, to_state=t, transitions=n, window_start=d0, window_end=d1) for f, t, n in counts]
    channel_sets = [
        dict(channel_set="A", conversions=1, window_start=d0, window_end=d1),
        dict(channel_set="A|B", conversions=1, window_start=d0, window_end=d1),
    ]
    rows = {(r["model"], r["channel"]): r for r in channel_weights_rows(transitions, channel_sets)}
    assert rows[("markov", "A")]["removal_effect"] == pytest.approx(3 / 4)
    assert rows[("markov", "B")]["removal_effect"] == pytest.approx(1 / 2)
    assert rows[("markov", "A")]["share"] == pytest.approx(3 / 5)
    assert rows[("markov", "B")]["share"] == pytest.approx(2 / 5)
    assert rows[("shapley", "A")]["shapley_value"] == pytest.approx(3 / 2)
    assert rows[("shapley", "B")]["shapley_value"] == pytest.approx(1 / 2)
    assert rows[("shapley", "B")]["share"] == pytest.approx(1 / 4)
    assert rows[("markov", "A")]["shapley_value"] is None and rows[("shapley", "A")]["removal_effect"] is None
    assert all((r["window_start"], r["window_end"]) == (d0, d1) for r in rows.values())
    assert channel_weights_rows([], []) == []


def test_settings_spark_dir(tmp_path):
    from orchestration.settings import Settings

    settings = Settings.from_env({"ADWH_DATA_DIR": str(tmp_path)})
    assert settings.spark_dir == tmp_path.resolve() / "spark"
    assert settings.dbt_env()["ADWH_SPARK_DIR"] == str(tmp_path.resolve() / "spark")
    other = Settings.from_env(
        {"ADWH_DATA_DIR": str(tmp_path), "ADWH_SPARK_DIR": str(tmp_path / "s"), "ADWH_DBT_TARGET": "spark"}
    )
    assert (other.spark_dir, other.dbt_target) == (tmp_path.resolve() / "s", "spark")
