"""Dagster definitions of adwh: the modules of ``orchestration/defs/``, autoloaded.

``dagster dev`` (from the repo root, ``[tool.dagster]`` in pyproject.toml) and ``dg`` (the
``[tool.dg]`` project) load ``defs`` below; ``adwh run`` and the tests call
``build_definitions(settings)`` for the settings they were given.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.schedules import ALL_ASSETS_JOB
from orchestration.settings import REPO_ROOT, Settings, use_settings

__all__ = ["ALL_ASSETS_JOB", "build_definitions", "defs"]


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    settings.export()
    with use_settings(settings):
        return dg.load_from_defs_folder(path_within_project=REPO_ROOT)


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded lazily by `dagster dev` / the code server (importing this module has no side effects)."""
    return build_definitions()
