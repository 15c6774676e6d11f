"""`dagster dev` (webserver + daemon + code server) on loopback for the browser tests: started in
its own session from the repo root, waited for over HTTP, stopped with its whole process group.
Every wait is bounded, so a broken build fails instead of hanging."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import REPO_ROOT
from tests.deploy.processes import LOCATIONS_QUERY, default_signals, free_port, graphql

DAGSTER = str(Path(sys.executable).parent / "dagster")
START_TIMEOUT = 300  # webserver up and the code location loaded (parses the dbt project when stale)
STOP_GRACE = 20


def _session_pids(sid: int) -> list[int]:
    """Live, non-zombie processes of session ``sid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()  # after "(comm)": state ppid pgrp session
            if fields[0] != "Z" and int(fields[3]) == sid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@dataclass
class DagsterDev:
    popen: subprocess.Popen
    log: Path
    base_url: str

    @classmethod
    def start(cls, env: dict[str, str], log: Path) -> DagsterDev:
        port = free_port()
        with open(log, "w") as handle:
            popen = subprocess.Popen(
                [DAGSTER, "dev", "-h", "127.0.0.1", "-p", str(port)],
                env=env,
                cwd=REPO_ROOT,  # [tool.dagster] in pyproject.toml names the code location, as `make dev`
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group and session: webserver, daemon, code servers, runs
                preexec_fn=default_signals,  # stoppable by SIGTERM however pytest was started
            )
        return cls(popen, log, f"http://127.0.0.1:{port}")

    def output(self, tail: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""

    def _check_alive(self, what: str) -> None:
        if self.popen.poll() is not None:
            raise AssertionError(f"dagster dev exited ({self.popen.returncode}) before {what}:\n{self.output()}")

    def wait_ready(self, location: str = "adwh", timeout: float = START_TIMEOUT) -> None:
        """Until /server_info answers and the code location is loaded without error."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_alive(f"{self.base_url} was ready")
            try:
                with urllib.request.urlopen(f"{self.base_url}/server_info", timeout=5) as response:
                    json.loads(response.read())
                entries = graphql(self.base_url, LOCATIONS_QUERY)["workspaceOrError"].get("locationEntries", [])
            except (urllib.error.URLError, OSError, ValueError) as exc:
                entries, last = [], str(exc)
            for entry in entries:
                if entry["name"] == location and entry["loadStatus"] == "LOADED":
                    located = entry["locationOrLoadError"] or {}
                    if located.get("__typename") != "PythonError":
                        return
                    last = located.get("message") or "load error"
            time.sleep(1)
        raise AssertionError(f"dagster dev not ready within {timeout} s ({last}):\n{self.output()}")

    def stop(self) -> None:
        """SIGTERM to the whole process group, then SIGKILL to whatever of the session is left."""
        sid = self.popen.pid
        try:
            os.killpg(sid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline:
            self.popen.poll()
            if self.popen.returncode is not None and not _session_pids(sid):
                return
            time.sleep(0.2)
        for pid in _session_pids(sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
