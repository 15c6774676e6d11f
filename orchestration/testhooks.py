"""Pause points for the reliability tests (inert unless ``ADWH_TEST_PAUSE_AT`` is set).

``ADWH_TEST_PAUSE_AT`` names one point (``ingest:<source>:<YYYY-MM-DD>`` = after that
partition was written, ``publish`` = before the snapshot is copied, ``run-locked`` = after
``adwh run`` took the warehouse lock). When the process reaches it, it writes
``$ADWH_TEST_HOOK_DIR/paused-<point>`` (containing its pid) and waits until
``$ADWH_TEST_HOOK_DIR/release-<point>`` exists. Tests synchronise on these files (a test
kills the paused process, or creates the release file), never on sleeps.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "ADWH_TEST_PAUSE_AT"
DIR_ENV = "ADWH_TEST_HOOK_DIR"


def _file_name(point: str) -> str:
    return point.replace(":", "_").replace("/", "_")


def pause_point(point: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or point not in wanted.split(","):
        return
    folder = Path(os.environ.get(DIR_ENV) or ".")
    folder.mkdir(parents=True, exist_ok=True)
    release = folder / f"release-{_file_name(point)}"
    (folder / f"paused-{_file_name(point)}").write_text(str(os.getpid()))
    while not release.exists():
        time.sleep(0.05)  # polls for the release file; the test decides when it appears
