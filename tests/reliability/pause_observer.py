"""A run-events observer that pauses a real ``adwh`` process at a named point (test-only).

Injected into the subprocess with ``ADWH_OBSERVERS=tests.reliability.pause_observer``
(see ``orchestration.run_events``). ``ADWH_TEST_PAUSE_AT`` names the point(s)
(``ingest:<source>:<YYYY-MM-DD>``, ``publish``, ``run-locked``). When the process reaches
one it writes ``$ADWH_TEST_HOOK_DIR/paused-<point>`` (containing its pid) and waits until
``$ADWH_TEST_HOOK_DIR/release-<point>`` exists. Tests synchronise on these files (a test
kills the paused process, or creates the release file), never on sleeps.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

PAUSE_ENV = "ADWH_TEST_PAUSE_AT"
DIR_ENV = "ADWH_TEST_HOOK_DIR"


def file_name(point: str) -> str:
    return point.replace(":", "_").replace("/", "_")


def observe(point: str, details: dict[str, Any]) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or point not in wanted.split(","):
        return
    folder = Path(os.environ.get(DIR_ENV) or ".")
    folder.mkdir(parents=True, exist_ok=True)
    release = folder / f"release-{file_name(point)}"
    (folder / f"paused-{file_name(point)}").write_text(str(os.getpid()))
    while not release.exists():
        time.sleep(0.05)  # polls for the release file; the test decides when it appears
