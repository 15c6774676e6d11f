"""Benchmark of the data-driven attribution pipeline shape (docs/architecture.md#6-portability).

Builds synthetic journeys IN DUCKDB (range joins + a hash-based pseudo-random generator, so
the data is deterministic for a seed regardless of thread scheduling), aggregates them in
SQL with the same shape as the dbt models int_attribution__markov_transitions_counted and
int_attribution__shapley_channel_sets_counted (model window, transitions counted in one scan from
each touch's previous_channel, sorted string aggregation of channel sets), then runs
the exact solves of orchestration.warehouse.attribution on the small aggregates — the raw
journeys never enter Python.

    python -m orchestration.bench.attribution --journeys 1000000 --out benchmark.json

Reports rows, seconds per phase and the process's peak RSS (resource.getrusage), and
writes the report as JSON (or Markdown when the path ends in .md).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import duckdb

from orchestration.warehouse.attribution import (
    channel_sets_from_paths,
    markov_removal_effects,
    parse_channel_set,
    shapley_values,
    shares,
    transitions_from_paths,
)

CHANNEL_NAMES = [
    "Paid Search",
    "Display",
    "Video",
    "Paid Social",
    "Email",
    "Organic Search",
    "Organic Social",
    "Referral",
    "Direct",
]
DAYS = 120  # journeys end over this many days; the model window keeps the trailing WINDOW_DAYS
WINDOW_DAYS = 90
END_DATE = "2024-06-30"


def _channel_names(channels: int) -> list[str]:
    names = CHANNEL_NAMES[:channels]
    return names + [f"Channel {i:02d}" for i in range(len(names), channels)]


def _generate_sql(journeys: int, channels: list[str], seed: int) -> list[str]:
    """Synthetic journeys: 1-8 touches (skewed short), channel popularity and conversion lift
    per channel; a journey converts with probability 1 - prod(1 - lift(touch))."""
    n = len(channels)
    channel_rows = ", ".join(
        f"({i}, '{name}', {1.0 / (i + 1):.6f}, {0.02 + 0.1 * ((i * 7) % n) / n:.6f})" for i, name in enumerate(channels)
    )

    def u(*parts: str) -> str:  # deterministic uniform [0, 1) from a hash
        return f"((hash({', '.join(parts)}, {seed}) % 1000003) / 1000003.0)"

    return [
        f"create or replace table bench_channels as select * from (values {channel_rows}) "
        "as t(channel_index, channel, popularity, lift)",
        # cumulative popularity -> inverse-CDF sampling of a channel
        "create or replace table bench_channel_cdf as select channel_index, channel, lift, "
        "sum(popularity) over (order by channel_index) / sum(popularity) over () as cdf_high, "
        "(sum(popularity) over (order by channel_index) - popularity) / sum(popularity) over () as cdf_low "
        "from bench_channels",
        f"create or replace table bench_journeys as select j as journey_id, "
        f"1 + cast(floor(8 * power({u('j', '1')}, 2.5)) as integer) as n_touches, "
        f"cast(date '{END_DATE}' - cast(floor({DAYS} * {u('j', '2')}) as integer) as date) as path_end_date "
        f"from range({journeys}) as r(j)",
        "create or replace table bench_touches as select b.journey_id, s.i as touch_index, b.n_touches, "
        f"b.path_end_date, {u('b.journey_id', 's.i', '3')} as draw "
        "from bench_journeys b join range(1, 9) as s(i) on s.i <= b.n_touches",
        "create or replace table bench_touch_channels as select t.journey_id, t.touch_index, t.n_touches, "
        "t.path_end_date, c.channel, c.lift from bench_touches t join bench_channel_cdf c "
        "on t.draw >= c.cdf_low and t.draw < c.cdf_high",
        "create or replace table bench_conversion as select journey_id, "
        f"{u('journey_id', '4')} < 1 - exp(sum(ln(1 - lift))) as is_converting "
        "from bench_touch_channels group by journey_id",
        # the part-1 contract's relevant columns (int_attribution__paths_built computes
        # previous_channel over the window that numbers the touches)
        "create or replace table paths_built as select cast(t.journey_id as varchar) as path_id, "
        "t.touch_index, t.n_touches, t.channel, "
        "lag(t.channel) over (partition by t.journey_id order by t.touch_index) as previous_channel, "
        "c.is_converting, t.path_end_date "
        "from bench_touch_channels t join bench_conversion c using (journey_id)",
        "drop table bench_touches; drop table bench_touch_channels; drop table bench_conversion; "
        "drop table bench_journeys",
    ]


# The dbt models' SQL (int_attribution__markov_transitions_counted / __shapley_channel_sets) as
# compiled for DuckDB, no run window: window_end = latest path_end_date + 1 day. The paths table is
# named where it is read, not through an import CTE: DuckDB materialises a CTE read twice.
WINDOW_BOUNDS = f"""
window_bounds as (
    select
        cast(max(path_end_date) + cast(1 - {WINDOW_DAYS} as bigint) * interval 1 day as date) as window_start,
        cast(max(path_end_date) + cast(1 as bigint) * interval 1 day as date) as window_end
    from paths_built
)"""


# the paths of the window, the first CTEs of both the exact aggregates and ChannelAttribution's paths
WINDOWED_PATHS = f"""{WINDOW_BOUNDS},
windowed as (
    select paths.path_id, paths.touch_index, paths.n_touches, paths.channel, paths.previous_channel,
        paths.is_converting
    from paths_built as paths cross join window_bounds
    where paths.path_end_date >= window_bounds.window_start and paths.path_end_date < window_bounds.window_end
)"""

TRANSITIONS_SQL = f"""
with
{WINDOWED_PATHS},
touches_counted as (
    select previous_channel, channel, touch_index = n_touches as is_last_touch, is_converting, count(*) as touches
    from windowed group by previous_channel, channel, touch_index = n_touches, is_converting
),
steps as (
    select coalesce(previous_channel, 'start') as from_state, channel as to_state, touches
    from touches_counted where previous_channel is null or previous_channel <> channel
    union all
    select channel as from_state, case when is_converting then 'conversion' else 'null' end as to_state, touches
    from touches_counted where is_last_touch
),
counted as (select from_state, to_state, sum(touches) as transitions from steps group by from_state, to_state)
select counted.from_state, counted.to_state, cast(counted.transitions as bigint) as transitions,
    window_bounds.window_start, window_bounds.window_end
