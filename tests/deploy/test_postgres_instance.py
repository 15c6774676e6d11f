"""The production instance (deploy/dagster.yaml, as shipped) on a real PostgreSQL server:
two concurrent ``adwh run`` processes and a tick of the ``nightly`` schedule evaluated by a real
``dagster-daemon`` share one instance, and the pool ``adwh_warehouse`` (one slot) makes their
warehouse writers take turns.

Scenario (synchronised on files and on the instance's records, never on sleeps):

1. run A (``adwh run``) pauses inside ``analyst_snapshot`` (a pool step: it holds the slot);
2. run B (``adwh run``, other warehouse, same instance) starts: its dbt step is blocked by the pool;
3. the daemon evaluates the tick of the nightly schedule due at the last 02:00 UTC, queues it
   and launches its run through the code server; its dbt step is blocked by the pool too.
   Code server and daemon run exactly as their systemd units (deploy/systemd/) say, with the
   settings of the env file;
4. A is released; all three finish. From the event log: the steps of the pool never overlapped
   in time, no slot is left claimed, and the three analyst snapshots hold the same marts.

Each run has its own lake and warehouse (two runs on one warehouse would already queue on the
``adwh run`` file lock before reaching the pool); the instance, and so the pool, is shared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pytest

from tests.deploy import units
from tests.deploy.processes import STOP_TIMEOUT, Service, assert_not_logged, free_port, wait_for_log
from tests.reliability.helpers import ADWH, Workspace, assert_same_tables, make_workspace, read_tables

pytestmark = pytest.mark.e2e

POOL = "adwh_warehouse"
BLOCKED = f"blocked by limit for pool {POOL}"
SOURCE = "google_ads,ga4"  # ga4: the attribution marts (and the report exposure on them) need it
WAIT = 900  # upper bound of one wait; only there so that a broken build fails instead of hanging


def last_nightly_tick(now: datetime) -> datetime:
    """The latest 02:00 UTC at or before ``now`` (NIGHTLY_CRON in UTC)."""
    tick = datetime.combine(now.date(), dtime(2, 0), tzinfo=UTC)
    return tick if tick <= now else tick - timedelta(days=1)


def wait_for(predicate, what: str, *, procs=(), timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for proc in procs:
            popen = getattr(proc, "popen", proc)
            if popen.poll() is not None and popen.returncode != 0:
                output = proc.output() if hasattr(proc, "output") else ""
                raise AssertionError(f"process ended ({popen.returncode}) before {what}:\n{output[-4000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.5)


def runs_tagged(instance, **tags):
    import dagster as dg

    return instance.get_runs(filters=dg.RunsFilter(tags=tags))


def blocked_on_pool(instance, run_id: str) -> bool:
    import dagster as dg

    return any(
        BLOCKED in (entry.message or "")
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
    )


def pool_step_windows(instance, run) -> list[tuple[float, float, str, str]]:
    """(start, end, run id, step key) of the run's steps in the pool, from its execution plan
    snapshot (which records each step's pool) and its STEP_START / STEP_SUCCESS|FAILURE events."""
    import dagster as dg

    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    pool_steps = {step.key for step in plan.steps if step.pool == POOL}
    assert pool_steps, f"run {run.run_id}: no step in pool {POOL} (plan steps: {[s.key for s in plan.steps]})"
    starts, ends = {}, {}
    for entry in instance.all_logs(
        run.run_id,
        of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE},
    ):
        if entry.step_key in pool_steps:
            target = starts if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START else ends
            target[entry.step_key] = entry.timestamp
    assert set(starts) == set(ends) == pool_steps, f"run {run.run_id}: starts {starts}, ends {ends}"
    return [(starts[key], ends[key], run.run_id, key) for key in pool_steps]


