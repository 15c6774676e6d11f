"""End to end over hand-written native exports (not written by the project's generator).

Runs the real pipeline in-process through Dagster (ingest -> dbt build -> publish)
and checks the unified fact against values computed by hand from the files in
tests/fixtures/handmade_landing/ under the mapping of docs/definitions.md. Then: a second run gives identical
marts, and a restated day replaces its old values without duplicating.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from orchestration.cli import run_pipeline
from orchestration.settings import REPO_ROOT, Settings
from tests.paths import HANDMADE_LANDING

pytestmark = pytest.mark.e2e

LANDING = HANDMADE_LANDING
D1, D2 = date(2024, 3, 1), date(2024, 3, 2)

# Hand-computed from the files (docs/definitions.md):
# google_ads 03-01 (JSON, USD): impressions 1000+400+25000; clicks 52+8+40; interactions 52+9+40;
#   cost (41_500_000+9_120_000+30_000_000)/1e6; conversions 3.5+0(absent)+1.0; view-through 4 (display only);
#   value 210+80. Plus video_stream.json: VIDEO campaign 203, ads 40004 (5000 impr, 10 clicks, 1210
#   interactions, 36.00) and 40005 (3000, 0, 540, 16.20; no conversions) -> 03-01 totals 34400 impressions,
#   110 clicks, 101+1210+540 = 1851 interactions, 132.82 USD.
# google_ads 03-02: JSON USD ad 40001 (900, 45, 46, 38.00, conv 2.0, value 120) + UI CSV EUR
#   ("1,204"+"3,000" impr, 61+9 clicks, 61+"1,010" interactions, 48.30+12.00 cost, conv 2.00 + '--'=0,
#   view-through '--'=0 + 1, value "1,150.00"); the two `Total:` lines are not rows.
# meta_ads 03-01: impressions 20000+5000; link clicks 230+35; all clicks 410+60; spend 150.25+20.00;
#   purchase/omni_purchase/fb_pixel_purchase are the same purchases: 7d_click 5 once; 1d_view 2; values 500 / 200.
# meta_ads 03-02: 18000; 200; 380; 140.00; purchase+omni (no pixel) 7d_click 4, 1d_view 1; values 400 / 100;
#   add_to_cart is not a conversion.
# mailchimp (lifetime snapshots; first snapshot = first day): impressions = proxy-excluded unique opens
#   2300 then 2600-2300; clicks = unique_subscriber_clicks 230 then 265-230; all clicks 400 then 470-400;
#   deliveries 10000-50-150 then 0.
# klaviyo (two messages of one campaign, summed): opens_unique 2200+400 then (2500+420)-2600;
#   clicks_unique 120+20 then (135+21)-140; clicks 180+30 then (200+32)-210; delivered 4950+990 then 0;
#   unsplit conversions 6+1 then (8+1)-7; value 420+50 then (560+50)-470.
# linkedin_ads (adAnalytics per creative, GBP; clicks = landingPageClicks, all_clicks = clicks,
#   spend = costInLocalCurrency, click-/view-through = post-click / post-view, no split value):
#   03-01: impressions 8000+2000+5000; landing-page clicks 40+6+38; clicks 64+10+45;
#   cost 120.50+30.25+95.00; post-click 2+0+4; post-view 3+1+0.
#   03-02 (creative 902000002 not delivered): 6000+4000; 20+30; 30+36; 90.00+80.40; 1+3; 2+1.
EXPECTED = {
    # (platform, day): (impressions, clicks, all_clicks, spend (account ccy), conv_ct, conv_vt, value_ct, value_vt, deliveries, unsplit)
    ("google_ads", D1): (34400, 110, 1851, Decimal("132.82"), 4.5, 4, 290.0, None, None, None),
    ("google_ads", D2): (5104, 115, 1117, None, 4.0, 1, 1270.0, None, None, None),  # spend: two currencies
    ("meta_ads", D1): (25000, 265, 470, Decimal("170.25"), 5, 2, 500.0, 200.0, None, None),
    ("meta_ads", D2): (18000, 200, 380, Decimal("140.00"), 4, 1, 400.0, 100.0, None, None),
    ("mailchimp", D1): (2300, 230, 400, Decimal("0"), None, None, None, None, 9800, None),
    ("mailchimp", D2): (300, 35, 70, Decimal("0"), None, None, None, None, 0, None),
    ("klaviyo", D1): (2600, 140, 210, Decimal("0"), None, None, None, None, 5940, 7),
    ("klaviyo", D2): (320, 16, 22, Decimal("0"), None, None, None, None, 0, 2),
    ("linkedin_ads", D1): (15000, 84, 119, Decimal("245.75"), 6, 4, None, None, None, None),
    ("linkedin_ads", D2): (10000, 50, 66, Decimal("170.40"), 4, 3, None, None, None, None),
}


def _fx(currency: str, day: date) -> Decimal:
    """rate_to_usd of the latest seed rate on or before `day` (read straight from the seed CSV)."""
    best = None
    with open(REPO_ROOT / "seeds" / "fx_rates.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["currency_code"] == currency and date.fromisoformat(row["rate_date"]) <= day:
                if best is None or row["rate_date"] > best[0]:
                    best = (row["rate_date"], Decimal(row["rate_to_usd"]))
    assert best is not None, f"no {currency} rate in the seed for {day}"
    return best[1]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("handmade")
    landing = root / "landing"
    shutil.copytree(LANDING, landing)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    mp = pytest.MonkeyPatch()
    for key, value in {
        "ADWH_DATA_DIR": str(root / "data"),
        "ADWH_LANDING_DIR": str(landing),
        "ADWH_LAKE_DIR": str(root / "lake"),
        "ADWH_WAREHOUSE": str(root / "warehouse.duckdb"),
        "ADWH_ANALYST_DB": str(root / "analyst.duckdb"),
        "ADWH_START_DATE": "2024-01-01",
        "ADWH_SOURCES": "google_ads,meta_ads,linkedin_ads,mailchimp,klaviyo,ga4",
        "ADWH_REPORTING_CURRENCY": "USD",
        "DAGSTER_HOME": str(home),
    }.items():
        mp.setenv(key, value)
    settings = Settings.from_env()
    assert run_pipeline(settings, D1, D2, quiet=True), "first run failed"
    yield settings
    mp.undo()


def _rows(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.analyst_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _platform_day(settings: Settings) -> dict:
    rows = _rows(
        settings,
        """select platform, report_date, sum(impressions), sum(clicks), sum(all_clicks), sum(spend),
                  sum(conversions_click_through), sum(conversions_view_through),
                  sum(conversion_value_click_through), sum(conversion_value_view_through),
                  sum(deliveries), sum(conversions_unsplit), count(*)
           from marts.fct_ad_performance_daily group by 1, 2""",
    )
    return {(r[0], r[1]): r[2:] for r in rows}


def _close(actual, expected, what):
    if expected is None:
        assert actual is None, f"{what}: expected NULL (platform lacks the metric), got {actual}"
    else:
        assert actual is not None and abs(float(actual) - float(expected)) < 1e-6, f"{what}: {actual} != {expected}"


def test_fact_equals_hand_computed_values(env):
    got = _platform_day(env)
    assert set(got) == set(EXPECTED), sorted(got)
    names = [
        "impressions",
        "clicks",
        "all_clicks",
        "spend",
        "conv_ct",
        "conv_vt",
        "value_ct",
        "value_vt",
        "deliveries",
        "unsplit",
    ]
    for key, expected in EXPECTED.items():
        for name, actual, want in zip(names, got[key][:10], expected):
            if name == "spend" and want is None:
                continue
            _close(actual, want, f"{key} {name}")


def test_grain_rows_and_total_lines_not_counted(env):
    counts = {k: v[10] for k, v in _platform_day(env).items()}
    # google 03-01: 3 ads + 2 video ads; 03-02: 1 JSON ad + 2 CSV ads (the 2 Total lines are not rows)
    assert counts[("google_ads", D1)] == 5 and counts[("google_ads", D2)] == 3
    assert counts[("meta_ads", D1)] == 2 and counts[("meta_ads", D2)] == 1
    assert counts[("klaviyo", D1)] == 1  # two messages -> one campaign row
    assert counts[("linkedin_ads", D1)] == 3 and counts[("linkedin_ads", D2)] == 2  # one row per creative


def test_linkedin_ids_names_and_video_from_the_lookups(env):
    """Creative -> campaign -> account from the lookups saved beside each day; the latest saved
    account name wins on both days (the lookups are the state at pull time); video only in the
    SINGLE_VIDEO campaign: the image creative's reported 0s are NULL (not measured), not 0."""
    rows = _rows(
        env,
        """select report_date, ad_id, account_id, account_name, campaign_id, campaign_name, currency,
                  video_starts, video_views, video_completions
           from marts.fct_ad_performance_daily where platform = 'linkedin_ads' order by 1, 2""",
    )
    name, ccy = "Acme B2B UK", "GBP"
    assert rows == [
        (D1, "902000001", "508100001", name, "613000001", "Video | Awareness", ccy, 3000, 2400, 800),
        (D1, "902000002", "508100001", name, "613000001", "Video | Awareness", ccy, 900, 600, 150),
        (D1, "902000003", "508100001", name, "613000002", "Leads | Webinar", ccy, None, None, None),
        (D2, "902000001", "508100001", name, "613000001", "Video | Awareness", ccy, 2500, 1500, 500),
        (D2, "902000003", "508100001", name, "613000002", "Leads | Webinar", ccy, None, None, None),
    ]
    # outside LinkedIn only the Google VIDEO ads and Meta's "Video A" measure video; every other row
    # (search, display, UI CSV, Meta's static ad, e-mail) is NULL, never 0
    others = _rows(
        env,
        """select platform, report_date, ad_id from marts.fct_ad_performance_daily where platform <> 'linkedin_ads'
           and (video_starts is not null or video_views is not null or video_completions is not null)
           order by 1, 2, 3""",
    )
    assert others == [
        ("google_ads", D1, "40004"),
        ("google_ads", D1, "40005"),
        ("meta_ads", D1, "8001"),
        ("meta_ads", D2, "8001"),
    ]


