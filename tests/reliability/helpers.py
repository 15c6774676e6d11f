"""Helpers for the reliability tests (imported by conftest.py and the tests): isolated workspaces, real `adwh` subprocesses,
synchronisation on files (never on sleeps), table comparison."""

from __future__ import annotations

import fcntl
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.settings import REPO_ROOT, Settings

ADWH = str(Path(sys.executable).parent / "adwh")
# Upper bound for one wait: only there so that a broken build fails instead of hanging
# forever; no test outcome depends on it (every wait is for a file, a message or an exit).
SAFETY_TIMEOUT = 900
START, END = date(2024, 1, 1), date(2024, 1, 2)


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]

    @property
    def landing(self) -> Path:
        return Path(self.env["ADWH_LANDING_DIR"])

    @property
    def lake(self) -> Path:
        return Path(self.env["ADWH_LAKE_DIR"])

    @property
    def warehouse(self) -> Path:
        return Path(self.env["ADWH_WAREHOUSE"])

    @property
    def analyst(self) -> Path:
        return Path(self.env["ADWH_ANALYST_DB"])

    @property
    def hooks(self) -> Path:
        return Path(self.env["ADWH_TEST_HOOK_DIR"])

    @property
    def home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])

    def start(self, *args: str, log: str, extra_env: dict[str, str] | None = None) -> Proc:
        out = open(self.root / f"{log}.out", "w")
        err = open(self.root / f"{log}.err", "w")
        popen = subprocess.Popen(
            [ADWH, *args],
            env={**self.env, **(extra_env or {})},
            cwd=self.root,
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group: SIGKILL reaches dbt too
        )
        return Proc(popen, self.root / f"{log}.out", self.root / f"{log}.err")

    def run(self, start: date = START, end: date = END, *, log: str, extra_env=None) -> Proc:
        proc = self.start("run", "--start", start.isoformat(), "--end", end.isoformat(), log=log, extra_env=extra_env)
        proc.wait()
        return proc

    def query(self, sql: str, *, log: str = "query") -> subprocess.CompletedProcess:
        return subprocess.run(
            [ADWH, "query", sql, "--format", "csv"],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=SAFETY_TIMEOUT,
        )


@dataclass
class Proc:
    popen: subprocess.Popen
    out: Path
    err: Path

    def wait(self) -> int:
        return self.popen.wait(timeout=SAFETY_TIMEOUT)

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def kill_group(self) -> None:
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=SAFETY_TIMEOUT)

    def wait_until(self, predicate, what: str) -> None:
        """Poll ``predicate`` until true; fail if the process ends first (no timing assumptions)."""
        deadline = time.monotonic() + SAFETY_TIMEOUT
        while not predicate():
            if self.popen.poll() is not None:
                raise AssertionError(
                    f"process ended (rc {self.popen.returncode}) before {what}:\n{self.output()[-4000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"safety timeout waiting for {what}")
            time.sleep(0.02)

    def descendants_cmdlines(self) -> list[str]:
        """Command lines of the live processes in this process's session (Linux /proc)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                session = int(stat.rsplit(")", 1)[1].split()[3])  # fields after "(comm)": state ppid pgrp session
                state = stat.rsplit(")", 1)[1].split()[0]
                if session == self.popen.pid and state != "Z":
                    found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except (OSError, IndexError, ValueError):
                continue
        return found


def dbt_log_of(proc: Proc, env: dict[str, str]) -> Path | None:
    """dbt.log of the run's dbt invocation (dagster-dbt's per-invocation folder
    ``<data dir>/dbt/adwh_dbt-<first 7 of run id>-*``, Settings.dbt_runs_dir), once the run id
    is in the output."""
    match = re.search(r"adwh_all - ([0-9a-f]{8}-[0-9a-f-]{27}) -", proc.output())
    if not match:
        return None
    found = sorted(Settings.from_env(env).dbt_runs_dir.glob(f"adwh_dbt-{match.group(1)[:7]}-*/dbt.log"))
    return found[0] if found else None


def make_workspace(root: Path, landing_from: Path | None = None) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DAGSTER_"))}
    env.update(
        {
            "ADWH_DATA_DIR": str(root / "data"),
            "ADWH_LANDING_DIR": str(root / "landing"),
            "ADWH_LAKE_DIR": str(root / "lake"),
            "ADWH_WAREHOUSE": str(root / "warehouse.duckdb"),
            "ADWH_ANALYST_DB": str(root / "analyst.duckdb"),
            "ADWH_START_DATE": "2024-01-01",
            "ADWH_PII_SALT": "reliability-test-salt-0123456789",
            "ADWH_TEST_HOOK_DIR": str(root / "hooks"),
            # the test-only pause seam (tests/reliability/pause_observer.py), importable from the repo root
            "ADWH_OBSERVERS": "tests.reliability.pause_observer",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
            "DAGSTER_HOME": str(home),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if landing_from is not None:
        shutil.copytree(landing_from, root / "landing")
    return Workspace(root, env)


def lock_is_free(path: Path) -> bool:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def read_tables(db: Path, schemas=("marts", "intermediate")) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE' order by 1",
            [list(schemas)],
        ).fetchall()
        return {name: con.execute(f"select * from {name} order by all").fetchall() for (name,) in tables}
    finally:
        con.close()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_same_tables(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> None:
    assert sorted(actual) == sorted(expected)
    for name in expected:
        got, want = actual[name], expected[name]
        assert len(got) == len(want), f"{name}: {len(got)} rows, expected {len(want)}"
        for row_got, row_want in zip(got, want):
            assert len(row_got) == len(row_want) and all(_same(x, y) for x, y in zip(row_got, row_want)), (
                f"{name}: {row_got} != {row_want}"
            )
