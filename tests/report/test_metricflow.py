"""The semantic layer: `mf query` (dbt-metricflow on DuckDB) gives the ratio metrics as ratios of
sums at any grain, equal to SQL over the marts, and unlike the average of the marts' daily ratios.

Runs `mf` on the private project copy of ``dbt_copy`` (its target/semantic_manifest.json was
written by `dbt docs generate`) over a private copy of the built warehouse."""

from __future__ import annotations

import csv
from datetime import date, datetime

import duckdb
import pytest

RATIOS = ["ctr", "cpc", "cpm", "cvr", "cpa", "roas", "view_through_share"]

# Each ratio metric as SQL over the fact (ratio of sums, NULLIF on the denominator).
RATIO_SQL = {
    "ctr": "sum(clicks) * 1.0 / nullif(sum(impressions), 0)",
    "cpc": "sum(spend_reporting) / nullif(sum(clicks), 0)",
    "cpm": "1000 * sum(spend_reporting) / nullif(sum(impressions), 0)",
    "cvr": "sum(conversions_click_through) / nullif(sum(clicks), 0)",
    "cpa": "sum(spend_reporting) / nullif(sum(conversions_click_through), 0)",
    "roas": "sum(conversion_value_click_through * fx_rate) / nullif(sum(spend_reporting), 0)",
    "view_through_share": "sum(conversions_view_through)"
    " / nullif(sum(coalesce(conversions_click_through, 0) + coalesce(conversions_view_through, 0)), 0)",
}


def mf_query(dbt_copy, tmp_path, metrics: list[str], group_by: list[str]) -> list[dict]:
    out = tmp_path / f"mf_{'_'.join(metrics)}_{'_'.join(group_by)}.csv"[:200]
    args = ["query", "--metrics", ",".join(metrics), "--csv", str(out)]
    if group_by:
        args += ["--group-by", ",".join(group_by)]
    proc = dbt_copy.run(*args, tool="mf", timeout=300)
    assert proc.returncode == 0 and out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out, newline="") as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    return None if text in ("", "None", "nan", "NaN") else float(text)


def day(text: str) -> date:
    return datetime.fromisoformat(text).date()


@pytest.fixture(scope="module")
def con(built):
    # the marts as analysts see them (the snapshot): `mf` holds the warehouse copy read-write
    connection = duckdb.connect(str(built.analyst_db), read_only=True)
    yield connection
    connection.close()


def assert_equal(got: dict, expected: dict) -> None:
    assert expected and set(got) == set(expected), set(got) ^ set(expected)
    for key, value in expected.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (key, got[key], value)


def test_ratio_metrics_by_week_and_platform_equal_sql(dbt_copy, con, tmp_path):
    rows = mf_query(dbt_copy, tmp_path, RATIOS, ["metric_time__week", "platform"])
    got = {(day(r["metric_time__week"]), r["platform"], m): number(r[m]) for r in rows for m in RATIOS}
    sql = f"""select cast(date_trunc('week', report_date) as date), platform, {", ".join(RATIO_SQL[m] for m in RATIOS)}
              from marts.fct_ad_performance_daily group by 1, 2"""
    expected = {(r[0], r[1], m): r[2 + i] for r in con.execute(sql).fetchall() for i, m in enumerate(RATIOS)}
    assert_equal(got, expected)


def test_ctr_by_month_and_channel_and_overall_is_a_ratio_of_sums(dbt_copy, con, tmp_path):
    rows = mf_query(dbt_copy, tmp_path, ["ctr", "clicks", "impressions"], ["metric_time__month", "channel"])
    got = {(day(r["metric_time__month"]), r["channel"]): number(r["ctr"]) for r in rows}
    sql = f"""select cast(date_trunc('month', report_date) as date), channel, {RATIO_SQL["ctr"]}
              from marts.fct_ad_performance_daily group by 1, 2"""
    expected = {(r[0], r[1]): r[2] for r in con.execute(sql).fetchall()}
    assert_equal(got, expected)

    (overall,) = mf_query(dbt_copy, tmp_path, ["ctr"], [])
    ratio_of_sums, average_of_ratios = con.execute(
        f"select (select {RATIO_SQL['ctr']} from marts.fct_ad_performance_daily),"
        " (select avg(ctr) from marts.mart_campaign_performance_daily)"
    ).fetchone()
    assert number(overall["ctr"]) == pytest.approx(ratio_of_sums, rel=1e-9)
    # the analysts' mistake the metric layer prevents: averaging the daily campaign ratios
    assert abs(average_of_ratios - ratio_of_sums) > 1e-3


def test_over_claim_and_attributed_roas_equal_sql(dbt_copy, con, tmp_path):
    rows = mf_query(dbt_copy, tmp_path, ["over_claim_ratio"], ["platform"])
    got = {r["platform"]: number(r["over_claim_ratio"]) for r in rows}
    expected = dict(
        con.execute(
            """select platform, sum(claimed_conversions_total)
                      / nullif(sum(case when claimed_conversions_total is not null then first_party_conversions end), 0)
               from marts.mart_platform_claims_reconciliation group by 1"""
        ).fetchall()
    )
    assert_equal(got, expected)

    rows = mf_query(
        dbt_copy, tmp_path, ["attributed_roas", "attributed_conversions"], ["channel", "attribution__model"]
    )
    got = {(r["channel"], r["attribution__model"]): number(r["attributed_roas"]) for r in rows}
    expected = {
        (r[0], r[1]): r[2]
        for r in con.execute(
            """select channel, model, sum(attributed_revenue) / nullif(sum(spend_reporting), 0)
               from marts.mart_attribution group by 1, 2"""
        ).fetchall()
    }
    assert_equal(got, expected)


def test_every_metric_is_defined_and_described(dbt_copy):
    manifest = dbt_copy.artifact("manifest.json")
    metrics = {m["name"]: m for m in manifest["metrics"].values()}
    for name in RATIOS:
        assert name in metrics, name
        assert metrics[name]["type"] in ("ratio", "derived"), name
    assert all((m.get("description") or "").strip() for m in metrics.values())
    semantic = {s["name"]: s for s in manifest["semantic_models"].values()}
    assert {"ad_performance", "attribution", "platform_claims"} <= set(semantic)
    undescribed = [
        f"{model['name']}.{part['name']}"
        for model in semantic.values()
        for part in [model, *model["entities"], *model["dimensions"], *model["measures"]]
        if not (part.get("description") or "").strip()
    ]
    assert not undescribed, undescribed


def test_time_spine_has_every_day_and_covers_the_marts(con):
    first, last, days, distinct = con.execute(
        "select min(date_day), max(date_day), count(*), count(distinct date_day) from marts.time_spine_daily"
    ).fetchone()
    assert (first, last) == (date(2020, 1, 1), date(2030, 12, 31))
    assert days == distinct == (last - first).days + 1  # no gap, no duplicate
    uncovered = con.execute(
        """select count(*) from (
               select report_date as d from marts.fct_ad_performance_daily
               union select conversion_date from marts.mart_attribution
               union select report_date from marts.mart_platform_claims_reconciliation)
           where d not in (select date_day from marts.time_spine_daily)"""
    ).fetchone()[0]
    assert uncovered == 0
