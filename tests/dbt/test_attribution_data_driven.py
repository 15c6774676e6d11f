"""Data-driven attribution (markov, shapley) through dbt, on hand-built journeys.

The journeys are written as the two part-1 relations the data-driven models build on
(int_attribution__paths_built, int_attribution__credits_rule_based), as stand-in models in
a COPY of the dbt project, so these tests pin the SQL aggregates, the Python exact solve
(dbt Python model) and mart_attribution independently of the GA4 sessionisation. Spend
comes from a tiny Google Ads raw lake through the real fct_ad_performance_daily.

Checked: the weights equal orchestration.warehouse.attribution's functions on transitions / channel
sets computed here from the same journeys (window applied), each model's shares sum to 1,
mart_attribution's markov / shapley rows equal a hand re-computation of the per-path split,
every model's attributed conversions of a day sum to the day's conversions, and spend
without conversions shows up with 0 conversions.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from orchestration.warehouse.attribution import (
    channel_sets_from_paths,
    markov_removal_effects,
    shapley_values,
    shares,
    transitions_from_paths,
)
from tests.dbt import helpers
from tests.dbt.helpers import check
from tests.dbt.test_dbt_build import google_row, write_table  # the raw-layer writer of the main dbt test

REPO = Path(__file__).resolve().parents[2]

D1, D2 = date(2024, 3, 1), date(2024, 3, 2)
OLD = date(2023, 10, 1)  # more than 90 days before the window end: outside the model window
RULE_BASED = ["first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay"]
DATA_DRIVEN = ["markov", "shapley"]

# (user, touches [(channel, campaign_id)], conversion_id or None, end date, revenue)
JOURNEYS = [
    ("u1", [("Paid Search", "G1"), ("Email", "MC1"), ("Paid Search", "G1")], "T1", D1, 100.0),
    ("u2", [("Paid Social", "M1"), ("Direct", None)], "T2", D1, 50.0),
    ("u3", [("Direct", None)], "T3", D2, 30.0),
    ("u4", [("Paid Search", "G1"), ("Paid Social", "M1")], None, D2, None),
    ("u5", [("Email", "MC1"), ("Email", "MC2"), ("Organic Search", None)], "T4", D2, 20.0),
    ("u6", [("Organic Search", None)], None, D1, None),
    ("u1", [("Referral", None)], None, D2, None),  # after u1's conversion: non-converting path
    ("u7", [("Paid Search", "G1"), ("Direct", None)], "T5", D2, 10.0),
    ("u8", [("Email", "MC1"), ("Paid Search", "G1"), ("Email", "MC1")], None, D1, None),
    # outside the model window: not in the weights; Display has no weight -> linear fallback
    ("u9", [("Display", "G2"), ("Display", "G2")], "T0", OLD, 40.0),
]

PATH_FIELDS = [
    ("path_id", pa.string()),
    ("user_pseudo_id", pa.string()),
    ("is_converting", pa.bool_()),
    ("conversion_id", pa.string()),
    ("conversion_ts", pa.timestamp("us")),
    ("conversion_date", pa.date32()),
    ("revenue", pa.float64()),
    ("touch_index", pa.int64()),
    ("n_touches", pa.int64()),
    ("session_key", pa.string()),
    ("touch_ts", pa.timestamp("us")),
    ("channel", pa.string()),
    ("previous_channel", pa.string()),
    ("platform", pa.string()),
    ("campaign_id", pa.string()),
    ("path_end_date", pa.date32()),
]
CREDIT_FIELDS = [
    ("model", pa.string()),
    ("conversion_id", pa.string()),
    ("conversion_date", pa.date32()),
    ("revenue", pa.float64()),
    ("channel", pa.string()),
    ("platform", pa.string()),
    ("campaign_id", pa.string()),
    ("credit", pa.float64()),
    ("attributed_revenue", pa.float64()),
]
PLATFORM = {"G1": "google_ads", "G2": "google_ads", "M1": "meta_ads", "MC1": "mailchimp", "MC2": "mailchimp"}


def path_rows() -> list[dict]:
    rows = []
    for number, (user, touches, conversion_id, end, revenue) in enumerate(JOURNEYS):
        conversion_ts = datetime(end.year, end.month, end.day, 20, 0) if conversion_id else None
        start = datetime(end.year, end.month, end.day, 8, 0) - timedelta(days=1)
        for index, (channel, campaign) in enumerate(touches, start=1):
            touch_ts = start + timedelta(hours=3 * index)
            rows.append(
                {
                    "path_id": conversion_id or f"nc-{user}-{number}",
                    "user_pseudo_id": user,
                    "is_converting": conversion_id is not None,
                    "conversion_id": conversion_id,
                    "conversion_ts": conversion_ts,
                    "conversion_date": end if conversion_id else None,
                    "revenue": revenue,
                    "touch_index": index,
                    "n_touches": len(touches),
                    "session_key": f"{user}-{number}-{index}",
                    "touch_ts": touch_ts,
                    "channel": channel,
                    "previous_channel": touches[index - 2][0] if index > 1 else None,
                    "platform": PLATFORM.get(campaign),
                    "campaign_id": campaign,
                    "path_end_date": end,
                }
            )
    return rows


def rule_based_rows() -> list[dict]:
    """A stand-in for part 1's credits: first / last touch 1, the other models linear."""
    rows = []
    for user, touches, conversion_id, end, revenue in JOURNEYS:  # noqa: B007
        if not conversion_id:
            continue
        n = len(touches)
        for model in RULE_BASED:
            for index, (channel, campaign) in enumerate(touches):
                if model == "first_touch":
                    credit = 1.0 if index == 0 else 0.0
                elif model == "last_touch":
                    credit = 1.0 if index == n - 1 else 0.0
                else:
                    credit = 1.0 / n
                rows.append(
                    {
                        "model": model,
                        "conversion_id": conversion_id,
                        "conversion_date": end,
                        "revenue": revenue,
                        "channel": channel,
                        "platform": PLATFORM.get(campaign),
                        "campaign_id": campaign,
                        "credit": credit,
                        "attributed_revenue": credit * revenue,
                    }
                )
    return rows