from counted cross join window_bounds
"""

CHANNEL_SETS_SQL = f"""
with
{WINDOW_BOUNDS},
path_channels as (
    select distinct paths.path_id, paths.channel, case when paths.is_converting then 1 else 0 end as is_converting
    from paths_built as paths cross join window_bounds
    where paths.path_end_date >= window_bounds.window_start and paths.path_end_date < window_bounds.window_end
),
path_sets as (
    select path_id, string_agg(channel, '|' order by channel) as channel_set, max(is_converting) as is_converting
    from path_channels group by path_id
),
counted as (
    select channel_set, sum(is_converting) as conversions, count(*) as paths from path_sets group by channel_set
)
select counted.channel_set, cast(counted.conversions as bigint) as conversions,
    cast(counted.paths as bigint) as paths, window_bounds.window_start, window_bounds.window_end
from counted cross join window_bounds
"""


def _peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _cross_check(con, transitions, channel_sets) -> str:
    """Small runs only: the SQL aggregates equal the Python helpers on the same journeys."""
    rows = con.execute(
        "with w as (select max(path_end_date) + 1 as window_end from paths_built) "
        "select path_id, channel, is_converting from paths_built, w "
        f"where path_end_date >= window_end - {WINDOW_DAYS} and path_end_date < window_end "
        "order by path_id, touch_index"
    ).fetchall()
    journeys: dict[str, tuple[list[str], bool]] = {}
    for path_id, channel, converting in rows:
        journeys.setdefault(path_id, ([], bool(converting)))[0].append(channel)
    expected = transitions_from_paths(journeys.values())
    if sorted((a, b, int(n)) for a, b, n, _, _ in transitions) != expected:
        raise AssertionError("SQL transition counts differ from transitions_from_paths")
    sets: dict[frozenset[str], float] = {}
    for channel_set, conv, _, _, _ in channel_sets:
        sets[parse_channel_set(channel_set)] = float(conv)
    if sets != channel_sets_from_paths(journeys.values()):
        raise AssertionError("SQL channel-set conversions differ from channel_sets_from_paths")
    return "ok"


def run_benchmark(
    journeys: int = 1_000_000,
    channels: int = 9,
    seed: int = 1,
    out: str | Path | None = None,
    threads: int = 2,
    cross_check: bool = False,
) -> dict:
    """Generate, aggregate (SQL) and solve (Python) ``journeys`` synthetic journeys; return the report.

    ``out``: also write the report there (.md -> Markdown, else JSON). ``threads``: DuckDB threads.
    ``cross_check`` (small runs, tests): also pull the journeys into Python and compare the SQL
    aggregates with transitions_from_paths / channel_sets_from_paths (not timed).
    """
    names = _channel_names(channels)
    phases: dict[str, float] = {}
    checked = "skipped"
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"set threads = {int(threads)}")
        started = time.perf_counter()
        for statement in _generate_sql(journeys, names, seed):
            con.execute(statement)
        phases["generate_journeys_sql"] = time.perf_counter() - started
        touches, paths, converting = con.execute(
            "select count(*), count(distinct path_id), count(distinct case when is_converting then path_id end) "
            "from paths_built"
        ).fetchone()

        started = time.perf_counter()
        transitions = con.execute(TRANSITIONS_SQL).fetchall()
        phases["aggregate_transitions_sql"] = time.perf_counter() - started

        started = time.perf_counter()
        channel_sets = con.execute(CHANNEL_SETS_SQL).fetchall()
        phases["aggregate_channel_sets_sql"] = time.perf_counter() - started
        if cross_check:
            checked = _cross_check(con, transitions, channel_sets)
    finally:
        con.close()

    started = time.perf_counter()
    effects = markov_removal_effects([(a, b, float(n)) for a, b, n, _, _ in transitions])
    markov_shares = shares(effects)
    phases["solve_markov_python"] = time.perf_counter() - started

    started = time.perf_counter()
    conversions: dict[frozenset[str], float] = {}
    for channel_set, conv, _, _, _ in channel_sets:
        key = parse_channel_set(channel_set)
        conversions[key] = conversions.get(key, 0.0) + float(conv)
    values = shapley_values(conversions)
    shapley_shares = shares(values)
    phases["solve_shapley_python"] = time.perf_counter() - started

    window = (str(transitions[0][3]), str(transitions[0][4])) if transitions else (None, None)
    report = {
        "parameters": {
            "journeys": journeys,
            "channels": channels,
            "seed": seed,
            "threads": threads,
            "window_days": WINDOW_DAYS,
            "days_generated": DAYS,
        },
        "environment": {
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "machine": platform.machine(),
        },
        "rows": {
            "journeys": paths,
            "touches": touches,
            "converting_journeys": converting,
            "journeys_in_window": sum(int(p) for _, _, p, _, _ in channel_sets),
            "conversions_in_window": sum(int(c) for _, c, _, _, _ in channel_sets),
            "transition_rows": len(transitions),
            "channel_set_rows": len(channel_sets),
        },
        "window": {"start": window[0], "end": window[1]},
        "seconds": {**{k: round(v, 4) for k, v in phases.items()}, "total": round(sum(phases.values()), 4)},
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "cross_check": checked,
        "weights": {
            "markov": {c: {"removal_effect": effects[c], "share": markov_shares[c]} for c in sorted(effects)},
            "shapley": {c: {"shapley_value": values[c], "share": shapley_shares[c]} for c in sorted(values)},
        },
    }
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_markdown(report) if path.suffix == ".md" else json.dumps(report, indent=2) + "\n")
    return report


def to_markdown(report: dict) -> str:
    p, rows, sec = report["parameters"], report["rows"], report["seconds"]
    lines = [
        "# Data-driven attribution benchmark",
        "",
        f"{p['journeys']:,} journeys, {p['channels']} channels, seed {p['seed']}, DuckDB threads {p['threads']} "
        f"(DuckDB {report['environment']['duckdb']}, Python {report['environment']['python']}).",
        "",
        "| rows | |",
        "|---|---:|",
        *[f"| {k} | {v:,} |" for k, v in rows.items()],
        "",
        f"Model window: {report['window']['start']} .. {report['window']['end']} (exclusive).",
        "",
        "| phase | seconds |",
        "|---|---:|",
        *[f"| {k} | {v:.3f} |" for k, v in sec.items()],
        "",
        f"Peak RSS: {report['peak_rss_mb']:.1f} MB",
        "",
        "| model | channel | value | share |",
        "|---|---|---:|---:|",
    ]
    for model, weights in report["weights"].items():
        for channel, w in weights.items():
            value = w.get("removal_effect", w.get("shapley_value"))
            lines.append(f"| {model} | {channel} | {value:.6f} | {w['share']:.6f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the report here (.md -> Markdown, else JSON)")
    args = parser.parse_args(argv)
    report = run_benchmark(args.journeys, args.channels, args.seed, out=args.out, threads=args.threads)
    print(to_markdown(report))


if __name__ == "__main__":
    main()


# ----------------------------------------------------------------------------- vs ChannelAttribution
PATHS_FOR_CHANNEL_ATTRIBUTION_SQL = f"""
with
{WINDOWED_PATHS},
journeys as (
    -- the collapsed path: repeats of one channel dropped (the touch's previous_channel)
    select path_id, string_agg(channel, ' > ' order by touch_index) as path, bool_or(is_converting) as converting
    from windowed where previous_channel is null or previous_channel <> channel
    group by path_id
)
select path, cast(count(*) filter (where converting) as double) as total_conversions,
    cast(count(*) filter (where not converting) as double) as total_null
from journeys group by path
"""


def channel_attribution_available() -> bool:
    """Whether the optional ``bench`` extra's ChannelAttribution can be imported."""
    try:
        import ChannelAttribution  # noqa: F401, N813
    except Exception:  # ImportError, or its matplotlib import failing
        return False
    return True


def compare_with_channel_attribution(journeys: int, channels: int = 9, seed: int = 1, threads: int = 2) -> dict:
    """The exact Markov model end to end (SQL transition counts + exact solve) on ``journeys``
    synthetic journeys, and ChannelAttribution's ``markov_model`` at its defaults on the same
    journeys (timed including building its path strings in SQL): seconds of each and the max
    absolute difference of the channel shares. Without ChannelAttribution only the exact side."""
    names = _channel_names(channels)
    con = duckdb.connect(":memory:")
    result: dict = {"journeys": journeys, "channels": channels, "seed": seed, "threads": threads}
    try:
        con.execute(f"set threads = {int(threads)}")
        started = time.perf_counter()
        for statement in _generate_sql(journeys, names, seed):
            con.execute(statement)
        result["generate_seconds"] = round(time.perf_counter() - started, 3)

        started = time.perf_counter()
        transitions = con.execute(TRANSITIONS_SQL).fetchall()
        sql_seconds = time.perf_counter() - started
        started = time.perf_counter()
        effects = markov_removal_effects([(a, b, float(n)) for a, b, n, _, _ in transitions])
        exact = shares(effects)
        solve_seconds = time.perf_counter() - started
        result["exact_markov"] = {
            "sql_seconds": round(sql_seconds, 4),
            "solve_seconds": round(solve_seconds, 4),
            "total_seconds": round(sql_seconds + solve_seconds, 4),
            "shares": {c: exact[c] for c in sorted(exact)},
        }
        if not channel_attribution_available():
            result["channel_attribution"] = None
            result["channel_attribution_note"] = "not installed (`make venv-bench` installs the bench extra)"
            return result
        import ChannelAttribution as ca  # noqa: N813

        started = time.perf_counter()
        frame = con.execute(PATHS_FOR_CHANNEL_ATTRIBUTION_SQL).df()
        build_seconds = time.perf_counter() - started
    finally:
        con.close()
    started = time.perf_counter()
    model = ca.markov_model(
        frame, var_path="path", var_conv="total_conversions", var_null="total_null", verbose=0, flg_pro=False
    )
    solve_seconds = time.perf_counter() - started
    conversions = model["result"] if isinstance(model, dict) else model
    total = float(conversions["total_conversions"].sum())
    ca_shares = {str(row.channel_name): float(row.total_conversions) / total for row in conversions.itertuples()}
    result["channel_attribution"] = {
        "build_paths_seconds": round(build_seconds, 4),
        "solve_seconds": round(solve_seconds, 4),
        "total_seconds": round(build_seconds + solve_seconds, 4),
        "path_rows": len(frame),
        "shares": dict(sorted(ca_shares.items())),
    }
    result["max_abs_share_error"] = max(
        abs(exact.get(c, 0.0) - ca_shares.get(c, 0.0)) for c in set(exact) | set(ca_shares)
    )
    return result
