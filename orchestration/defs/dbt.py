"""dbt models as Dagster assets, on the same daily partitions as ingestion.

The manifest is prepared (``dbt parse``) on demand, into a target folder of its own per
set of enabled sources: when it is missing or older than any file of the dbt project or
the seeds (``ADWH_SOURCES`` -> ``--vars {"<source>_enabled": ...}`` switches the
source's staging folder and its models on and off).
"""

import fcntl
import filecmp
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration import run_events
from orchestration.defs.partitions import daily_partitions
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings, current_settings
from orchestration.warehouse import WAREHOUSE_POOL
from orchestration.warehouse.dbt_args import dbt_build_args, source_vars, vars_arg, window_env, window_vars
from orchestration.warehouse.spark import WEIGHTS_MODEL, dagster_after_phase, spark_phases

PREPARED_STAMP = "adwh_prepared.json"


def _parse_settings(settings: Settings) -> dict[str, Any]:
    """What a parsed manifest depends on besides the project's files."""
    return {"sources": list(settings.sources), "target": settings.dbt_target}


def dbt_project(settings: Settings) -> DbtProject:
    """The dbt project, with a target folder of its own for each set of parse settings.

    Two processes with different enabled sources (two workspaces, parallel test workers, an
    operator's ad-hoc run beside the schedule) must never read each other's manifest: each set
    parses into ``target/adwh-<digest>/``.
    """
    digest = hashlib.sha256(json.dumps(_parse_settings(settings), sort_keys=True).encode()).hexdigest()[:12]
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=REPO_ROOT,
        target=settings.dbt_target,
        target_path=Path("target") / f"adwh-{digest}",
    )


# dbt's outputs inside the project: never inputs of a parse, and never walked (target/ holds a
# folder of about 10 MB per dbt invocation until housekeeping prunes it, so walking it made
# every run's start-up grow with the number of runs before it)
_NOT_INPUTS = frozenset({"target", "logs", "dbt_packages"})


def _newest_input_mtime() -> float:
    newest = 0.0
    for folder in (DBT_PROJECT_DIR, REPO_ROOT / "seeds"):
        for root, dirs, files in os.walk(folder):
            if root == os.fspath(folder):
                dirs[:] = [name for name in dirs if name not in _NOT_INPUTS]
            for name in files:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    newest = max(newest, (REPO_ROOT / "profiles.yml").stat().st_mtime)
    return newest


def _manifest_signature(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_mtime_ns, stat.st_size]


def ensure_manifest(project: DbtProject, settings: Settings) -> dict[str, Any]:
    """The manifest of these settings (enabled nodes only), parsed first unless it is current.

    The stamp records the settings the manifest was parsed for and the manifest file's own
    signature, so a manifest written by anything else (a manual ``dbt parse`` into the same
    folder) is never mistaken for ours. Checking, parsing and reading happen under an exclusive
    lock on the target folder, so concurrent processes never read a manifest being rewritten.
    """
    target_dir = project.project_dir / project.target_path
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp_path = target_dir / PREPARED_STAMP
    wanted = _parse_settings(settings)
    manifest = project.manifest_path
    with open(target_dir / ".adwh-parse.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
            current = (
                stamp.get("settings") == wanted
                and manifest.exists()
                and stamp.get("manifest") == _manifest_signature(manifest)
                and manifest.stat().st_mtime >= _newest_input_mtime()
            )
            if not current:
                settings.export()
                # The enabled sources reach dbt as vars; dbt re-parses what they change (partial
                # parsing compares the vars), so the same vars must be given to every later command.
                parse = DbtCliResource(
                    project_dir=os.fspath(project.project_dir),
                    profiles_dir=os.fspath(REPO_ROOT),
                    target=settings.dbt_target,
                ).cli(["parse", "--quiet", *vars_arg(source_vars(settings.sources))], target_path=project.target_path)
                parse.wait()
                stamp_path.write_text(json.dumps({"settings": wanted, "manifest": _manifest_signature(manifest)}))
            return load_enabled_manifest(manifest)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_enabled_manifest(path: Path) -> dict[str, Any]:
    """The manifest without nodes whose config says enabled: false.

    dbt keeps the data tests of a disabled model (a switched-off source) in ``nodes`` with
    ``enabled: false``; dagster-dbt would otherwise create asset keys for their disabled models.
    """
    manifest = json.loads(path.read_text())
    dropped = {
        unique_id for unique_id, node in manifest["nodes"].items() if not node.get("config", {}).get("enabled", True)
    }
    if not dropped:
        return manifest
    manifest["nodes"] = {k: v for k, v in manifest["nodes"].items() if k not in dropped}
    for edges in ("child_map", "parent_map"):
        if edges in manifest:
            manifest[edges] = {
                k: [other for other in v if other not in dropped]
                for k, v in manifest[edges].items()
                if k not in dropped
            }
    return manifest


class AdwhTranslator(DagsterDbtTranslator):
    """Groups by layer (staging / intermediate / marts / seeds); source keys come from
    each source table's ``meta.dagster.asset_key`` (= the ingest assets' keys)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def build_dbt_assets(settings: Settings, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    project = dbt_project(settings)
    manifest = ensure_manifest(project, settings)

    @dbt_assets(
        manifest=manifest,
        project=project,
        name="adwh_dbt",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=AdwhTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
        pool=WAREHOUSE_POOL,
    )
    def adwh_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        window = context.partition_time_window
        vars_ = window_vars(window.start, window.end)
        context.log.info(f"dbt build for report dates [{vars_['min_date']}, {vars_['max_date']})")
        # the window goes in the environment, not in --vars: same vars as the prepared manifest,
        # so dbt reuses its partial parse instead of re-parsing the project every night
        args = dbt_build_args(source_vars(settings.sources))
        # DBT_TARGET_PATH: dagster-dbt gives each invocation a folder of its own under it and
        # starts dbt from the partial_parse.msgpack found there (by default dbt_project/target/,
        # which holds whatever dbt last wrote there); each invocation hands its own on
        runs_dir = settings.dbt_runs_dir
        seed_partial_parse(project.project_dir / project.target_path, runs_dir)
        env = {**window_env(vars_), "DBT_TARGET_PATH": os.fspath(runs_dir)}
        if settings.dbt_target != "spark":
            yield from _streamed(_cli(dbt, args, context, env), runs_dir)
            return
        # Spark: no dbt Python model there; the weights are solved between two selections
        # (orchestration/warehouse/spark.py, docs/scale-out.md)
        # (dbt unit tests run on DuckDB, tests/dbt_unit: their expected float literals, e.g.
        # 0.333333333333, are compared exactly by Spark; the data tests run on both engines)
        args = [*args, "--exclude", "resource_type:unit_test"]
        before = _one_token(spark_phases(args)[0])
        after = _one_token(dagster_after_phase(args, manifest))
        yield from _streamed(_cli(dbt, before, context, env), runs_dir)
        keys = [key for key in context.selected_asset_keys if key.path[-1] == WEIGHTS_MODEL]  # none without GA4
        if keys:
            key = keys[0]
            out = subprocess.run(
                [sys.executable, "-m", "orchestration.warehouse.spark", "weights"],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                raise dg.Failure(f"solving the data-driven weights on Spark failed:\n{out.stderr[-4000:]}")
            context.log.info(out.stdout.strip())
            yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key))
            yield from _streamed(_cli(dbt, after, context, env), runs_dir)

    return adwh_dbt


PARTIAL_PARSE = "partial_parse.msgpack"


def seed_partial_parse(prepared: Path, runs_dir: Path) -> None:
    """Give ``runs_dir`` the prepared manifest's partial parse unless it has one (the first run
    of a data dir; later runs hand theirs on, ``hand_on_partial_parse``)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    source, kept = prepared / PARTIAL_PARSE, runs_dir / PARTIAL_PARSE
    if source.exists() and not kept.exists():
        _replace_atomically(source, kept)


