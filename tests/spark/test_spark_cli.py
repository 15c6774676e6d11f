"""The pinned command line on Spark: ``adwh demo --engine spark`` (generate -> ingest -> dbt on
Spark through Dagster, with the weights solved between two dbt selections -> the headlines read
from Spark) and ``ADWH_DBT_TARGET=spark adwh query ... --format csv``, checked against the same
demo on DuckDB through the same ``adwh query``.

test_spark_parity.py compares every mart row by row (dbt driven directly); this module checks
the path users and operators take: the Dagster run, its asset checks (every dbt test's result
must reach Dagster: a Spark progress bar on dbt's stdout once swallowed 17 of them) and the
query interface. Skipped only when Java or the `spark` extra is missing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spark import require_spark

pytestmark = pytest.mark.spark

require_spark()

REPO = Path(__file__).resolve().parents[2]
ADWH = str(Path(sys.executable).parent / "adwh")
DAYS = 2

# per platform: the fact's additive measures; per model: the attributed conversions and revenue
SQL = (
    "select 'fact' as part, platform as k, sum(impressions) as a, sum(clicks) as b, "
    "round(sum(spend_reporting), 6) as c from marts.fct_ad_performance_daily group by platform "
    "union all "
    "select 'attribution', model, count(*), 0, round(sum(attributed_conversions), 6) "
    "from marts.mart_attribution group by model "
    "union all "
    "select 'weights', model, count(*), 0, round(sum(share), 6) "
    "from marts.mart_attribution_channel_weights group by model "
    "order by part, k"
)


def _env(root: Path, engine: str) -> dict[str, str]:
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADWH_")}
    env.update(
        ADWH_DATA_DIR=str(root / "data"),
        ADWH_DBT_TARGET=engine,
        DAGSTER_HOME=str(home),
        SPARK_LOCAL_IP="127.0.0.1",
    )
    return env


def _run(args: list[str], env: dict[str, str], timeout: int = 1500) -> subprocess.CompletedProcess:
    result = subprocess.run([ADWH, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    assert result.returncode == 0, f"adwh {' '.join(args)}:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    return result


def _checks(out: str) -> tuple[int, int, int]:
    match = re.search(r"checks\s+(\d+) passed, (\d+) warned, (\d+) failed", out)
    assert match, out[-3000:]
    return tuple(int(g) for g in match.groups())


def _rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def test_demo_and_query_on_spark_equal_duckdb(tmp_path):
    spark_env = _env(tmp_path / "spark", "spark")
    duck_env = _env(tmp_path / "duckdb", "duckdb")

    spark_demo = _run(["demo", "--engine", "spark", "--days", str(DAYS)], spark_env)
    duck_demo = _run(["demo", "--days", str(DAYS)], duck_env)

    # every dbt test reached Dagster as an asset check, on both engines alike
    spark_checks, duck_checks = _checks(spark_demo.stdout), _checks(duck_demo.stdout)
    assert spark_checks == duck_checks and spark_checks[0] > 100 and spark_checks[2] == 0
    log = (tmp_path / "spark" / "data" / "logs" / "demo-run.log").read_text()
    assert "did not yield or return expected outputs" not in log and "emitted no result" not in log
    for title in ("CTR, clicks and spend by platform and channel", "Attribution models side by side", "Video"):
        assert title in spark_demo.stdout

    spark_rows = _rows(_run(["query", SQL, "--format", "csv"], spark_env).stdout)
    duck_rows = _rows(_run(["query", SQL, "--format", "csv"], duck_env).stdout)
    assert [(r["part"], r["k"]) for r in spark_rows] == [(r["part"], r["k"]) for r in duck_rows]
    parts = {r["part"] for r in spark_rows}
    assert parts == {"fact", "attribution", "weights"}
    assert len([r for r in spark_rows if r["part"] == "attribution"]) == 8  # all eight models
    for s, d in zip(spark_rows, duck_rows):
        assert int(float(s["a"])) == int(float(d["a"])) and int(float(s["b"])) == int(float(d["b"])), (s, d)
        assert float(s["c"]) == pytest.approx(float(d["c"]), abs=1e-6), (s, d)
