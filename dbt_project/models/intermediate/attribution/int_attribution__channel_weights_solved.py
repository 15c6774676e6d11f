"""Per-channel weights of the data-driven attribution models (docs/architecture.md).

A dbt Python model: it reads the two SQL aggregates of the model window (transition
counts: at most (channels + 1) × (channels + 2) rows; channel-set conversions: at most
2^channels rows) — never raw journeys — and runs the exact solves of
orchestration.warehouse.attribution (numpy): Markov removal effects (absorbing chain, linear solve)
and Shapley values over all channel subsets. One row per model × channel.

Enabled with GA4: var ga4_enabled, set in _int_attribution__models.yml (a Python model
cannot read vars in its own code). Runs in the dbt process, so the `adwh` package
(installed in the same virtual environment) is importable. dbt-spark's session target has no
Python-model submission method: on Spark this model is excluded from the dbt selection and
orchestration/warehouse/spark.py writes the same table with the same function
(channel_weights_rows) between two dbt selections (docs/scale-out.md).
"""

import pyarrow as pa

from orchestration.warehouse.attribution import WEIGHTS_COLUMNS, channel_weights_rows

TYPES = {"string": pa.string(), "double": pa.float64(), "date": pa.date32()}
SCHEMA = pa.schema([(name, TYPES[kind]) for name, kind in WEIGHTS_COLUMNS])


def _rows(relation) -> list[dict]:
    """The (small) aggregate as a list of dicts: DuckDB relation or Spark DataFrame."""
    if hasattr(relation, "fetchall"):  # duckdb.DuckDBPyRelation
        columns = relation.columns
        return [dict(zip(columns, row)) for row in relation.fetchall()]
    return [row.asDict() for row in relation.collect()]  # pyspark DataFrame


def model(dbt, session):
    dbt.config(materialized="table")

    transitions = _rows(dbt.ref("int_attribution__markov_transitions_counted"))
    channel_sets = _rows(dbt.ref("int_attribution__shapley_channel_sets_counted"))
    return pa.Table.from_pylist(channel_weights_rows(transitions, channel_sets), schema=SCHEMA)
