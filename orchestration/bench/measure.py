"""Measuring one command from outside: wall time and the peak RSS of its whole process tree
(psutil), and reading what a finished run recorded about itself: Dagster's step events (ingest
per source, dbt, publish) and dbt's ``run_results.json`` (seconds per model and per test)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.1


@dataclass
class Measured:
    command: list[str]
    wall_seconds: float
    peak_rss_bytes: int
    returncode: int
    started_at: float  # time.time() at start
    log: Path


class _TreeRss(threading.Thread):
    """Polls the summed RSS of a process and all its descendants; keeps the maximum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for process in processes:
                try:
                    total += process.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak = max(self.peak, total)
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def run_measured(command: Sequence[str], *, env: dict[str, str], log: Path, cwd: Path | None = None) -> Measured:
    """Run ``command`` to completion (its output -> ``log``); wall time and peak tree RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started_at = time.time()
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        sampler = _TreeRss(process.pid)
        sampler.start()
        returncode = process.wait()
        wall = time.perf_counter() - started
        peak = sampler.stop()
    return Measured(list(command), wall, peak, returncode, started_at, log)


def check(measured: Measured) -> Measured:
    """``measured``, or a RuntimeError with the tail of its log when the command failed."""
    if measured.returncode != 0:
        tail = "\n".join(measured.log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(
            f"benchmark step failed (exit {measured.returncode}): {' '.join(measured.command)}\n"
            f"log {measured.log}:\n{tail}"
        )
    return measured


# ----------------------------------------------------------------------------- Dagster
@dataclass
class RunPhases:
    run_id: str
    run_seconds: float  # RUN_START .. RUN_SUCCESS/FAILURE
    steps: dict[str, float] = field(default_factory=dict)  # step key -> seconds


def latest_run_phases(dagster_home: Path) -> RunPhases:
    """Step durations of the newest run recorded in the instance at ``dagster_home``."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(os.fspath(dagster_home))
    try:
        runs = instance.get_runs(limit=1)
        if not runs:
            raise RuntimeError(f"no run recorded in {dagster_home}")
        run = runs[0]
        starts: dict[str, float] = {}
        ends: dict[str, float] = {}
        run_start = run_end = None
        kinds = dg.DagsterEventType
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None:
                continue
            kind = event.event_type
            if kind == kinds.RUN_START:
                run_start = record.timestamp
            elif kind in (kinds.RUN_SUCCESS, kinds.RUN_FAILURE):
                run_end = record.timestamp
            elif kind == kinds.STEP_START and event.step_key:
                starts.setdefault(event.step_key, record.timestamp)
            elif kind in (kinds.STEP_SUCCESS, kinds.STEP_FAILURE) and event.step_key:
                ends[event.step_key] = record.timestamp
        steps = {key: round(ends[key] - starts[key], 3) for key in starts if key in ends}
        run_seconds = (run_end - run_start) if run_start is not None and run_end is not None else float("nan")
        return RunPhases(run.run_id, round(run_seconds, 3), dict(sorted(steps.items())))
    finally:
        instance.dispose()


# ----------------------------------------------------------------------------- dbt
def run_results_of(target: Path, run_id: str) -> Path | None:
    """dbt's ``run_results.json`` of a Dagster run: dagster-dbt gives each invocation a target
    folder ``<target>/<asset name>-<first 7 characters of the run id>-<suffix>/``."""
    candidates = list(target.glob(f"*-{run_id[:7]}-*/run_results.json"))
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def dbt_timings(run_results: Path) -> dict:
    """Seconds per model and per test of a dbt invocation, and its total elapsed time."""
    data = json.loads(run_results.read_text())
    models: dict[str, float] = {}
    tests: dict[str, float] = {}
    seeds: dict[str, float] = {}
    for result in data.get("results", []):
        unique_id = result["unique_id"]
        kind, name = unique_id.split(".")[0], unique_id.split(".")[-1]
        seconds = round(float(result.get("execution_time") or 0.0), 3)
        if kind == "model":
            models[name] = seconds
        elif kind == "test":
            tests[unique_id.split(".", 2)[-1]] = seconds
        elif kind == "seed":
            seeds[name] = seconds
    return {
        "elapsed_seconds": round(float(data.get("elapsed_time") or 0.0), 3),
        "models_seconds": round(sum(models.values()), 3),
        "tests_seconds": round(sum(tests.values()), 3),
        "seeds_seconds": round(sum(seeds.values()), 3),
        "models": dict(sorted(models.items(), key=lambda kv: -kv[1])),
        "tests_slowest": dict(sorted(tests.items(), key=lambda kv: -kv[1])[:10]),
        "tests_count": len(tests),
    }
