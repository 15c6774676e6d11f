"""dbt docs are complete: every model, seed and source (and each of their columns) has a
description, every column the warehouse actually has is documented, and the report and the
analyst guide are declared as exposures on exactly the marts they read.

Runs `dbt docs generate` on a private copy of the project against a built warehouse (the
catalog is what the warehouse really holds), see ``dbt_copy`` in conftest.py."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from orchestration.report import queries

PACKAGE = "adwh"


@pytest.fixture(scope="module")
def manifest(dbt_copy) -> dict:
    return dbt_copy.artifact("manifest.json")


@pytest.fixture(scope="module")
def catalog(dbt_copy) -> dict:
    return dbt_copy.artifact("catalog.json")


def _nodes(manifest: dict, resource_type: str) -> dict[str, dict]:
    pool = manifest["sources"] if resource_type == "source" else manifest["nodes"]
    return {
        uid: node
        for uid, node in pool.items()
        if node["resource_type"] == resource_type and node["package_name"] == PACKAGE
    }


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


@pytest.mark.parametrize("resource_type", ["model", "seed", "source"])
def test_every_node_and_declared_column_is_described(manifest, resource_type):
    nodes = _nodes(manifest, resource_type)
    assert nodes, f"no {resource_type}s in the manifest"
    missing = []
    for uid, node in sorted(nodes.items()):
        if _blank(node.get("description")):
            missing.append(uid)
        if resource_type == "source" and _blank(node.get("source_description")):
            missing.append(f"{uid} (the source {node['source_name']})")
        missing += [f"{uid}.{name}" for name, column in node["columns"].items() if _blank(column.get("description"))]
    assert not missing, f"{len(missing)} undescribed {resource_type}s / columns:\n" + "\n".join(missing)


@pytest.mark.parametrize("resource_type", ["model", "seed"])
def test_every_column_in_the_warehouse_is_documented(manifest, catalog, resource_type):
    """The catalog lists the relations' real columns: each must be declared with a description."""
    undocumented, stale = [], []
    nodes = _nodes(manifest, resource_type)
    in_catalog = 0
    for uid, node in sorted(nodes.items()):
        entry = catalog["nodes"].get(uid)
        if entry is None:
            continue  # ephemeral, disabled or not built (e.g. a source switched off)
        in_catalog += 1
        real = {name.lower() for name in entry["columns"]}
        declared = {name.lower(): column for name, column in node["columns"].items()}
        undocumented += [f"{uid}.{name}" for name in sorted(real) if _blank(declared.get(name, {}).get("description"))]
        stale += [f"{uid}.{name}" for name in sorted(set(declared) - real)]
    assert in_catalog, f"no {resource_type} of the manifest is in the catalog (warehouse not built?)"
    assert not undocumented, f"{len(undocumented)} columns without a description:\n" + "\n".join(undocumented)
    assert not stale, f"{len(stale)} documented columns the relation does not have:\n" + "\n".join(stale)


def test_every_source_column_in_the_lake_is_documented(manifest, built):
    """Sources are Parquet in the lake (no relation in the catalog): their real columns are the
    Parquet schema of a published partition (minus report_date, which comes from the hive path)."""
    undocumented, stale, checked = [], [], 0
    for uid, node in sorted(_nodes(manifest, "source").items()):
        files = sorted((built.lake_dir / "raw" / node["source_name"]).glob(f"report_date=*/{node['name']}.parquet"))
        if not files:
            continue
        checked += 1
        real = {name.lower() for name in pq.read_schema(files[-1]).names} | {"report_date"}
        declared = {name.lower(): column for name, column in node["columns"].items()}
        undocumented += [f"{uid}.{name}" for name in sorted(real) if _blank(declared.get(name, {}).get("description"))]
        stale += [f"{uid}.{name}" for name in sorted(set(declared) - real)]
    assert checked, "no source table found in the lake"
    assert not undocumented, f"{len(undocumented)} raw columns without a description:\n" + "\n".join(undocumented)
    assert not stale, f"{len(stale)} documented raw columns the Parquet files do not have:\n" + "\n".join(stale)


def _exposure(manifest: dict, name: str) -> dict:
    matches = [e for e in manifest["exposures"].values() if e["name"] == name]
    assert len(matches) == 1, f"exposure {name} not declared once"
    return matches[0]


def _depends_on_models(manifest: dict, exposure: dict) -> set[str]:
    return {manifest["nodes"][uid]["name"] for uid in exposure["depends_on"]["nodes"] if uid.startswith("model.")}


def test_report_exposure_lists_exactly_the_marts_the_report_reads(manifest):
    exposure = _exposure(manifest, "adwh_report")
    assert exposure["type"] == "dashboard" and not _blank(exposure["description"])
    assert exposure["owner"].get("name") or exposure["owner"].get("email")
    assert _depends_on_models(manifest, exposure) == set(queries.MARTS)


def test_analyst_guide_exposure_lists_the_marts_its_queries_read(manifest):
    import re

    from tests.report.test_analyst_guide import guide_queries

    exposure = _exposure(manifest, "analyst_guide")
    assert exposure["type"] == "analysis" and not _blank(exposure["description"])
    read = {name for sql in guide_queries().values() for name in re.findall(r"\bmarts\.([a-z_]+)", sql)}
    assert _depends_on_models(manifest, exposure) == read
