"""dbt on Spark (target ``spark``, docs/scale-out.md): what differs from DuckDB, Dagster-free.

The data-driven weights are a dbt Python model (int_attribution__channel_weights_solved) on
DuckDB. dbt-spark's session target has no Python-model submission method, so on Spark a build
is three steps, each its own process (the embedded Derby metastore admits one JVM at a time):

1. ``dbt build`` of everything except the weights model and what depends on it;
2. ``python -m orchestration.warehouse.spark weights``: reads the two small SQL aggregates
   (transition counts, channel-set conversions) from the Spark tables, runs the same exact
   solve as the Python model (``attribution.channel_weights_rows``) and writes the weights
   table back through Spark; the journeys never leave the engine;
3. ``dbt build`` of what depends on the weights.

The Spark session of step 2 takes its settings from the ``spark`` target of profiles.yml (the
one place they are written), rendered with the same environment variables dbt reads.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

WEIGHTS_MODEL = "int_attribution__channel_weights_solved"
WEIGHTS_SCHEMA = "intermediate"
AGGREGATES = ("int_attribution__markov_transitions_counted", "int_attribution__shapley_channel_sets_counted")


def _with_exclude(args: Sequence[str], extra: Sequence[str]) -> list[str]:
    args = list(args)
    if "--exclude" in args:
        at = args.index("--exclude") + 1
        while at < len(args) and not args[at].startswith("--"):
            at += 1
        return [*args[:at], *extra, *args[at:]]
    return [*args, "--exclude", *extra]


def spark_phases(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """dbt ``args`` (``build ...``, optionally with ``--select`` / ``--exclude`` / ``--vars``)
    -> the arguments of step 1 (without the weights model and its descendants) and of step 3
    (the weights' descendants only, within the original selection)."""
    args = list(args)
    before = _with_exclude(args, [f"{WEIGHTS_MODEL}+"])
    if "--select" in args:
        at = args.index("--select") + 1
        end = at
        while end < len(args) and not args[end].startswith("--"):
            end += 1
        selected = [f"{token},{WEIGHTS_MODEL}+" for token in args[at:end]]
        after = [*args[: at - 1], "--select", *selected, *args[end:]]
    else:
        after = [*args, "--select", f"{WEIGHTS_MODEL}+"]
    return before, _with_exclude(after, [WEIGHTS_MODEL])


def dagster_after_phase(args: Sequence[str], manifest: Mapping[str, Any]) -> list[str]:
    """Step 3's arguments for ``DbtCliResource.cli(args, context=...)``, by exclusion only.

    dagster-dbt joins a runtime ``--select`` to the run's own selection as a *union* (a generated
    selector's ``union``, or a second ``--select``), so ``--select weights+`` would rebuild the
    whole selection. Exclusions apply to the run's selection, so step 3 excludes every node
    that is not a descendant of the weights model (and the weights model itself, written by
    step 2): what remains is the run's selection within the weights' descendants. Cautious
    indirect selection: a test with one parent among the weights' descendants and another
    outside them (e.g. assert_attribution_conversions_add_up) is excluded by step 1 and must
    not be excluded here with its outside parent, as dbt's default (eager) would."""
    nodes = manifest["nodes"]
    weights = next((uid for uid, node in nodes.items() if node.get("name") == WEIGHTS_MODEL), None)
    descendants: set[str] = set()
    todo = [weights] if weights else []
    while todo:
        for child in manifest.get("child_map", {}).get(todo.pop(), []):
            if child not in descendants:
                descendants.add(child)
                todo.append(child)
    others = sorted(
        "fqn:" + ".".join(node["fqn"])
        for uid, node in nodes.items()
        if uid not in descendants
        and uid != weights
        and node.get("resource_type") in ("model", "seed", "test", "snapshot")
    )
    return [*_with_exclude(args, [*others, WEIGHTS_MODEL]), "--indirect-selection", "cautious"]


def profile_spark_conf(
    profiles_dir: Path, env: Mapping[str, str] | None = None, target: str = "spark"
) -> dict[str, str]:
    """The ``server_side_parameters`` of the profile's ``target``, rendered like dbt renders
    profiles.yml (``env_var('NAME')`` / ``env_var('NAME', 'default')``)."""
    import jinja2
    import yaml

    env = dict(os.environ if env is None else env)

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"profiles.yml target {target!r} needs the environment variable {name}")
        return default

    profiles = yaml.safe_load((Path(profiles_dir) / "profiles.yml").read_text())
    output = profiles["adwh"]["outputs"][target]
    renderer = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {
        str(key): renderer.from_string(str(value)).render(env_var=env_var)
        for key, value in (output.get("server_side_parameters") or {}).items()
    }


def spark_session(conf: Mapping[str, str]) -> Any:
    """A Hive-enabled Spark session with ``conf`` (what dbt-spark's session method builds)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only (and no hostname warning)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def write_weights(spark: Any) -> int:
    """Step 2: the weights table from the two aggregates (absent when GA4 is switched off:
    then nothing is written). Returns the number of rows written."""
    from pyspark.sql import types as T

    from orchestration.warehouse.attribution import WEIGHTS_COLUMNS, channel_weights_rows

    names = [f"{WEIGHTS_SCHEMA}.{name}" for name in AGGREGATES]
    if not all(spark.catalog.tableExists(name) for name in names):
        return 0
    transitions, channel_sets = ([row.asDict() for row in spark.table(name).collect()] for name in names)
    rows = channel_weights_rows(transitions, channel_sets)
    kinds = {"string": T.StringType(), "double": T.DoubleType(), "date": T.DateType()}
    schema = T.StructType([T.StructField(name, kinds[kind], True) for name, kind in WEIGHTS_COLUMNS])
    frame = spark.createDataFrame([tuple(row[name] for name, _ in WEIGHTS_COLUMNS) for row in rows], schema)
    frame.write.mode("overwrite").format("parquet").saveAsTable(f"{WEIGHTS_SCHEMA}.{WEIGHTS_MODEL}")
    return len(rows)


class QueryError(ValueError):
    """A query `adwh query` refuses or Spark rejects; the message says why."""


_READ_ONLY = ("select", "with", "(", "show", "describe", "desc", "explain")


def spark_query(sql: str, env: Mapping[str, str] | None = None) -> Any:
    """``adwh query`` on Spark: a SELECT on the metastore's tables (``marts.<mart>``, the same
    names as on DuckDB) -> a pandas DataFrame. Spark runs DDL/DML as soon as it parses it, so
    anything but a query is refused before it reaches Spark."""
    text = sql.strip().rstrip(";").strip()
    first = text.split(None, 1)[0].lower() if text else ""
    if not first.startswith(_READ_ONLY) or ";" in text:
        raise QueryError(
            "adwh query runs one read-only query (SELECT / WITH) on Spark: the warehouse is changed by runs, "
            f"never by queries; got {text[:60]!r}"
        )
    from pyspark.errors import PySparkException

    from orchestration.settings import REPO_ROOT

    spark = spark_session(profile_spark_conf(REPO_ROOT, env))
    try:
        return spark.sql(text).toPandas()
    except PySparkException as exc:
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m orchestration.warehouse.spark weights``: step 2 in a process of its own."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv != ["weights"]:
        print("usage: python -m orchestration.warehouse.spark weights", file=sys.stderr)
        return 2
    from orchestration.settings import REPO_ROOT

    spark = spark_session(profile_spark_conf(REPO_ROOT))
    try:
        count = write_weights(spark)
    finally:
        spark.stop()
    print(f"{WEIGHTS_SCHEMA}.{WEIGHTS_MODEL}: {count} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