def hand_on_partial_parse(invocation_dir: Path, runs_dir: Path) -> bool:
    """Keep the partial parse an invocation wrote (dbt writes it after parsing, whatever the
    build's outcome) as the one the next invocation starts from; True when it changed.

    dbt itself decides whether a partial parse still holds (project files, vars, the profile's
    rendered values, env vars read while parsing), so handing on the latest one is always safe:
    at worst the next run parses again."""
    written, kept = invocation_dir / PARTIAL_PARSE, runs_dir / PARTIAL_PARSE
    if not written.exists() or (kept.exists() and filecmp.cmp(written, kept, shallow=False)):
        return False
    _replace_atomically(written, kept)
    return True


def _replace_atomically(source: Path, destination: Path) -> None:
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, partial)
    os.replace(partial, destination)


def _cli(dbt: DbtCliResource, args: list[str], context: dg.AssetExecutionContext, env: dict[str, str]) -> Any:
    """Start ``dbt <args>`` with ``env`` added to its environment. dagster-dbt copies this
    process's environment when it starts dbt (``cli()`` returns once the process runs), so the
    variables are set for that moment only and the previous values restored."""
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return dbt.cli(args, context=context)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _one_token(args: list[str]) -> list[str]:
    """``--select a b`` -> ``--select "a b"`` (dbt reads the space-separated union; dagster-dbt's
    runtime selection takes one value per flag)."""
    out: list[str] = []
    for arg in args:
        if out and not arg.startswith("--") and len(out) >= 2 and out[-2] in ("--select", "--exclude"):
            out[-1] = f"{out[-1]} {arg}"
        else:
            out.append(arg)
    return out


def _streamed(invocation: Any, runs_dir: Path):
    try:
        for event in invocation.stream():
            run_events.reached("dbt:node", resource_type=_resource_type(event))
            yield event
    finally:
        hand_on_partial_parse(Path(invocation.target_path), runs_dir)


def _resource_type(event: object) -> str:
    """model / seed / test for the progress display (dagster-dbt yields outputs for models and
    seeds, check results or observations for tests)."""
    if isinstance(event, (dg.AssetCheckResult, dg.AssetCheckEvaluation, dg.AssetObservation)):
        return "test"
    key = getattr(event, "asset_key", None) or getattr(event, "output_name", "")
    path = key.path if isinstance(key, dg.AssetKey) else str(key).split("__")
    return "seed" if path and path[0] == "seeds" else "model"


def dbt_resource(settings: Settings) -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project(settings), profiles_dir=os.fspath(REPO_ROOT), target=settings.dbt_target
    )


@functools.lru_cache(maxsize=8)
def dbt_assets_for(settings: Settings) -> dg.AssetsDefinition:
    """The dbt assets of these settings, built once per process (the publish asset needs their keys)."""
    return build_dbt_assets(settings, daily_partitions(settings))


@dg.definitions
def defs() -> dg.Definitions:
    settings = current_settings()
    return dg.Definitions(assets=[dbt_assets_for(settings)], resources={"dbt": dbt_resource(settings)})