def test_video_mart_hand_computed(env):
    # campaign 613000001: 03-01 creatives 902000001 + 902000002; 03-02 902000001 alone. The image
    # campaign 613000002 measures no video: no row.
    rows = _rows(
        env,
        """select report_date, campaign_id, impressions, video_starts, video_views, view_rate,
                  spend_reporting, cost_per_view, video_completions, completion_rate, video_view_definition
           from marts.mart_video_performance_daily where platform = 'linkedin_ads' order by 1, 2""",
    )
    assert [r[:2] for r in rows] == [(D1, "613000001"), (D2, "613000001")]
    expected = {
        # day: (impressions, starts, views, cost in GBP, completions)
        D1: (8000 + 2000, 3000 + 900, 2400 + 600, Decimal("120.50") + Decimal("30.25"), 800 + 150),
        D2: (6000, 2500, 1500, Decimal("90.00"), 500),
    }
    for row in rows:
        impressions, starts, views, cost_gbp, completions = expected[row[0]]
        assert row[2:5] == (impressions, starts, views)
        _close(row[5], Decimal(views) / impressions, f"{row[0]} view_rate")
        spend_usd = cost_gbp * _fx("GBP", row[0]) / _fx("USD", row[0])
        _close(row[6], spend_usd, f"{row[0]} spend_reporting")
        _close(row[7], spend_usd / views, f"{row[0]} cost_per_view")
        assert row[8] == completions
        _close(row[9], Decimal(completions) / impressions, f"{row[0]} completion_rate")
        assert "2 seconds" in row[10] and "50 %" in row[10], row[10]


