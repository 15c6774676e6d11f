"""Clean shutdown on SIGTERM, within 30 s, leaving no process behind:

- ``make dev`` (the Makefile's own recipe, on a free port and a temporary instance), sent
  SIGTERM the way `kill <pid>` or a supervisor does, started in the foreground and in the
  background from a script (SIGINT ignored, the case in which `dagster dev` used to ignore
  SIGTERM too);
- the production services (code server, webserver, daemon), started exactly as their systemd
  units say (ExecStart=, Environment=, EnvironmentFile= from deploy/adwh.env.example, the
  shipped dagster.yaml on PostgreSQL), each stopped as systemd's KillMode=control-group does:
  SIGTERM to every process of the unit at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT
from tests.deploy import units
from tests.deploy.processes import (
    STOP_TIMEOUT,
    Service,
    assert_not_logged,
    free_port,
    wait_for_code_location,
    wait_for_log,
)

pytestmark = pytest.mark.e2e


def adwh_env(root: Path) -> dict[str, str]:
    """The environment without the caller's adwh/Dagster/make settings, data under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DAGSTER_", "MAKE", "MFLAGS"))}
    env.update(
        {
            "ADWH_DATA_DIR": str(root / "data"),
            "ADWH_PII_SALT": "sigterm-test-salt-0123456789",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `cmd &` in a non-interactive shell does


@pytest.mark.parametrize("start", ["foreground", "background"])
def test_make_dev_stops_on_sigterm(tmp_path, start):
    port = free_port()
    home = tmp_path / "dagster_home"
    # -o: never rebuild the shared virtual environment from a test (the stamp counts as current).
    command = [
        "make",
        "--no-print-directory",
        "-o",
        ".venv/.adwh-installed",
        "dev",
        f"DEV_PORT={port}",
        f"DEV_HOME={home}",
    ]
    dev = Service.start(
        "make dev",
        command,
        env=adwh_env(tmp_path),
        cwd=REPO_ROOT,
        log=tmp_path / "make-dev.log",
        preexec_fn=_ignore_sigint if start == "background" else None,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        dev.wait_for_http(f"{base}/server_info")
        wait_for_code_location(dev, base)
        assert (home / "dagster.yaml").read_text() == (REPO_ROOT / "dagster.yaml").read_text()
        assert len(dev.alive()) >= 4, dev.alive()  # make -> dagster dev -> webserver, daemon, code servers

        seconds = dev.terminate()  # SIGTERM to make only
    finally:
        dev.kill()
    log = dev.output(tail=20000)
    assert "Dagster services shut down." in log, log
    assert "did not terminate cleanly" not in log, log
    print(f"make dev ({start}) stopped {seconds:.1f} s after SIGTERM")


SERVICES = ["adwh-dagster-code-server.service", "adwh-dagster-webserver.service", "adwh-dagster-daemon.service"]


def test_production_services_stop_on_sigterm(tmp_path, postgres_server):
    """The three units, started as systemd would on the shipped dagster.yaml (PostgreSQL) and
    the example env file; each stopped like KillMode=control-group: SIGTERM to all its processes."""
    for name in SERVICES:
        unit = units.read_unit(name)
        assert unit.one("KillSignal") == "SIGTERM", name
        assert unit.one("KillMode") == "control-group", name
        assert int(unit.one("TimeoutStopSec")) == STOP_TIMEOUT, name
        assert unit.one("EnvironmentFile") == units.ENV_FILE, name

    db_name = f"sigterm_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(db_name)
    layout = units.make_layout(
        tmp_path,
        {**postgres_server.env(db_name), "ADWH_WEBSERVER_PORT": str(free_port())},
        code_server_port=free_port(),
    )
    started = {}
    try:
        for name in SERVICES:  # systemd's order (After=): code server first
            started[name], env = units.start_unit(name, base_env=adwh_env(tmp_path), layout=layout, log_dir=tmp_path)
            assert env["DAGSTER_HOME"] == str(layout.state / "dagster_home")
            if "webserver" in name:
                base = f"http://{env['ADWH_WEBSERVER_HOST']}:{env['ADWH_WEBSERVER_PORT']}"
        code_server, webserver, daemon = (started[name] for name in SERVICES)
        wait_for_log(code_server, units.CODE_SERVER_LISTENING)
        webserver.wait_for_http(f"{base}/server_info")
        wait_for_code_location(webserver, base)  # through the code server
        wait_for_log(daemon, "Instance is configured with the following daemons")

        seconds = {}
        for name in [
            "adwh-dagster-webserver.service",
            "adwh-dagster-daemon.service",
            "adwh-dagster-code-server.service",
        ]:
            assert started[name].alive(), f"{name} is not running"
            seconds[name] = started[name].terminate(everyone=True)
    finally:
        for service in started.values():
            service.kill()
    for name, service in started.items():
        assert "Traceback" not in service.output(tail=10**6), f"{name}:\n{service.output()}"
    # The secrets of the env file (which the services got in their environment) are in no log.
    env_file = units.parse_env_file(layout.env_file.read_text())
    assert env_file["DAGSTER_PG_PASSWORD"] == postgres_server.password
    secrets = {name: env_file[name] for name in ("DAGSTER_PG_PASSWORD", "ADWH_PII_SALT")}
    assert assert_not_logged(secrets, *(service.log for service in started.values()), layout.state) >= 3
    print("stopped after SIGTERM: " + ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items()))


def test_systemd_units_verify(tmp_path):
    """`systemd-analyze verify` accepts the units (install paths mapped onto the checkout)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (Debian package systemd)")
    layout = units.Layout(tmp_path / "state", tmp_path / "adwh.env", tmp_path / "workspace.yaml")
    for path in sorted(units.UNITS.iterdir()):
        (tmp_path / path.name).write_text(layout.map(path.read_text()))
    names = [str(tmp_path / path.name) for path in sorted(units.UNITS.iterdir())]
    result = subprocess.run([analyze, "verify", "--man=no", *names], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr
