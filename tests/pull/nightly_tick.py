"""Test helper: one tick of the nightly schedule, as the Dagster daemon would run it, in a real
process: ``python -m tests.pull.nightly_tick <scheduled time ISO 8601>``.

Evaluates the ``nightly`` schedule of the definitions built from the environment for that
scheduled time and executes the job with the run request's tags on the persistent instance
($DAGSTER_HOME), under the warehouse run lock. Exit status 0 when the run succeeded.
"""

from __future__ import annotations

import sys
from datetime import datetime

import dagster as dg

from orchestration import run_events
from orchestration.cli import dagster_instance
from orchestration.definitions import ALL_ASSETS_JOB, build_definitions
from orchestration.security import install_log_redaction, redact
from orchestration.settings import Settings
from orchestration.warehouse.run_lock import warehouse_run_lock


def main(argv: list[str]) -> int:
    install_log_redaction()
    run_events.install_from_env()
    scheduled = datetime.fromisoformat(argv[0])
    settings = Settings.from_env()
    with warehouse_run_lock(settings):
        defs = build_definitions(settings)
        schedule = defs.resolve_schedule_def("nightly")
        request = schedule(dg.build_schedule_context(scheduled_execution_time=scheduled))
        if not isinstance(request, dg.RunRequest):
            print(f"nightly skipped: {request}", file=sys.stderr)
            return 1
        print(f"nightly run request tags: {dict(request.tags)}")
        with dagster_instance(settings) as instance:
            result = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
                instance=instance, tags=dict(request.tags), raise_on_error=False
            )
    for event in result.all_events:
        if event.is_step_failure:
            print(f"FAILED {event.step_key}: {redact(event.step_failure_data.error.message.strip())}", file=sys.stderr)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
