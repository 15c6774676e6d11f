"""Every dbt unit test of the project, fast: models built empty (``dbt build --empty``) over a lake
of zero-row Parquet files with the parsers' own schemas, so only the unit tests' hand-written
inputs carry data. Part of ``make test-fast``; the full builds are in ``tests/dbt``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from orchestration import registry
from orchestration.ingestion.lake import REJECTS
from orchestration.ingestion.parsers.base import QUARANTINE_SCHEMA
from orchestration.warehouse.dbt_args import source_vars, vars_arg
from tests.paths import REPO

DBT = str(Path(sys.executable).parent / "dbt")


def _empty_lake(root: Path) -> None:
    for source in registry.SOURCES:
        module = source.parser()
        folder = root / "raw" / source.name / "report_date=2024-01-01"
        folder.mkdir(parents=True)
        for table, schema in module.SCHEMAS.items():
            pq.write_table(pa.Table.from_pylist([], schema=schema), folder / f"{table}.parquet")
        quarantine = root / "quarantine" / source.name / "report_date=2024-01-01"
        quarantine.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist([], schema=QUARANTINE_SCHEMA), quarantine / f"{REJECTS}.parquet")


def _declared_unit_tests() -> set[str]:
    names = set()
    for path in (REPO / "dbt_project" / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", []) or []:
            names.add(test["name"])
    return names


def test_every_dbt_unit_test_passes(tmp_path):
    _empty_lake(tmp_path / "lake")
    env = {
        **os.environ,
        "ADWH_LAKE_DIR": str(tmp_path / "lake"),
        "ADWH_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("ADWH_SOURCES", None)
    result = subprocess.run(
        [
            DBT,
            "build",
            "--empty",
            "--exclude",
            "test_type:data",
            *vars_arg(source_vars(registry.ALL_SOURCES)),
            "--profiles-dir",
            str(REPO),
            "--project-dir",
            str(REPO / "dbt_project"),
            "--target",
            "duckdb",
            "--target-path",
            str(tmp_path / "target"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    declared = _declared_unit_tests()
    assert declared, "no unit tests declared in dbt_project/models"
    assert {r["unique_id"].rsplit(".", 1)[-1] for r in unit} == declared
    assert all(r["status"] == "pass" for r in unit), [r["unique_id"] for r in unit if r["status"] != "pass"]