def seed_nightly_state(instance, workspace: Path, since: float) -> tuple[str, str]:
    """Record the nightly schedule (running by default) as running since ``since``, as the daemon
    does when it first sees it, so that its next iteration evaluates the tick due after
    ``since`` (the last 02:00) instead of waiting for the next night. Reads the schedule's
    identity from the code server, as the daemon does."""
    from dagster._core.scheduler.instigation import (
        InstigatorState,
        InstigatorStatus,
        InstigatorType,
        ScheduleInstigatorData,
    )
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(workspace)])) as context:
        location = context.create_request_context().get_code_location("adwh")
        (repository,) = location.get_repositories().values()
        schedule = repository.get_schedule("nightly")
        assert instance.get_instigator_state(schedule.get_remote_origin_id(), schedule.selector_id) is None
        instance.add_instigator_state(
            InstigatorState(
                schedule.get_remote_origin(),
                InstigatorType.SCHEDULE,
                InstigatorStatus.DECLARED_IN_CODE,
                ScheduleInstigatorData(schedule.cron_schedule, since),
            )
        )
        return schedule.get_remote_origin_id(), schedule.selector_id


def test_pool_serialises_cli_runs_and_scheduled_tick_on_postgres(postgres_server, tmp_path, monkeypatch):
    import dagster as dg

    tick = last_nightly_tick(datetime.now(UTC))
    first = last = tick.date() - timedelta(days=1)  # the nightly window of ADWH_RESTATEMENT_DAYS=1
    landing = tmp_path / "landing"
    subprocess.run(
        [
            ADWH,
            "generate",
            "--out",
            str(landing),
            "--sources",
            SOURCE,
            "--start",
            first.isoformat(),
            "--end",
            last.isoformat(),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )

    db_name = f"adwh_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(db_name)
    pg_env = postgres_server.env(db_name)
    # Two sources and one day keep the three serialised dbt builds small (the pool is what is tested).
    settings = {
        "ADWH_START_DATE": first.isoformat(),
        "ADWH_RESTATEMENT_DAYS": "1",
        "ADWH_SCHEDULE_TIMEZONE": "UTC",
        "ADWH_SOURCES": SOURCE,
    }
    # The production layout: shipped dagster.yaml and units; the nightly run's settings in the env file.
    night_landing = tmp_path / "nightly-landing"
    shutil.copytree(landing, night_landing)
    layout = units.make_layout(
        tmp_path / "production",
        # the salt of make_workspace: hashed ids equal across the three runs
        {
            **pg_env,
            **settings,
            "ADWH_LANDING_DIR": str(night_landing),
            "ADWH_PII_SALT": "reliability-test-salt-0123456789",
        },
        code_server_port=free_port(),
    )
    home = layout.state / "dagster_home"
    for name, value in pg_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # Creates the schema once, before several processes connect (docs/deploy.md: `dagster instance migrate`).
    instance = dg.DagsterInstance.from_config(str(home))

    def workspace(name: str) -> Workspace:
        ws = make_workspace(tmp_path / name, landing_from=landing)
        ws.env.update({**pg_env, **settings, "DAGSTER_HOME": str(home)})
        return ws

    ws_a, ws_b = workspace("a"), workspace("b")
    service_env = {k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DAGSTER_"))}
    dates = ("--start", first.isoformat(), "--end", last.isoformat())
    services: list[Service] = []
    run_a = ws_a.start("run", *dates, log="run", extra_env={"ADWH_TEST_PAUSE_AT": "publish"})
    run_b = None
    try:
        # (while A ingests) the code server, and the nightly schedule's state as if the daemon had
        # been running since before the last 02:00
        code_server, _ = units.start_unit(
            "adwh-dagster-code-server.service", base_env=service_env, layout=layout, log_dir=tmp_path
        )
        services.append(code_server)
        wait_for_log(code_server, units.CODE_SERVER_LISTENING)
        schedule_ids = seed_nightly_state(instance, layout.workspace, since=tick.timestamp() - 60)

        # 1. A holds the pool slot (paused inside analyst_snapshot).
        run_a.wait_until(lambda: (ws_a.hooks / "paused-publish").exists(), "run A paused in analyst_snapshot")
        (a_run,) = runs_tagged(instance, **{"adwh/pid": str(run_a.popen.pid)})
        assert instance.event_log_storage.get_concurrency_info(POOL).claimed_slots, "A holds no pool slot"

        # 2. B, another process on the same instance, waits for the slot; 3. so does the run of the
        # nightly tick, which the daemon evaluates, queues and launches (both started together).
        run_b = ws_b.start("run", *dates, log="run")
        daemon, _ = units.start_unit(
            "adwh-dagster-daemon.service", base_env=service_env, layout=layout, log_dir=tmp_path
        )
        services.append(daemon)
        b_run = wait_for(
            lambda: next(iter(runs_tagged(instance, **{"adwh/pid": str(run_b.popen.pid)})), None),
            "run B recorded",
            procs=[run_b],
        )
        wait_for(lambda: blocked_on_pool(instance, b_run.run_id), "run B blocked by the pool", procs=[run_b])

        night_run = wait_for(
            lambda: next(iter(runs_tagged(instance, **{"adwh/trigger": "nightly"})), None),
            "the nightly tick's run",
            procs=[daemon, code_server],
        )
        assert night_run.tags["dagster/schedule_name"] == "nightly"
        assert night_run.tags["adwh/nightly_date"] == tick.date().isoformat()
        assert (
            night_run.tags["dagster/asset_partition_range_start"],
            night_run.tags["dagster/asset_partition_range_end"],
        ) == (first.isoformat(), last.isoformat())
        wait_for(
            lambda: blocked_on_pool(instance, night_run.run_id),
            "the nightly run blocked by the pool",
            procs=[daemon, code_server],
        )
        assert instance.get_run_by_id(night_run.run_id).status == dg.DagsterRunStatus.STARTED  # launched, waiting
        assert instance.all_logs(night_run.run_id, of_type=dg.DagsterEventType.RUN_ENQUEUED), "not queued"
        (schedule_tick,) = instance.get_ticks(*schedule_ids)
        assert schedule_tick.timestamp == tick.timestamp() and night_run.run_id in schedule_tick.run_ids

        # 4. Release A; everything finishes.
        (ws_a.hooks / "release-publish").write_text("")
        assert run_a.wait() == 0, run_a.output()[-4000:]
        assert run_b.wait() == 0, run_b.output()[-4000:]
        done = wait_for(
            lambda: (r := instance.get_run_by_id(night_run.run_id)).is_finished and r,
            "the nightly run to finish",
            procs=[daemon, code_server],
        )
        assert done.status == dg.DagsterRunStatus.SUCCESS, f"nightly run {done.status}:\n{daemon.output()}"

        # The services on this instance stop on SIGTERM (as systemd stops them) within 30 s.
        for service in reversed(services):
            assert service.terminate(everyone=True) < STOP_TIMEOUT
    finally:
        for proc in (run_a, run_b):
            if proc is not None and proc.popen.poll() is None:
                proc.kill_group()
        for service in services:
            service.kill()

    # The pool's steps of all three runs never overlapped in time.
    runs = [instance.get_run_by_id(r.run_id) for r in (a_run, b_run, night_run)]
    windows = sorted(w for run in runs for w in pool_step_windows(instance, run))
    for before, after in zip(windows, windows[1:]):
        assert before[1] <= after[0], f"pool steps overlapped: {before} and {after}"
    assert {w[2] for w in windows} == {r.run_id for r in runs}
    info = instance.event_log_storage.get_concurrency_info(POOL)
    assert info.slot_count == 1 and not info.claimed_slots and not info.pending_steps, info
    instance.dispose()

    # Neither the database password nor the salt reached a log: services, CLI runs, compute logs.
    secrets = {"DAGSTER_PG_PASSWORD": postgres_server.password, "ADWH_PII_SALT": ws_a.env["ADWH_PII_SALT"]}
    logs = [service.log for service in services] + [
        ws.root / f"run.{ext}" for ws in (ws_a, ws_b) for ext in ("out", "err")
    ]
    assert assert_not_logged(secrets, *logs, home) >= len(logs)

    # Same landing files and dates: the three runs published the same marts.
    reference = read_tables(ws_a.analyst, schemas=("marts",))
    assert reference
    assert_same_tables(read_tables(ws_b.analyst, schemas=("marts",)), reference)
    assert_same_tables(read_tables(layout.state / "data" / "analyst.duckdb", schemas=("marts",)), reference)
