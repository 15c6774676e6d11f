"""The warehouse run lock: one ``adwh run`` at a time per warehouse, and no pool slot held
by a dead run (Dagster-free apart from reading the instance's runs)."""

from __future__ import annotations

import fcntl
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.settings import Settings


def run_lock_path(settings: Settings) -> Path:
    """The OS lock file next to the warehouse that serialises `adwh run` processes."""
    return settings.warehouse.with_name(settings.warehouse.name + ".run.lock")


@contextmanager
def warehouse_run_lock(settings: Settings) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``<warehouse>.run.lock`` for a whole run.

    Two `adwh run` processes on one warehouse (the nightly run and a backfill) queue here:
    the second waits, says so on stderr, and starts when the first ends. The kernel drops
    the lock when its holder dies (even by SIGKILL), so a killed run never blocks the next.
    This is the fallback under the Dagster pool `adwh_warehouse`: the pool also queues runs
    launched from the UI, but a run killed while it holds a pool slot keeps the slot claimed
    in the instance (see ``release_dead_runs``).
    """
    path = run_lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            print(
                f"adwh: waiting for the warehouse lock {path} (held by another run, {holder}); "
                "this run starts when that one ends",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_runs(instance: object) -> list[str]:
    """Mark CLI runs whose process died (SIGKILL, OOM, power loss) as failed and free their
    pool slots; otherwise the `adwh_warehouse` slot they held stays claimed and every later
    run waits for it forever. Called while holding the run lock, so no live `adwh run` of
    this warehouse is among them; runs of other live processes are left alone."""
    import dagster as dg

    released = []
    runs = instance.get_runs(  # type: ignore[attr-defined]
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING],
            tags={"adwh/trigger": "cli"},
        )
    )
    for run in runs:
        pid, host = run.tags.get("adwh/pid"), run.tags.get("adwh/host")
        if not pid or not pid.isdigit() or host != socket.gethostname() or _pid_alive(int(pid)):
            continue
        storage = instance.event_log_storage  # type: ignore[attr-defined]
        if storage.supports_global_concurrency_limits:
            storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(  # type: ignore[attr-defined]
            run, message=f"adwh: the process of this run (pid {pid}) died; marked failed, pool slots freed"
        )
        released.append(run.run_id)
    return released
