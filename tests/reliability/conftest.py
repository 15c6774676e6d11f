"""Session fixtures of the reliability tests (helpers: reliability_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.helpers import END, START, Workspace, make_workspace, read_tables


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory) -> Path:
    from orchestration.sample.generate import generate

    out = tmp_path_factory.mktemp("generated") / "landing"
    generate(out, START, END)
    return out


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory, generated_landing) -> tuple[Workspace, dict[str, list[tuple]]]:
    """One uninterrupted run over the generated days: the reference every scenario compares with."""
    ws = make_workspace(tmp_path_factory.mktemp("clean"), generated_landing)
    proc = ws.run(log="clean")
    assert proc.popen.returncode == 0, proc.output()[-4000:]
    return ws, read_tables(ws.analyst)
