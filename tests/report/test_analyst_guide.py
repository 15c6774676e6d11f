"""Every SQL query of docs/analyst-guide.md runs against the built demo marts, and what it
answers is checked against the marts recomputed here in Python (ratios of sums)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import duckdb
import pytest

from tests.paths import REPO

GUIDE = REPO / "docs" / "analyst-guide.md"
QUERY_RE = re.compile(r"<!-- query: (?P<name>[a-z_]+) -->\s*```sql\n(?P<sql>.*?)```", re.S)
MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay", "markov", "shapley"]
QUESTIONS = {
    "ctr_this_week_vs_last",
    "view_through_inflates_roas",
    "platform_over_claim",
    "attribution_models_disagree",
    "average_of_ratios_mistake",
    "conversions_by_window",
    "freshness_by_platform",
}


def guide_queries() -> dict[str, str]:
    found = [(m["name"], m["sql"]) for m in QUERY_RE.finditer(GUIDE.read_text())]
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), "a query name is used twice"
    return dict(found)


@pytest.fixture(scope="module")
def con(built):
    connection = duckdb.connect(str(built.analyst_db), read_only=True)
    yield connection
    connection.close()


def run(con, name: str) -> list[dict]:
    cursor = con.execute(guide_queries()[name])
    columns = [c[0] for c in cursor.description]
    result = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    assert result, f"{name}: no rows"
    return result


def table(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-12)


def test_guide_has_every_question_and_only_sql_that_runs(con):
    queries = guide_queries()
    assert set(queries) == QUESTIONS
    # no ```sql block without a name (an untested query)
    assert GUIDE.read_text().count("```sql") == len(queries)
    for name in queries:
        run(con, name)


def test_ctr_this_week_vs_last(con):
    fact = table(con, "select report_date, channel, clicks, impressions from marts.fct_ad_performance_daily")
    last_day = max(r["report_date"] for r in fact)
    sums = defaultdict(lambda: [0, 0])
    for r in fact:
        age = (last_day - r["report_date"]).days
        if age < 14:
            period = "this" if age < 7 else "last"
            sums[(r["channel"], period)][0] += r["clicks"] or 0
            sums[(r["channel"], period)][1] += r["impressions"] or 0
    got = run(con, "ctr_this_week_vs_last")
    assert {r["channel"] for r in got} == {channel for channel, _ in sums}
    for r in got:
        this, last = sums[(r["channel"], "this")], sums[(r["channel"], "last")]
        expected_this = this[0] / this[1] if this[1] else None
        expected_last = last[0] / last[1] if last[1] else None
        assert r["clicks_this_week"] == this[0] and r["impressions_this_week"] == this[1]
        assert r["ctr_this_week"] == (approx(expected_this) if expected_this is not None else None)
        assert r["ctr_last_week"] == (approx(expected_last) if expected_last is not None else None)
        if expected_this is not None and expected_last is not None:
            assert r["change_pct_points"] == approx((expected_this - expected_last) * 100)


def test_view_through_inflates_roas(con):
    fact = table(
        con,
        """select platform, campaign_id, spend_reporting, conversions_click_through ct, conversions_view_through vt,
                  conversion_value_click_through * fx_rate vct, conversion_value_view_through * fx_rate vvt
           from marts.fct_ad_performance_daily where platform in ('google_ads', 'meta_ads')""",
    )
    campaigns = defaultdict(lambda: defaultdict(float))
    valued = defaultdict(bool)
    for r in fact:
        c = campaigns[(r["platform"], r["campaign_id"])]
        for key in ("spend_reporting", "ct", "vt", "vct"):
            c[key] += r[key] or 0
        if r["vvt"] is not None:
            c["vvt"] += r["vvt"]
            valued[(r["platform"], r["campaign_id"])] = True
    revenue = {
        r["campaign_id"]: r["revenue"]
        for r in table(
            con,
            "select campaign_id, sum(attributed_revenue) revenue from marts.mart_attribution"
            " where model = 'last_non_direct' group by 1",
        )
    }
    got = run(con, "view_through_inflates_roas")
    paid = {key for key, c in campaigns.items() if c["spend_reporting"] > 0}
    assert len(got) == len(paid)
    added = [r["roas_added_by_view_through"] for r in got]
    assert added == sorted(added, reverse=True), "ordered by the ROAS view-through adds"
    for r in got:
        key = (r["platform"], r["campaign_id"])
        assert key in paid
        c = campaigns[key]
        view_value = c["vvt"] if valued[key] else (c["vt"] * c["vct"] / c["ct"] if c["ct"] else None)
        assert r["view_value_estimated"] is (not valued[key])
        assert r["roas_click_through"] == approx(c["vct"] / c["spend_reporting"])
        assert r["roas_with_view_through"] == approx((c["vct"] + (view_value or 0)) / c["spend_reporting"])
        assert r["roas_first_party"] == approx(revenue.get(key[1], 0) / c["spend_reporting"])
        if c["vt"] == 0:
            assert r["roas_added_by_view_through"] == approx(0)
    assert any(r["roas_added_by_view_through"] > 0 for r in got), "the demo has view-through conversions"


def test_platform_over_claim(con):
    rows = table(
        con, "select * from marts.mart_platform_claims_reconciliation where claimed_conversions_total is not null"
    )
    sums = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        sums[r["platform"]][0] += r["claimed_conversions_total"]
        sums[r["platform"]][1] += r["first_party_conversions"]
    got = run(con, "platform_over_claim")
    assert {r["platform"] for r in got} == set(sums)
    assert "mailchimp" not in sums  # claims no conversions
    ratios = [r["over_claim_ratio"] for r in got if r["over_claim_ratio"] is not None]
    assert ratios == sorted(ratios, reverse=True), "the platform that over-claims most comes first"
    for r in got:
        claimed, first_party = sums[r["platform"]]
        assert r["claimed"] == approx(claimed) and r["first_party"] == approx(first_party)
        assert r["over_claim_ratio"] == (approx(claimed / first_party) if first_party else None)


def test_attribution_models_disagree(con):
    got = run(con, "attribution_models_disagree")
    (first_party,) = con.execute(
        "select sum(t) from (select max(total_first_party_conversions) t"
        " from marts.mart_platform_claims_reconciliation group by report_date)"
    ).fetchone()
    for model in MODELS:
        assert sum(r[model] or 0 for r in got) == approx(first_party), f"{model} credits every conversion once"
    expected = defaultdict(dict)
    for r in table(
        con, "select channel, model, sum(attributed_conversions) c from marts.mart_attribution group by 1, 2"
    ):
        expected[r["channel"]][r["model"]] = r["c"]
    assert {r["channel"] for r in got} == set(expected)
    for r in got:
        per_model = expected[r["channel"]]
        for model in MODELS:
            assert r[model] == (approx(per_model[model]) if model in per_model else None)
        assert r["fewest"] == approx(min(per_model.values())) and r["most"] == approx(max(per_model.values()))
        assert per_model[r["model_giving_most"]] == approx(r["most"])
        assert per_model[r["model_giving_fewest"]] == approx(r["fewest"])


def test_average_of_ratios_mistake(con):
    rows = table(con, "select platform, clicks, impressions, ctr from marts.mart_campaign_performance_daily")
    got = {r["platform"]: r for r in run(con, "average_of_ratios_mistake")}
    for platform in {r["platform"] for r in rows}:
        part = [r for r in rows if r["platform"] == platform]
        ctrs = [r["ctr"] for r in part if r["ctr"] is not None]
        assert got[platform]["ctr"] == approx(sum(r["clicks"] for r in part) / sum(r["impressions"] for r in part))
        assert got[platform]["average_of_daily_campaign_ctr"] == approx(sum(ctrs) / len(ctrs))


def test_conversions_by_window(con):
    got = run(con, "conversions_by_window")
    totals = {
        (r["platform"], r["touch_type"], r["attribution_window"]): r["c"]
        for r in table(
            con,
            "select platform, touch_type, attribution_window, sum(conversions) c"
            " from marts.mart_conversions_by_touch_type group by 1, 2, 3",
        )
    }
    assert {(r["platform"], r["touch_type"], r["attribution_window"]): r["conversions"] for r in got} == {
        k: approx(v) for k, v in totals.items()
    }
    meta = {
        r["attribution_window"]: r["conversions"]
        for r in got
        if r["platform"] == "meta_ads" and r["touch_type"] == "click_through"
    }
    assert meta["1d_click"] <= meta["7d_click"] <= meta["28d_click"], "Meta's click windows nest"
    assert {r["attribution_window"] for r in got if r["platform"] == "meta_ads" and r["is_default_window"]} == {
        "7d_click",
        "1d_view",
    }


def test_freshness_by_platform(con):
    got = run(con, "freshness_by_platform")
    last = dict(
        con.execute("select platform, max(report_date) from marts.fct_ad_performance_daily group by 1").fetchall()
    )
    newest = max(last.values())
    assert {r["platform"]: r["last_report_date"] for r in got} == last
    for r in got:
        behind = r["days_behind_newest"]
        behind = behind.days if isinstance(behind, timedelta) else behind
        assert behind == (newest - last[r["platform"]]).days