def test_video_fact_google_and_meta_hand_computed(env):
    """Google: views = metrics.videoTrueviewViews; completions = round(impressions x
    videoQuartileP100Rate) = round(5000 x 0.16234 = 811.7) = 812; ad 40005's rate was selected in the
    fieldMask and omitted (a zero) -> 0; no start count. Meta "Video A": starts = video_play_actions,
    views = actions video_view, completions = video_p100_watched_actions."""
    rows = _rows(
        env,
        """select platform, report_date, ad_id, video_starts, video_views, video_completions
           from marts.fct_ad_performance_daily where video_views is not null and platform <> 'linkedin_ads'
           order by 1, 2, 3""",
    )
    assert rows == [
        ("google_ads", D1, "40004", None, 1200, 812),
        ("google_ads", D1, "40005", None, 540, 0),
        ("meta_ads", D1, "8001", 11000, 6000, 1500),
        ("meta_ads", D2, "8001", 9900, 5400, 1350),
    ]


def test_video_mart_google_and_meta_hand_computed(env):
    # Google campaign 203 (03-01, USD): impressions 5000 + 3000, views 1200 + 540, cost 36.00 + 16.20,
    # completions 812 + 0. Meta campaign 6001 (USD): only "Video A" measures video (the static ad
    # is not in the mart): 03-01 20000 / 6000 / 150.25 / 1500; 03-02 18000 / 5400 / 140.00 / 1350.
    rows = _rows(
        env,
        """select platform, report_date, campaign_id, impressions, video_starts, video_views, view_rate,
                  spend_reporting, cost_per_view, video_completions, completion_rate, video_view_definition
           from marts.mart_video_performance_daily where platform <> 'linkedin_ads' order by 1, 2, 3""",
    )
    expected = {
        ("google_ads", D1, "203"): (5000 + 3000, None, 1200 + 540, Decimal("36.00") + Decimal("16.20"), 812 + 0),
        ("meta_ads", D1, "6001"): (20000, 11000, 6000, Decimal("150.25"), 1500),
        ("meta_ads", D2, "6001"): (18000, 9900, 5400, Decimal("140.00"), 1350),
    }
    assert [r[:3] for r in rows] == list(expected)
    for row in rows:
        impressions, starts, views, spend_usd, completions = expected[row[:3]]
        assert row[3:6] == (impressions, starts, views)
        _close(row[6], Decimal(views) / impressions, f"{row[:3]} view_rate")  # 0.2175; 0.3; 0.3
        _close(row[7], spend_usd, f"{row[:3]} spend_reporting")  # USD accounts: no conversion
        _close(row[8], spend_usd / views, f"{row[:3]} cost_per_view")  # 0.03; 0.0250416...; 0.0259259...
        assert row[9] == completions
        _close(row[10], Decimal(completions) / impressions, f"{row[:3]} completion_rate")  # 0.1015; 0.075; 0.075
    definitions = {row[0]: row[11] for row in rows}
    assert "30 seconds" in definitions["google_ads"] and "TrueView" in definitions["google_ads"]
    assert "3-second" in definitions["meta_ads"]


