"""Long-running Dagster processes for the deployment and UI tests: start in their own session,
wait for the webserver over HTTP, stop with SIGTERM and check that nothing of them is left.
Every wait is bounded, so a broken build fails instead of hanging."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

# What the systemd units allow (TimeoutStopSec=30) and what the issue asks for.
STOP_TIMEOUT = 30
START_TIMEOUT = 300  # webserver up, code location loaded (parses the dbt project when stale)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MARKER_VAR = "ADWH_TEST_SERVICE_ID"


def session_processes(sid: int, marker: str | None = None) -> list[tuple[int, str]]:
    """(pid, command line) of the live, non-zombie processes of session ``sid``, or whose
    environment carries ``ADWH_TEST_SERVICE_ID=<marker>`` (found even if they left the session)."""
    found = []
    tag = f"{MARKER_VAR}={marker}".encode() if marker else None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            state, session = fields[0], int(fields[3])  # after "(comm)": state ppid pgrp session
            if state == "Z":
                continue
            mine = session == sid
            if not mine and tag is not None:
                try:
                    mine = tag in (entry / "environ").read_bytes().split(b"\0")
                except OSError:
                    mine = False
            if mine:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append((int(entry.name), cmdline))
        except (OSError, IndexError, ValueError):
            continue
    return found


def default_signals() -> None:
    """A ``preexec_fn``: the child starts with every signal at its default action and none
    blocked, as systemd starts a unit and a terminal a foreground command, whatever this test
    process inherited or acquired. Without it the tests depend on how pytest was started: a
    pytest started in the background of a non-interactive shell (`.ci/run &`) ignores SIGINT,
    and Dagster, which maps SIGTERM onto SIGINT's handler whenever it runs a job in-process,
    then leaves SIGTERM ignored too (dagster/_utils/interrupts.py) - inherited by every service
    a later test starts, which then survives its SIGTERM."""
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _signal_state(pid: int) -> str:
    """The signal lines of /proc/<pid>/status (ignored, blocked, caught), for a failure message."""
    try:
        lines = (Path("/proc") / str(pid) / "status").read_text().splitlines()
    except OSError:
        return "gone"
    return " ".join(
        line.replace("\t", "") for line in lines if line.startswith(("State", "SigIgn", "SigBlk", "SigCgt"))
    )


@dataclass
class Service:
    """A process started in a new session (its pid is the session id: every child it starts,
    code servers and run workers included, stays findable)."""

    name: str
    popen: subprocess.Popen
    log: Path
    marker: str

    @classmethod
    def start(
        cls, name: str, args: list[str], *, env: dict[str, str], cwd: Path, log: Path, preexec_fn=None
    ) -> Service:
        marker = uuid.uuid4().hex

        def prepare() -> None:
            default_signals()
            if preexec_fn is not None:
                preexec_fn()

        handle = open(log, "w")
        popen = subprocess.Popen(
            args,
            env={**env, MARKER_VAR: marker},
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=prepare,
        )
        handle.close()
        return cls(name, popen, log, marker)

    def output(self, tail: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""

    def alive(self) -> list[tuple[int, str]]:
        return session_processes(self.popen.pid, self.marker)

    def wait_for_http(self, url: str, timeout: float = START_TIMEOUT) -> dict:
        """Poll ``url`` (e.g. /server_info) until it answers JSON; fail if the process dies first."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited ({self.popen.returncode}) before {url} answered:\n{self.output()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    return json.loads(response.read())
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = exc
            time.sleep(0.5)
        raise AssertionError(f"{self.name}: {url} did not answer within {timeout} s ({last}):\n{self.output()}")

    def terminate(self, *, everyone: bool = False, timeout: float = STOP_TIMEOUT) -> float:
        """SIGTERM to the process, or (``everyone``, what systemd's KillMode=control-group does) to
        every process of it at once; returns the seconds until the process and all of its
        descendants were gone. Fails (after SIGKILLing the leftovers) when that takes longer
        than ``timeout``."""
        started = time.monotonic()
        targets = [pid for pid, _ in self.alive()] if everyone else [self.popen.pid]
        for pid in targets:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = started + timeout
        while time.monotonic() < deadline:
            self.popen.poll()
            if self.popen.returncode is not None and not self.alive():
                return time.monotonic() - started
            time.sleep(0.1)
        leftovers = [(pid, cmdline, _signal_state(pid)) for pid, cmdline in self.alive()]
        self.kill()
        raise AssertionError(
            f"{self.name} not stopped {timeout} s after SIGTERM (exit status {self.popen.returncode}); "
            f"left (pid, command, signal state): {leftovers}\n{self.output()}"
        )

    def kill(self) -> None:
        """SIGKILL whatever is left of this service's session (cleanup after a failure)."""
        for pid, _ in self.alive():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def graphql(base_url: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    if body.get("errors"):
        raise AssertionError(f"GraphQL errors: {body['errors']}")
    return body["data"]


LOCATIONS_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


def wait_for_code_location(service: Service, base_url: str, name: str = "adwh", timeout: float = START_TIMEOUT) -> None:
    """Wait until the webserver has loaded the code location (fail on a load error)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if service.popen.poll() is not None:
            raise AssertionError(f"{service.name} exited ({service.popen.returncode}):\n{service.output()}")
        try:
            entries = graphql(base_url, LOCATIONS_QUERY)["workspaceOrError"].get("locationEntries", [])
        except (urllib.error.URLError, OSError, ValueError) as exc:
            entries, last = [], str(exc)
        for entry in entries:
            if entry["name"] == name and entry["loadStatus"] == "LOADED":
                located = entry["locationOrLoadError"] or {}
                if located.get("__typename") != "PythonError":
                    return
                # e.g. the code server is not up yet: the webserver reconnects when it is
                last = located.get("message") or "load error"
        time.sleep(1)
    raise AssertionError(f"code location {name} not loaded within {timeout} s ({last}):\n{service.output()}")


def wait_for_log(service: Service, text: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while text not in service.output(tail=10**7):
        if service.popen.poll() is not None:
            raise AssertionError(
                f"{service.name} exited ({service.popen.returncode}) before {text!r}:\n{service.output()}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"{service.name}: no {text!r} within {timeout} s:\n{service.output()}")
        time.sleep(0.5)


def wait_for_process(service: Service, text: str, timeout: float = START_TIMEOUT) -> None:
    """Wait until a process of the service has ``text`` in its command line."""
    deadline = time.monotonic() + timeout
    while not any(text in cmdline for _, cmdline in service.alive()):
        if service.popen.poll() is not None:
            raise AssertionError(f"{service.name} exited ({service.popen.returncode}):\n{service.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{service.name}: no process {text!r} within {timeout} s:\n{service.output()}")
        time.sleep(0.5)


def assert_not_logged(secrets: dict[str, str], *roots: Path) -> int:
    """No secret value in any file under ``roots`` (service and run logs, compute logs): returns
    how many files were read, so a caller can check that there was something to read."""
    read = 0
    for root in roots:
        for path in [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()):
            if path.suffix in (".duckdb", ".parquet", ".wal") or path.stat().st_size > 50_000_000:
                continue
            data = path.read_bytes()
            read += 1
            for name, value in secrets.items():
                assert value.encode() not in data, f"{name}'s value is in {path}"
    return read
