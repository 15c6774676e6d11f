"""Per-channel weights of the data-driven attribution models (docs/architecture.md).

A dbt Python model: it reads the two SQL aggregates of the model window (transition
counts: at most (channels + 1) × (channels + 2) rows; channel-set conversions: at most
2^channels rows) — never raw journeys — and runs the exact solves of
orchestration.warehouse.attribution (numpy): Markov removal effects (absorbing chain, linear solve)
and Shapley values over all channel subsets. One row per model × channel.

Enabled with GA4: var ga4_enabled, set in _int_attribution__models.yml (a Python model
cannot read vars in its own code). Runs in the dbt process, so the `adwh` package
(installed in the same virtual environment) is importable. On Spark a Python model needs a
cluster submission method; the solve is the same.
"""

import pyarrow as pa

from orchestration.warehouse.attribution import markov_removal_effects, parse_channel_set, shapley_values, shares

SCHEMA = pa.schema(
    [
        ("model", pa.string()),
        ("channel", pa.string()),
        ("removal_effect", pa.float64()),
        ("shapley_value", pa.float64()),
        ("share", pa.float64()),
        ("window_start", pa.date32()),
        ("window_end", pa.date32()),
    ]
)


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

    window = None
    for row in transitions + channel_sets:
        window = (row["window_start"], row["window_end"])
        break

    records = []
    effects = markov_removal_effects([(r["from_state"], r["to_state"], float(r["transitions"])) for r in transitions])
    for channel, share in sorted(shares(effects).items()):
        records.append(
            {
                "model": "markov",
                "channel": channel,
                "removal_effect": effects[channel],
                "shapley_value": None,
                "share": share,
            }
        )

    conversions = {}
    for r in channel_sets:
        key = parse_channel_set(r["channel_set"])
        conversions[key] = conversions.get(key, 0.0) + float(r["conversions"])
    values = shapley_values(conversions)
    for channel, share in sorted(shares(values).items()):
        records.append(
            {
                "model": "shapley",
                "channel": channel,
                "removal_effect": None,
                "shapley_value": values[channel],
                "share": share,
            }
        )

    for record in records:
        record["window_start"], record["window_end"] = window
    return pa.Table.from_pylist(records, schema=SCHEMA)
