"""When the prepared dbt manifest is stale (the newest input of a parse), and the partial parse
handed from one dbt invocation to the next (orchestration/defs/dbt.py)."""

from __future__ import annotations

import os

from orchestration.defs import dbt as dbt_defs


def _touch(path, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (mtime, mtime))


def test_newest_input_ignores_dbts_own_outputs(tmp_path, monkeypatch):
    project, repo = tmp_path / "dbt_project", tmp_path
    monkeypatch.setattr(dbt_defs, "DBT_PROJECT_DIR", project)
    monkeypatch.setattr(dbt_defs, "REPO_ROOT", repo)
    _touch(repo / "profiles.yml", 1_000)
    _touch(project / "dbt_project.yml", 2_000)
    _touch(project / "models" / "marts" / "fct.sql", 3_000)
    _touch(repo / "seeds" / "fx_rates.csv", 2_500)
    # dbt's outputs, newer than every input: a run's folder, the logs, installed packages
    _touch(project / "target" / "adwh_dbt-1234567-abc" / "run_results.json", 9_000)
    _touch(project / "logs" / "dbt.log", 9_100)
    _touch(project / "dbt_packages" / "pkg" / "macro.sql", 9_200)
    assert dbt_defs._newest_input_mtime() == 3_000

    _touch(project / "models" / "staging" / "target" / "stg.sql", 4_000)  # a model folder named target is input
    assert dbt_defs._newest_input_mtime() == 4_000
    _touch(repo / "seeds" / "channel_mapping.csv", 5_000)
    assert dbt_defs._newest_input_mtime() == 5_000
    _touch(repo / "profiles.yml", 6_000)
    assert dbt_defs._newest_input_mtime() == 6_000


def test_partial_parse_is_seeded_once_then_handed_on_by_each_invocation(tmp_path):
    prepared, runs = tmp_path / "target" / "adwh-0123456789ab", tmp_path / "data" / "dbt"
    prepared.mkdir(parents=True)
    (prepared / "partial_parse.msgpack").write_bytes(b"prepared")
    dbt_defs.seed_partial_parse(prepared, runs)
    assert (runs / "partial_parse.msgpack").read_bytes() == b"prepared"

    # an invocation that parsed again (another profile, a changed model) hands its parse on ...
    first = runs / "adwh_dbt-aaaaaaa-1111111"
    first.mkdir()
    (first / "partial_parse.msgpack").write_bytes(b"parsed by the first run")
    assert dbt_defs.hand_on_partial_parse(first, runs) is True
    assert (runs / "partial_parse.msgpack").read_bytes() == b"parsed by the first run"
    # ... and the prepared one no longer replaces it
    dbt_defs.seed_partial_parse(prepared, runs)
    assert (runs / "partial_parse.msgpack").read_bytes() == b"parsed by the first run"

    # an invocation that reused it unchanged, or failed before parsing, changes nothing
    second = runs / "adwh_dbt-bbbbbbb-2222222"
    second.mkdir()
    (second / "partial_parse.msgpack").write_bytes(b"parsed by the first run")
    assert dbt_defs.hand_on_partial_parse(second, runs) is False
    third = runs / "adwh_dbt-ccccccc-3333333"
    third.mkdir()
    assert dbt_defs.hand_on_partial_parse(third, runs) is False
    assert (runs / "partial_parse.msgpack").read_bytes() == b"parsed by the first run"
    assert not list(runs.glob(".*.tmp"))  # no temporary file left behind
