"""Named points a run reaches, and the observers that want to know.

Production code announces a point with ``reached(point, **details)``:

| point | when |
|---|---|
| ``run-locked`` | ``adwh run`` holds the warehouse run lock |
| ``ingest:<source>:<YYYY-MM-DD>`` | that partition was ingested (written or found unchanged) |
| ``publish`` | dbt is done; the analyst snapshot is about to be replaced |

With no observer subscribed (the default) ``reached`` returns at once. Observers are
plain callables ``(point, details) -> None`` subscribed in-process with ``subscribe``, or
named in ``ADWH_OBSERVERS`` (comma-separated ``module`` or ``module:function``, read once
by the CLI at start-up through ``install_from_env``). The reliability tests inject
``tests.reliability.pause_observer`` this way to pause a real ``adwh run`` process at a
point and kill it there.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

Observer = Callable[[str, dict[str, Any]], None]
OBSERVERS_ENV = "ADWH_OBSERVERS"

_observers: list[Observer] = []


def subscribe(observer: Observer) -> Callable[[], None]:
    """Add ``observer``; returns a function that removes it again."""
    _observers.append(observer)
    return lambda: _observers.remove(observer) if observer in _observers else None


def reached(point: str, **details: Any) -> None:
    for observer in list(_observers):
        observer(point, details)


def install_from_env(env: dict[str, str] | None = None) -> list[str]:
    """Subscribe the observers named in ``ADWH_OBSERVERS`` (``module`` means ``module:observe``)."""
    env = os.environ if env is None else env
    installed = []
    for spec in filter(None, (part.strip() for part in (env.get(OBSERVERS_ENV) or "").split(","))):
        module_name, _, attribute = spec.partition(":")
        observer = getattr(importlib.import_module(module_name), attribute or "observe")
        if observer not in _observers:
            subscribe(observer)
            installed.append(spec)
    return installed