def test_linkedin_windows_in_touch_types_and_claims(env):
    rows = _rows(
        env,
        """select report_date, campaign_id, touch_type, attribution_window, is_default_window, conversions,
                  conversion_value
           from marts.mart_conversions_by_touch_type where platform = 'linkedin_ads' order by 1, 2, 3""",
    )
    post_click, post_view = "linkedin_post_click_window", "linkedin_post_view_window"
    assert rows == [
        (D1, "613000001", "click_through", post_click, True, 2.0 + 0.0, None),
        (D1, "613000001", "view_through", post_view, True, 3.0 + 1.0, None),
        (D1, "613000002", "click_through", post_click, True, 4.0, None),
        (D1, "613000002", "view_through", post_view, True, 0.0, None),
        (D2, "613000001", "click_through", post_click, True, 1.0, None),
        (D2, "613000001", "view_through", post_view, True, 2.0, None),
        (D2, "613000002", "click_through", post_click, True, 3.0, None),
        (D2, "613000002", "view_through", post_view, True, 1.0, None),
    ]
    claims = _rows(
        env,
        """select report_date, platform_reported, claimed_conversions_click_through,
                  claimed_conversions_view_through, claimed_conversions_unsplit, claimed_conversions_total
           from marts.mart_platform_claims_reconciliation where platform = 'linkedin_ads' order by 1""",
    )
    assert claims == [(D1, True, 6.0, 4.0, None, 10.0), (D2, True, 4.0, 3.0, None, 7.0)]


def test_linkedin_first_party_conversions_from_li_fat_id(env):
    """GA4 03-01: u3 lands with li_fat_id (linkedin / paid_social, campaign 613000001) and buys T3 (250.00)
    in that session: its only touch is LinkedIn Paid Social, so last_non_direct credits 1 conversion
    to linkedin_ads. LinkedIn claims 6 + 4 = 10 that day: over-claim ratio 10 / 1 = 10. On 03-02 GA4
    credits LinkedIn nothing: 0 first-party, ratio NULL."""
    con = duckdb.connect(str(env.warehouse), read_only=True)  # a view: not in the analyst snapshot
    try:
        session = con.execute(
            """select channel, platform, campaign_id, li_fat_id is not null
               from intermediate.int_ga4__sessions_classified where user_pseudo_id = 'u3'"""
        ).fetchall()
    finally:
        con.close()
    assert session == [("Paid Social", "linkedin_ads", "613000001", True)]
    claims = _rows(
        env,
        """select report_date, claimed_conversions_total, first_party_conversions, first_party_revenue,
                  over_claim_ratio
           from marts.mart_platform_claims_reconciliation where platform = 'linkedin_ads' order by 1""",
    )
    assert claims == [(D1, 10.0, 1.0, 250.0, 10.0), (D2, 7.0, 0.0, 0.0, None)]


