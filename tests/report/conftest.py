"""One built warehouse for the report, analyst-guide, dbt-docs and MetricFlow tests.

``built`` runs the real pipeline (generate -> ingest -> dbt build -> publish) once per
session over a few days of generated data in a temporary folder. Set
``ADWH_TEST_BUILT_DATA_DIR`` to the data folder of an existing run (e.g. the one
``make demo`` wrote) to reuse it instead: the tests only read it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT, Settings

DAYS = 10
START = date(2024, 1, 1)


@dataclass(frozen=True)
class Built:
    settings: Settings

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def analyst_db(self) -> Path:
        return self.settings.analyst_db

    @property
    def warehouse(self) -> Path:
        return self.settings.warehouse

    @property
    def lake_dir(self) -> Path:
        return self.settings.lake_dir


def _build(root: Path) -> Built:
    from orchestration.cli import run_pipeline
    from orchestration.sample.generate import generate

    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    settings = Settings.from_env({"ADWH_DATA_DIR": str(root / "data")})
    saved = dict(os.environ)
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        end = START + timedelta(days=DAYS - 1)
        generate(settings.landing_dir, START, end)
        assert run_pipeline(settings, START, end, quiet=True, log_level="WARNING"), "the pipeline run failed"
    finally:
        # run_pipeline exports the settings into os.environ (for dbt): leave no trace for other tests
        os.environ.clear()
        os.environ.update(saved)
    return Built(settings)


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id) -> Built:
    """Built once per test session, also under pytest-xdist: the first worker that needs it
    builds it under a file lock in the session's shared temp folder, the other reuses it
    (the tests only read it)."""
    existing = os.environ.get("ADWH_TEST_BUILT_DATA_DIR")
    if existing:
        settings = Settings.from_env({"ADWH_DATA_DIR": existing})
        assert settings.analyst_db.exists(), f"ADWH_TEST_BUILT_DATA_DIR={existing} has no analyst.duckdb"
        return Built(settings)
    if worker_id == "master":  # not distributed
        return _build(tmp_path_factory.mktemp("report_built"))

    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / "report_built"
    done = shared / "built.ok"
    with FileLock(str(shared) + ".lock"):
        if not done.exists():
            if shared.exists():  # a build that failed on the other worker: start over
                shutil.rmtree(shared)
            _build(shared)
            done.touch()
    return Built(Settings.from_env({"ADWH_DATA_DIR": str(shared / "data")}))


@pytest.fixture(scope="session")
def report_path(built, tmp_path_factory) -> Path:
    from orchestration.report import build_report

    out = tmp_path_factory.mktemp("report") / "report.html"
    build_report(built.analyst_db, out, lake_dir=built.lake_dir)
    return out


@dataclass(frozen=True)
class DbtCopy:
    """A private copy of the dbt project (and seeds) with its own target/, over a private copy
    of the built warehouse: dbt and `mf` write target/ and open the DuckDB file read-write, and
    the shared work tree and warehouse must not be touched by tests."""

    root: Path
    project_dir: Path
    warehouse: Path
    env: dict[str, str]

    def run(self, *args: str, tool: str = "dbt", timeout: int = 600) -> subprocess.CompletedProcess:
        cmd = [str(VENV_BIN / tool), *args]
        if tool == "dbt":
            cmd += ["--profiles-dir", str(REPO_ROOT), "--project-dir", str(self.project_dir)]
        return subprocess.run(cmd, cwd=self.project_dir, env=self.env, capture_output=True, text=True, timeout=timeout)

    def artifact(self, name: str) -> dict:
        return json.loads((self.project_dir / "target" / name).read_text())


VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def dbt_copy(built, tmp_path_factory) -> DbtCopy:
    """The project copied, `dbt docs generate` run (manifest, catalog, semantic manifest)."""
    root = tmp_path_factory.mktemp("dbt_copy")
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")
    shutil.copytree(REPO_ROOT / "dbt_project", root / "dbt_project", ignore=ignore)
    shutil.copytree(REPO_ROOT / "seeds", root / "seeds", ignore=ignore)
    warehouse = root / built.warehouse.name  # same name: dbt-duckdb names the catalog after the file
    shutil.copyfile(built.warehouse, warehouse)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DBT_"))},
        **built.settings.dbt_env(),
        "ADWH_WAREHOUSE": str(warehouse),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_PROJECT_DIR": str(root / "dbt_project"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    copy = DbtCopy(root, root / "dbt_project", warehouse, env)
    proc = copy.run("docs", "generate")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return copy
