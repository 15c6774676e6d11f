"""The pull's clock: what "now" is for the e-mail platforms' as-of-call snapshots.

Call ``clock.now()`` through the module (``from orchestration.pull import clock``) so that a
test can replace it in a real ``adwh`` process (tests/pull/fixed_clock.py, injected with
``ADWH_OBSERVERS``)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