def journeys_in_window(window_start: date, window_end: date):
    return [
        ([c for c, _ in touches], conversion_id is not None)
        for _, touches, conversion_id, end, _ in JOURNEYS
        if window_start <= end < window_end
    ]


def expected_weights(window_start: date, window_end: date) -> dict[tuple[str, str], dict]:
    paths = journeys_in_window(window_start, window_end)
    effects = markov_removal_effects(transitions_from_paths(paths))
    values = shapley_values(channel_sets_from_paths(paths))
    out = {}
    for channel, share in shares(effects).items():
        out[("markov", channel)] = {"value": effects[channel], "share": share}
    for channel, share in shares(values).items():
        out[("shapley", channel)] = {"value": values[channel], "share": share}
    return out


def expected_data_driven_mart(weights) -> dict[tuple, float]:
    """(conversion_date, channel, campaign_id, model) -> attributed conversions."""
    out: dict[tuple, float] = defaultdict(float)
    for _, touches, conversion_id, end, _ in JOURNEYS:
        if not conversion_id:
            continue
        for model in DATA_DRIVEN:
            channels = {c for c, _ in touches}
            share = {c: weights.get((model, c), {"share": 0.0})["share"] for c in channels}
            total = sum(share.values())
            for channel, campaign in touches:
                n_channel = sum(1 for c, _ in touches if c == channel)
                if total > 0:
                    credit = share[channel] / total / n_channel
                else:
                    credit = 1.0 / len(touches)
                out[(end, channel, campaign, model)] += credit
    return out


# --------------------------------------------------------------------------- dbt harness
# the part-1 models replaced by stand-ins (model name -> stand-in Parquet file)
STAND_INS = {"int_attribution__paths_built": "paths", "int_attribution__credits_rule_based": "credits"}


