"""The Spark tests (docs/scale-out.md): they need Java and the optional `spark` extra."""

from __future__ import annotations

import importlib.util
import shutil

import pytest


def require_spark() -> None:
    """Skip the calling test module, with the reason, when Java or the `spark` extra is missing
    (CI installs both: .ci/run and `make test`)."""
    if shutil.which("java") is None:
        pytest.skip("Spark tests need Java (Debian: openjdk-17-jre-headless)", allow_module_level=True)
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        pytest.skip("Spark tests need the spark extra: make venv-spark", allow_module_level=True)
