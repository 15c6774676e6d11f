"""The small deployment files: deploy/adwh-admin (secrets from the 0600 env file into one
command's environment), deploy/housekeeping.sh (old per-run folders only) and deploy/logrotate/adwh
(rotates by copytruncate, run by the real ``logrotate``)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT

ADMIN = REPO_ROOT / "deploy" / "adwh-admin"
HOUSEKEEPING = REPO_ROOT / "deploy" / "housekeeping.sh"
LOGROTATE_CONF = REPO_ROOT / "deploy" / "logrotate" / "adwh"
SECRET = "s3cret-pg-password-7f2c9a"
PROBE = (
    "import json, os, sys; print(json.dumps({'uid': os.getuid(), 'argv': sys.argv, "
    "'pw': os.environ.get('DAGSTER_PG_PASSWORD'), 'home': os.environ.get('DAGSTER_HOME'), "
    "'data': os.environ.get('ADWH_DATA_DIR')}))"
)


def write_env_file(path: Path, mode: int) -> Path:
    path.write_text(f"# test\nDAGSTER_PG_PASSWORD={SECRET}\nADWH_PII_SALT=admin-test-salt-0123456789\n")
    path.chmod(mode)
    return path


def admin(env_file: Path, *args: str, user: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DAGSTER_"))}
    env.update({"ADWH_ENV_FILE": str(env_file), "ADWH_USER": user})
    return subprocess.run([str(ADMIN), *args], env=env, capture_output=True, text=True, timeout=60)


def test_admin_refuses_an_env_file_others_can_read(tmp_path):
    env_file = write_env_file(tmp_path / "adwh.env", 0o644)
    result = admin(env_file, "python", "-c", PROBE, user=pwd.getpwuid(os.getuid()).pw_name)
    assert result.returncode == 2, result
    assert "mode 644" in result.stderr and "chmod 600" in result.stderr, result.stderr
    assert result.stdout == "" and SECRET not in result.stderr


def test_admin_loads_secrets_into_the_environment_only(tmp_path):
    env_file = write_env_file(tmp_path / "adwh.env", 0o600)
    me = pwd.getpwuid(os.getuid()).pw_name
    result = admin(env_file, "python", "-c", PROBE, user=me)
    assert result.returncode == 0, result.stderr
    seen = __import__("json").loads(result.stdout)
    assert seen["pw"] == SECRET
    assert SECRET not in " ".join(seen["argv"])  # not on a command line
    assert (seen["home"], seen["data"]) == ("/var/lib/adwh/dagster_home", "/var/lib/adwh/data")
    assert SECRET not in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to the service user needs root")
def test_admin_runs_the_command_as_the_service_user():
    # Any unprivileged system user stands in for `adwh`. The script runs <checkout>/.venv/bin/<tool>:
    # a copy of it in a checkout-like folder that user can read, with a shell "tool" (this
    # venv's interpreter may live under /root, which other users cannot enter).
    user = next((name for name in ("postgres", "nobody") if _user_exists(name)), None)
    if user is None:
        pytest.skip("no unprivileged user (postgres, nobody) to run as")
    root = Path(tempfile.mkdtemp(prefix="adwh-admin-"))
    try:
        root.chmod(0o755)
        (root / "deploy").mkdir()
        shutil.copy2(ADMIN, root / "deploy" / "adwh-admin")
        (root / ".venv" / "bin").mkdir(parents=True)
        probe = root / ".venv" / "bin" / "probe"
        probe.write_text('#!/bin/sh\necho "$(id -u) $(pwd) $DAGSTER_PG_PASSWORD $*"\n')
        for path in (root / ".venv", root / ".venv" / "bin", root / "deploy"):
            path.chmod(0o755)
        probe.chmod(0o755)
        env_file = write_env_file(root / "adwh.env", 0o600)  # read by root, before switching
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DAGSTER_"))}
        env.update({"ADWH_ENV_FILE": str(env_file), "ADWH_USER": user})
        result = subprocess.run(
            [str(root / "deploy" / "adwh-admin"), "probe", "a", "b"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [str(pwd.getpwnam(user).pw_uid), str(root), SECRET, "a", "b"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def test_housekeeping_deletes_only_old_run_folders(tmp_path):
    root, home, data = tmp_path / "checkout", tmp_path / "dagster_home", tmp_path / "data"
    target, storage, runs = root / "dbt_project" / "target", home / "storage", data / "dbt"
    old, now = time.time() - 40 * 86400, time.time()
    made = {
        runs / "adwh_dbt-ccccccc-3333333": old,  # a dbt invocation of the data dir, 40 days: deleted
        runs / "adwh_dbt-ddddddd-4444444": now - 3 * 86400,  # 3 days: kept
        target / "adwh_dbt-aaaaaaa-1111111": old,  # 40 days: deleted (keep 14)
        target / "adwh_dbt-bbbbbbb-2222222": now - 3 * 86400,  # 3 days: kept
        target / "adwh-0123456789ab": old,  # the manifest folder of a set of sources: never deleted
        storage / "run-old": old,  # compute logs, 40 days: deleted (keep 30)
        storage / "run-new": now - 10 * 86400,  # 10 days: kept
    }
    for path in made:
        path.mkdir(parents=True)
        (path / "file.txt").write_text("x")
    (target / "manifest.json").write_text("{}")
    (runs / "partial_parse.msgpack").write_bytes(b"x")  # handed on from run to run: never deleted
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_text("not touched")
    for path, mtime in made.items():
        os.utime(path, (mtime, mtime))
    os.utime(target / "manifest.json", (old, old))
    os.utime(runs / "partial_parse.msgpack", (old, old))

    env = {**os.environ, "ADWH_ROOT": str(root), "DAGSTER_HOME": str(home), "ADWH_DATA_DIR": str(data)}
    result = subprocess.run([str(HOUSEKEEPING)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    left = {path for path in made if path.exists()}
    assert left == {
        runs / "adwh_dbt-ddddddd-4444444",
        target / "adwh_dbt-bbbbbbb-2222222",
        target / "adwh-0123456789ab",
        storage / "run-new",
    }
    assert (target / "manifest.json").exists() and warehouse.read_text() == "not touched"
    assert (runs / "partial_parse.msgpack").exists()
    # it names what it deleted (for the journal)
    assert sorted(result.stdout.split()) == sorted(
        [str(runs / "adwh_dbt-ccccccc-3333333"), str(target / "adwh_dbt-aaaaaaa-1111111"), str(storage / "run-old")]
    )


def test_logrotate_config_rotates_by_copytruncate(tmp_path):
    logrotate = shutil.which("logrotate") or ("/usr/sbin/logrotate" if Path("/usr/sbin/logrotate").exists() else None)
    if logrotate is None:
        pytest.skip("logrotate not installed (Debian package logrotate)")
    logs = tmp_path / "var-log-adwh"
    logs.mkdir()
    me = pwd.getpwuid(os.getuid())
    group = __import__("grp").getgrgid(me.pw_gid).gr_name
    config = (
        LOGROTATE_CONF.read_text()
        .replace("/var/log/adwh", str(logs))
        .replace("/var/lib/adwh/data/logs", str(tmp_path / "absent"))  # missingok
        .replace("su adwh adwh", f"su {me.pw_name} {group}")
    )
    conf = tmp_path / "adwh.conf"
    conf.write_text(config)
    conf.chmod(0o644)
    log = logs / "webserver.log"
    with open(log, "a") as writer:  # a writer that keeps the file open, like systemd's append:
        writer.write("first week\n")
        writer.flush()
        state = tmp_path / "state"
        result = subprocess.run(
            [logrotate, "--force", "--state", str(state), str(conf)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        writer.write("second week\n")
        writer.flush()
    assert (logs / "webserver.log.1").read_text() == "first week\n"  # delaycompress: newest one plain
    # copytruncate: the open file was truncated in place, the writer goes on in the same file
    assert log.read_text().lstrip("\0") == "second week\n"
    assert set(os.listdir(logs)) == {"webserver.log", "webserver.log.1"}