def make_project(work: Path) -> Path:
    """Copy the dbt project (+ seeds, which it reads from ../seeds) and put the stand-ins in."""
    project = work / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    shutil.copytree(REPO / "seeds", work / "seeds")
    folder = project / "models" / "intermediate" / "attribution"
    # part 1's properties (tests, unit tests) describe the real models, not the stand-ins
    (folder / "_int_attribution__unit_tests.yml").unlink()
    properties = folder / "_int_attribution__models.yml"
    doc = yaml.safe_load(properties.read_text())
    doc["models"] = [m for m in doc["models"] if m["name"] not in STAND_INS]
    properties.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    data = work / "stand_in"
    data.mkdir()
    pq.write_table(pa.Table.from_pylist(path_rows(), schema=pa.schema(PATH_FIELDS)), data / "paths.parquet")
    pq.write_table(pa.Table.from_pylist(rule_based_rows(), schema=pa.schema(CREDIT_FIELDS)), data / "credits.parquet")
    for name, file in STAND_INS.items():
        (folder / f"{name}.sql").write_text(
            "{{ config(enabled=var('ga4_enabled', true), materialized='table') }}\n"
            f"select * from read_parquet('{data / (file + '.parquet')}')\n"
        )
    return project


def run_dbt(work: Path, project: Path, lake: Path, warehouse: Path, args: list[str]):
    # Google Ads (spend) and GA4 switched on, through --vars as the orchestration layer passes it
    return helpers.run_dbt(work, lake, warehouse, args, sources=["google_ads", "ga4"], project_dir=project)


