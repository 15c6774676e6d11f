"""Read the shipped systemd units (deploy/systemd/) the way systemd would start them, with the
install paths (/opt/adwh, /var/lib/adwh, /etc/adwh/adwh.env) mapped onto a test's folders."""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import REPO_ROOT

UNITS = REPO_ROOT / "deploy" / "systemd"
INSTALL_ROOT = "/opt/adwh"
STATE_ROOT = "/var/lib/adwh"
ENV_FILE = "/etc/adwh/adwh.env"
WORKSPACE = "/opt/adwh/deploy/workspace.yaml"
CODE_SERVER_PORT = 4266  # deploy/workspace.yaml and ADWH_CODE_SERVER_PORT of the code server unit
# What the code server unit logs once its port answers. `dagster code-server start` is a proxy: it
# starts the `dagster api grpc` child that loads the code, waits for it ("Started Dagster code
# server for module ..."), and only then binds its own port and logs this line. Waiting for the
# child's line instead left a window in which the port refused connections (a CI failure).
CODE_SERVER_LISTENING = "Started Dagster code proxy server for module orchestration.definitions on port"


@dataclass
class Unit:
    path: Path
    service: dict[str, list[str]]  # [Service] key -> values in order

    def one(self, key: str) -> str:
        values = self.service.get(key, [])
        assert len(values) == 1, f"{self.path.name}: {key}= set {len(values)} times"
        return values[0]


def read_unit(name: str) -> Unit:
    section = None
    service: dict[str, list[str]] = {}
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            service.setdefault(key.strip(), []).append(value.strip())
    return Unit(UNITS / name, service)


def parse_env_file(text: str) -> dict[str, str]:
    """systemd EnvironmentFile= syntax for the simple case the example uses: KEY=value lines."""
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key), f"not KEY=value: {raw!r}"
        env[key] = value.strip().strip('"')
    return env


@dataclass
class Layout:
    """Where a test puts what the docs install: /var/lib/adwh -> ``state``, /etc/adwh/adwh.env
    -> ``env_file``, deploy/workspace.yaml -> ``workspace`` (a copy naming the test's port)."""

    state: Path
    env_file: Path
    workspace: Path

    def map(self, text: str) -> str:
        return (
            text.replace(WORKSPACE, str(self.workspace))
            .replace(ENV_FILE, str(self.env_file))
            .replace(INSTALL_ROOT, str(REPO_ROOT))
            .replace(STATE_ROOT, str(self.state))
        )


def make_layout(root: Path, env_values: dict[str, str], *, code_server_port: int) -> Layout:
    """The production layout under ``root``: $DAGSTER_HOME with the shipped dagster.yaml, the
    env file (deploy/adwh.env.example overridden by ``env_values``, mode 0600) and a workspace
    pointing at ``code_server_port``."""
    state = root / "var-lib-adwh"
    (state / "dagster_home").mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "deploy" / "dagster.yaml", state / "dagster_home" / "dagster.yaml")
    example = parse_env_file((REPO_ROOT / "deploy" / "adwh.env.example").read_text())
    values = {**example, **env_values, "ADWH_CODE_SERVER_PORT": str(code_server_port)}
    env_file = root / "adwh.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    env_file.chmod(0o600)
    shipped = (REPO_ROOT / "deploy" / "workspace.yaml").read_text()
    assert f"port: {CODE_SERVER_PORT}" in shipped
    workspace = root / "workspace.yaml"
    workspace.write_text(shipped.replace(f"port: {CODE_SERVER_PORT}", f"port: {code_server_port}"))
    return Layout(state, env_file, workspace)


def command_and_env(unit: Unit, *, base_env: dict[str, str], layout: Layout) -> tuple[list[str], dict[str, str], Path]:
    """ExecStart= as argv (``${VAR}`` expanded as systemd does), the environment (Environment=
    then EnvironmentFile=, later wins) and WorkingDirectory=, with the install paths mapped."""
    env = dict(base_env)
    for assignment in unit.service.get("Environment", []):
        for item in shlex.split(assignment):
            key, _, value = item.partition("=")
            env[key] = layout.map(value)
    for name in unit.service.get("EnvironmentFile", []):
        optional = name.startswith("-")
        path = Path(layout.map(name.lstrip("-")))
        if path.exists():
            env.update({k: layout.map(v) for k, v in parse_env_file(path.read_text()).items()})
        else:
            assert optional, f"{unit.path.name}: EnvironmentFile {path} missing"
    command = layout.map(unit.one("ExecStart"))
    argv = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word) for word in shlex.split(command)]
    return argv, env, Path(layout.map(unit.one("WorkingDirectory")))


def start_unit(name: str, *, base_env: dict[str, str], layout: Layout, log_dir: Path):
    """Start the unit's ExecStart= as systemd would (minus User=/hardening): a Service."""
    from tests.deploy.processes import Service

    argv, env, cwd = command_and_env(read_unit(name), base_env=base_env, layout=layout)
    return Service.start(name, argv, env=env, cwd=cwd, log=log_dir / f"{name}.log"), env
