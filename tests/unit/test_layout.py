"""The repository keeps one place per fact and explains itself (docs/architecture.md)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from dagster.components.definitions import LazyDefinitions

import orchestration.defs
from orchestration import registry, run_events
from orchestration.cli import build_parser
from orchestration.settings import Settings, default_analyst_db, parse_sources
from tests.paths import REPO

SOURCE_NAMES = [source.name for source in registry.SOURCES]


def _repo_files(*suffixes: str) -> list[Path]:
    skip = {".git", ".venv", "target", "logs", "data", "node_modules", "fixtures"}
    return [
        path
        for path in REPO.rglob("*")
        if path.is_file() and path.suffix in suffixes and not skip.intersection(path.relative_to(REPO).parts)
    ]


def test_the_registry_is_the_only_list_of_sources():
    """No other file spells out the whole list of sources (adding one = one registry entry)."""
    offenders = []
    for path in _repo_files(".py", ".sql", ".yml", ".yaml", ".toml"):
        # tests may spell out the sources they expect; the product may not
        if path == REPO / "orchestration" / "registry.py" or path.relative_to(REPO).parts[0] == "tests":
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if all(name in line for name in SOURCE_NAMES):
                offenders.append(f"{path.relative_to(REPO)}:{number}")
    assert not offenders, f"the list of sources is written outside orchestration/registry.py: {offenders}"
    assert parse_sources(None) == registry.ALL_SOURCES


def test_the_repo_does_not_cite_a_document_outside_it():
    cited = [
        str(path.relative_to(REPO))
        for path in _repo_files(".py", ".sql", ".yml", ".md", ".csv", ".toml")
        if re.search("DESIGN" + r"(\.md)?\s*§", path.read_text(errors="replace"))
    ]
    assert not cited, (
        f"these cite a section of the design contract, which is not in the repository (use docs/architecture.md): {cited}"
    )


def test_every_sub_command_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = sorted(sub.choices)
    cli_doc = importlib.import_module("orchestration.cli").__doc__
    readme = (REPO / "README.md").read_text()
    for command in commands:
        assert f"adwh {command}" in cli_doc, f"`adwh {command}` missing from the CLI docstring"
        assert f"adwh {command}" in readme, f"`adwh {command}` missing from the README"


def test_every_defs_module_exposes_its_own_definitions():
    """orchestration/defs/ holds Dagster definitions only, each module loadable on its own."""
    helpers = {"partitions"}  # shared by the asset modules; defines nothing by itself
    for info in pkgutil.iter_modules(orchestration.defs.__path__):
        module = importlib.import_module(f"orchestration.defs.{info.name}")
        if info.name in helpers:
            continue
        lazy = [value for value in vars(module).values() if isinstance(value, LazyDefinitions)]
        assert lazy, f"orchestration/defs/{info.name}.py has no @dg.definitions function"


@pytest.mark.parametrize(
    ("warehouse", "snapshot"),
    [("/srv/a/warehouse.duckdb", "/srv/a/analyst.duckdb"), ("/srv/b/prod.duckdb", "/srv/b/prod.analyst.duckdb")],
)
def test_analyst_snapshot_defaults_beside_its_warehouse(warehouse, snapshot):
    assert default_analyst_db(Path(warehouse)) == Path(snapshot)
    settings = Settings.from_env({"ADWH_DATA_DIR": "/srv/data", "ADWH_WAREHOUSE": warehouse})
    assert settings.analyst_db == Path(snapshot)


def test_two_warehouses_never_share_a_snapshot():
    one = Settings.from_env({"ADWH_DATA_DIR": "/srv/data", "ADWH_WAREHOUSE": "/srv/x/one.duckdb"})
    two = Settings.from_env({"ADWH_DATA_DIR": "/srv/data", "ADWH_WAREHOUSE": "/srv/x/two.duckdb"})
    assert one.analyst_db != two.analyst_db


def test_run_events_reach_subscribed_observers_only():
    seen: list[tuple[str, dict]] = []
    run_events.reached("publish")  # no observer: nothing happens
    unsubscribe = run_events.subscribe(lambda point, details: seen.append((point, details)))
    try:
        run_events.reached("ingest:ga4:2024-01-01", rows=3)
    finally:
        unsubscribe()
    run_events.reached("publish")
    assert seen == [("ingest:ga4:2024-01-01", {"rows": 3})]


def test_observers_named_in_the_environment_are_installed_once(monkeypatch):
    calls: list[str] = []
    module = type(importlib)("adwh_test_observer_module")
    module.observe = lambda point, details: calls.append(point)
    monkeypatch.setitem(importlib.sys.modules, "adwh_test_observer_module", module)
    try:
        assert run_events.install_from_env({run_events.OBSERVERS_ENV: "adwh_test_observer_module"}) == [
            "adwh_test_observer_module"
        ]
        assert run_events.install_from_env({run_events.OBSERVERS_ENV: "adwh_test_observer_module"}) == []
        run_events.reached("run-locked")
        assert calls == ["run-locked"]
    finally:
        run_events._observers.remove(module.observe)


def _declared_distributions() -> set[str]:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {re.split(r"[\[=<>!~ ;]", req, maxsplit=1)[0].lower().replace("_", "-") for req in requirements}


def test_every_third_party_import_of_the_package_is_a_declared_dependency():
    """A module the product imports must be pinned in pyproject.toml, not arrive by accident
    through another package (numpy did, through pandas)."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    owners = packages_distributions()
    declared = _declared_distributions()
    missing = {}
    for path in (REPO / "orchestration").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("orchestration", "tests", "__future__"):
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & declared:
                    missing.setdefault(top, []).append(str(path.relative_to(REPO)))
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