def query(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# cautious: only tests whose parents are ALL selected (part 1's tests on the real GA4 models stay out)
SELECT = ["--select", "+mart_attribution", "+mart_attribution_channel_weights", "--indirect-selection", "cautious"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_attribution")
    project = make_project(work)
    lake, warehouse = work / "lake", work / "warehouse.duckdb"
    write_table(
        lake,
        "google_ads",
        "ad_stats",
        D1,
        [
            google_row(
                D1, "G1", "Search Brand", "SEARCH", "AG1", "A1", 1000, 50, 55, 40_000_000, 1.0, 10.0, 0, currency="USD"
            ),
        ],
    )
    write_table(
        lake,
        "google_ads",
        "ad_stats",
        D2,
        [
            google_row(
                D2, "G1", "Search Brand", "SEARCH", "AG1", "A1", 1000, 50, 55, 20_000_000, 1.0, 10.0, 0, currency="USD"
            ),
            # spend without any attributed conversion
            google_row(
                D2,
                "G2",
                "Display Remarketing",
                "DISPLAY",
                "AG2",
                "A3",
                5000,
                5,
                5,
                8_000_000,
                0.0,
                0.0,
                0,
                currency="USD",
            ),
        ],
    )
    check(run_dbt(work, project, lake, warehouse, ["build", *SELECT]))
    return {"work": work, "project": project, "lake": lake, "warehouse": warehouse}


def weights_of(warehouse: Path) -> dict[tuple[str, str], dict]:
    rows = query(
        warehouse,
        "select model, channel, removal_effect, shapley_value, share, window_start, window_end "
        "from marts.mart_attribution_channel_weights",
    )
    return {
        (m, c): {"value": re if m == "markov" else sv, "share": s, "window": (ws, we)}
        for m, c, re, sv, s, ws, we in rows
    }


def assert_weights_match(actual, expected, window):
    assert set(actual) == set(expected)
    for key, exp in expected.items():
        assert actual[key]["value"] == pytest.approx(exp["value"], abs=1e-12), key
        assert actual[key]["share"] == pytest.approx(exp["share"], abs=1e-12), key
        assert actual[key]["window"] == window, key


# --------------------------------------------------------------------------- tests
def test_weights_equal_python_solves(built):
    wh = built["warehouse"]
    # no run window: window_end = latest path_end_date + 1 day, 90 days back
    window = (D2 + timedelta(days=1) - timedelta(days=90), D2 + timedelta(days=1))
    expected = expected_weights(*window)
    assert_weights_match(weights_of(wh), expected, window)
    assert ("markov", "Display") not in expected  # the old path is outside the window
    # the channel only on non-converting paths gets nothing
    assert expected[("markov", "Referral")]["value"] == 0 and expected[("shapley", "Referral")]["value"] == 0
    for model in DATA_DRIVEN:
        total = sum(v["share"] for (m, _), v in weights_of(wh).items() if m == model)
        assert total == pytest.approx(1.0, abs=1e-12)


def test_sql_aggregates_equal_python_helpers(built):
    wh = built["warehouse"]
    window = (D2 + timedelta(days=1) - timedelta(days=90), D2 + timedelta(days=1))
    paths = journeys_in_window(*window)
    transitions = sorted(
        query(
            wh, "select from_state, to_state, transitions from intermediate.int_attribution__markov_transitions_counted"
        )
    )
    assert transitions == transitions_from_paths(paths)
    sets = {
        frozenset(s.split("|")): (c, p)
        for s, c, p in query(
            wh, "select channel_set, conversions, paths from intermediate.int_attribution__shapley_channel_sets_counted"
        )
    }
    assert {k: c for k, (c, _) in sets.items()} == channel_sets_from_paths(paths)
    assert sum(p for _, p in sets.values()) == len(paths)
    (canonical,) = query(
        wh,
        "select channel_set from intermediate.int_attribution__shapley_channel_sets_counted "
        "where channel_set like '%Email%' and channel_set like '%Organic%'",
    )[0:1]
    assert canonical[0] == "Email|Organic Search"  # sorted, '|'-joined


def test_mart_data_driven_split(built):
    wh = built["warehouse"]
    expected = expected_data_driven_mart(weights_of(wh))
    rows = query(
        wh,
        "select conversion_date, channel, campaign_id, model, attributed_conversions "
        "from marts.mart_attribution where model in ('markov', 'shapley') and attributed_conversions <> 0",
    )
    actual = {(d, c, k, m): v for d, c, k, m, v in rows}
    assert set(actual) == {k for k, v in expected.items() if v != 0}
    for key, value in actual.items():
        assert value == pytest.approx(expected[key], abs=1e-12), key
    # T0 (Display only, outside the window: no weight) falls back to linear = 1
    assert actual[(OLD, "Display", "G2", "markov")] == pytest.approx(1.0)
    # T1: Email's touch and Paid Search's two touches share in proportion to the shares
    w = weights_of(wh)
    ps, em = w[("markov", "Paid Search")]["share"], w[("markov", "Email")]["share"]
    assert actual[(D1, "Email", "MC1", "markov")] == pytest.approx(em / (ps + em))


def test_mart_sums_per_day_equal_conversions(built):
    wh = built["warehouse"]
    conversions = defaultdict(int)
    revenue = defaultdict(float)
    for _, _, conversion_id, end, rev in JOURNEYS:
        if conversion_id:
            conversions[end] += 1
            revenue[end] += rev
    rows = query(
        wh,
        "select model, conversion_date, sum(attributed_conversions), sum(attributed_revenue) "
        "from marts.mart_attribution group by 1, 2",
    )
    sums = {(m, d): (c, r) for m, d, c, r in rows}
    for model in RULE_BASED + DATA_DRIVEN:
        for day in conversions:
            c, r = sums[(model, day)]
            assert c == pytest.approx(conversions[day], abs=1e-9), (model, day)
            assert r == pytest.approx(revenue[day], abs=1e-9), (model, day)
        # no other day has conversions (D2's G2 spend-only row sums to 0)
        for (m, d), (c, _) in sums.items():
            if m == model and d not in conversions:
                assert c == 0


def test_mart_spend_and_roas(built):
    wh = built["warehouse"]
    rows = query(
        wh,
        "select model, attributed_conversions, attributed_revenue, spend_reporting, roas "
        "from marts.mart_attribution where conversion_date = '2024-03-02' and campaign_id = 'G2'",
    )
    # spend without attributed conversions appears once per model, with 0 conversions
    assert sorted(r[0] for r in rows) == sorted(RULE_BASED + DATA_DRIVEN)
    for _, conv, rev, spend, roas in rows:
        assert (conv, rev) == (0, 0) and spend == pytest.approx(8.0) and roas == 0
    (linear_g1,) = query(
        wh,
        "select attributed_revenue, spend_reporting, roas from marts.mart_attribution "
        "where model = 'linear' and conversion_date = '2024-03-01' and campaign_id = 'G1'",
    )
    # T1: 2 of 3 touches on G1 -> 2/3 of 100
    assert linear_g1[0] == pytest.approx(200 / 3) and linear_g1[1] == pytest.approx(40.0)
    assert linear_g1[2] == pytest.approx(200 / 3 / 40.0)
    # Paid Social (no Meta spend here): NULL spend, NULL roas
    no_spend = query(wh, "select spend_reporting, roas from marts.mart_attribution where channel = 'Paid Social'")
    assert no_spend and all(s is None and r is None for s, r in no_spend)


def test_run_window_from_max_date(built, tmp_path):
    """--vars max_date: window = [max_date - 90 days, max_date); D2's paths drop out."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built["warehouse"], warehouse)
    result = run_dbt(
        tmp_path,
        built["project"],
        built["lake"],
        warehouse,
        [
            "build",
            "--select",
            "int_attribution__markov_transitions_counted+",
            "int_attribution__shapley_channel_sets_counted+",
            "--indirect-selection",
            "cautious",
            "--vars",
            json.dumps({"min_date": "2024-03-01", "max_date": "2024-03-02"}),
        ],
    )
    check(result)
    window = (D2 - timedelta(days=90), D2)
    expected = expected_weights(*window)
    assert_weights_match(weights_of(warehouse), expected, window)
    assert ("markov", "Referral") not in expected  # only on a D2 path


def test_shapley_more_than_15_channels_fails_build(built, tmp_path):
    """The exact solve refuses > 15 channels with a clear error (the build fails)."""
    work = tmp_path
    project = make_project(work)
    rows = []
    for i in range(16):
        rows.append(
            {
                "path_id": f"p{i}",
                "user_pseudo_id": f"u{i}",
                "is_converting": True,
                "conversion_id": f"p{i}",
                "conversion_ts": datetime(2024, 3, 1, 12),
                "conversion_date": D1,
                "revenue": 1.0,
                "touch_index": 1,
                "n_touches": 1,
                "session_key": f"s{i}",
                "touch_ts": datetime(2024, 3, 1, 11),
                "channel": f"Channel {i:02d}",
                "platform": None,
                "campaign_id": None,
                "path_end_date": D1,
            }
        )
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(PATH_FIELDS)), work / "stand_in" / "paths.parquet")
    warehouse = work / "warehouse.duckdb"
    result = run_dbt(
        work,
        project,
        built["lake"],
        warehouse,
        ["run", "--select", "+int_attribution__channel_weights_solved", "--exclude", "resource_type:seed"],
    )
    assert result.returncode != 0
    assert "limited to 15 channels" in result.stdout + result.stderr


def test_data_tests_ran(built):
    """The singular tests (per-day sums, shares sum to 1) and the contracts ran and passed."""
    results = json.loads((built["work"] / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: r["status"] for r in results}
    assert status["assert_attribution_conversions_add_up"] == "pass"
    assert status["assert_attribution_shares_sum_to_one"] == "pass"
    assert status["mart_attribution"] == status["mart_attribution_channel_weights"] == "success"
    assert status["int_attribution__channel_weights_solved"] == "success"
