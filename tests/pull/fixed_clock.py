"""Test seam: fixes the pull's clock in a real ``adwh`` process (test-only).

Injected with ``ADWH_OBSERVERS=tests.pull.fixed_clock`` (``orchestration/run_events.py``): importing
this module makes ``orchestration.pull.clock.now()`` return ``ADWH_TEST_NOW`` (ISO 8601 with an
offset), so the e-mail platforms' as-of-call rule can be tested on fixed report dates.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from orchestration.pull import clock

NOW_ENV = "ADWH_TEST_NOW"

if os.environ.get(NOW_ENV):
    _fixed = datetime.fromisoformat(os.environ[NOW_ENV])
    clock.now = lambda: _fixed


def observe(point: str, details: dict[str, Any]) -> None:
    """Run events are of no interest here; importing the module is the point."""
