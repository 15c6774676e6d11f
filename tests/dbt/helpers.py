"""How the dbt tests run dbt: its command line and vars, the way the orchestration layer does.

dbt learns which sources are switched on from ``--vars {"<source>_enabled": bool, ...}``
(``orchestration.warehouse.dbt_args.source_vars``, one var per source of the registry), and
the incremental window from ``min_date`` / ``max_date`` in the same ``--vars``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from orchestration.registry import ALL_SOURCES
from orchestration.warehouse.dbt_args import source_vars, vars_arg
from tests.paths import REPO

PROJECT_DIR = REPO / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")


def with_source_vars(args: list[str], sources: Iterable[str] = ALL_SOURCES) -> list[str]:
    """``args`` with one ``--vars``: the source switches for ``sources`` merged with the
    ``--vars`` already in ``args`` (e.g. the window ``min_date`` / ``max_date``)."""
    args = list(args)
    vars_: dict = dict(source_vars(sources))
    if "--vars" in args:
        at = args.index("--vars")
        vars_.update(json.loads(args[at + 1]))
        del args[at : at + 2]
    return [*args, *vars_arg(vars_)]


def run_dbt(
    work: Path,
    lake: Path,
    warehouse: Path,
    args: list[str],
    *,
    sources: Iterable[str] = ALL_SOURCES,
    target: str = "duckdb",
    project_dir: Path = PROJECT_DIR,
    env: Mapping[str, str] | None = None,
    timeout: int = 600,
) -> subprocess.CompletedProcess:
    """``dbt <args>`` on the lake and warehouse given, with ``sources`` switched on (merged with
    any ``--vars`` in ``args``), its target folder and logs in ``work``; never raises on failure."""
    environment = dict(os.environ)
    environment.pop("ADWH_SOURCES", None)  # dbt learns the sources from --vars only
    environment.update(
        {
            "ADWH_LAKE_DIR": str(lake),
            "ADWH_WAREHOUSE": str(warehouse),
            "ADWH_REPORTING_CURRENCY": "USD",
            "DBT_LOG_PATH": str(work / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **(env or {}),
        }
    )
    cmd = [
        DBT,
        *with_source_vars(args, sources),
        "--profiles-dir",
        str(REPO),
        "--project-dir",
        str(project_dir),
        "--target",
        target,
        "--target-path",
        str(work / "target"),
    ]
    return subprocess.run(cmd, env=environment, capture_output=True, text=True, timeout=timeout, cwd=work)


def check(result: subprocess.CompletedProcess) -> None:
    """The dbt command succeeded; otherwise fail with the end of its output."""
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