def test_spend_reporting_uses_fx_seed(env):
    rows = _rows(
        env,
        """select currency, sum(spend), sum(spend_reporting) from marts.fct_ad_performance_daily
           where platform = 'google_ads' and report_date = date '2024-03-02' group by 1""",
    )
    by_ccy = {r[0]: (r[1], r[2]) for r in rows}
    assert set(by_ccy) == {"USD", "EUR"}
    eur_spend, eur_reporting = by_ccy["EUR"]
    _close(eur_spend, Decimal("60.30"), "EUR spend")
    _close(eur_reporting, Decimal("60.30") * _fx("EUR", D2) / _fx("USD", D2), "EUR spend in USD")
    _close(by_ccy["USD"][1], Decimal("38.00"), "USD spend in USD")


def test_campaign_ctr_is_ratio_of_sums(env):
    # Brand Search (201): 03-01 clicks 52+8 over 1000+400 impressions, 03-02 45 over 900.
    rows = _rows(
        env,
        """select report_date, impressions, clicks, ctr from marts.mart_campaign_performance_daily
           where platform = 'google_ads' and campaign_id = '201' order by report_date""",
    )
    assert [(r[1], r[2]) for r in rows] == [(1400, 60), (900, 45)]
    _close(rows[0][3], 60 / 1400, "ctr 03-01")
    _close(rows[1][3], 45 / 900, "ctr 03-02")
    # over both days the ratio of sums (105/2300), not the mean of the daily ratios
    total = _rows(
        env,
        """select sum(clicks) / sum(impressions), avg(ctr) from marts.mart_campaign_performance_daily
           where platform = 'google_ads' and campaign_id = '201'""",
    )[0]
    assert abs(total[0] - 105 / 2300) < 1e-12 and abs(total[1] - 105 / 2300) > 1e-4


def test_ga4_user_id_hashed_in_lake_and_warehouse(env):
    raw = (env.lake_dir / "raw" / "ga4").rglob("*.parquet")
    for path in raw:
        assert b"jane.doe@example.com" not in path.read_bytes()
    assert b"jane.doe@example.com" not in env.warehouse.read_bytes()


def test_rerun_gives_identical_marts(env):
    before = _rows(env, "select * from marts.fct_ad_performance_daily order by all")
    mart_before = _rows(env, "select * from marts.mart_campaign_performance_daily order by all")
    assert run_pipeline(env, D1, D2, quiet=True)
    assert _rows(env, "select * from marts.fct_ad_performance_daily order by all") == before
    assert _rows(env, "select * from marts.mart_campaign_performance_daily order by all") == mart_before


def test_restated_day_replaces_not_duplicates(env):
    """Google re-exports 03-01: late conversions for ad 40001 and ad 40002 gone."""
    path = env.landing_dir / "google_ads" / "2024-03-01" / "search_stream.json"
    batches = json.loads(path.read_text())
    batches[0]["results"][0]["metrics"]["conversions"] = 5.0  # was 3.5
    del batches[0]["results"][1]  # ad 40002 no longer reported
    path.write_text(json.dumps(batches))
    assert run_pipeline(env, D1, D1, quiet=True)
    got = _platform_day(env)
    # 03-01 now: impressions 1000+25000 (+ the untouched video file's 5000+3000), conversions 5.0+1.0,
    # 2 + 2 rows
    _close(got[("google_ads", D1)][0], 34000, "restated impressions")
    _close(got[("google_ads", D1)][4], 6.0, "restated conversions")
    assert got[("google_ads", D1)][10] == 4
    # other days and platforms untouched
    _close(got[("google_ads", D2)][0], 5104, "03-02 untouched")
    _close(got[("meta_ads", D1)][0], 25000, "meta untouched")
    dupes = _rows(
        env,
        """select count(*) from (select report_date, platform, account_id, campaign_id, ad_group_id, ad_id, count(*) n
           from marts.fct_ad_performance_daily group by all having count(*) > 1)""",
    )
    assert dupes == [(0,)]


def test_restated_email_snapshot_updates_next_day(env):
    """A re-exported Mailchimp snapshot of 03-01 changes the 03-01 AND 03-02 differences,
    even when only 03-01 is re-run."""
    path = env.landing_dir / "mailchimp" / "2024-03-01" / "reports.json"
    doc = json.loads(path.read_text())
    doc["reports"][0]["opens"]["proxy_excluded_unique_opens"] = 2200  # was 2300
    path.write_text(json.dumps(doc))
    assert run_pipeline(env, D1, D1, quiet=True)
    got = _platform_day(env)
    _close(got[("mailchimp", D1)][0], 2200, "restated day")  # first snapshot
    _close(got[("mailchimp", D2)][0], 2600 - 2200, "next day follows")  # was 2600 - 2300
