"""dbt project end-to-end on a tiny hand-made raw lake.

Builds `lake/raw/<source>/report_date=YYYY-MM-DD/<table>.parquet` with pyarrow exactly as
docs/raw_layer.md specifies, runs `dbt build` (seeds, models, data tests, unit tests) into
a DuckDB file in tmp, and checks mart values against numbers computed by hand below.
Also: a restatement of one day through the --vars window replaces that day only, a
missing FX rate fails the build, and subsets of the sources (vars <source>_enabled) build.

dbt is slow to start: one session-scoped build is shared by the value tests; the other
scenarios copy the lake + warehouse and run one more dbt command each.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.registry import ALL_SOURCES
from tests.dbt import helpers
from tests.dbt.helpers import check

REPO = Path(__file__).resolve().parents[2]
FX_SEED = REPO / "seeds" / "fx_rates.csv"

D1 = date(2024, 3, 1)
D2 = date(2024, 3, 2)

# --------------------------------------------------------------------------- raw layer schemas
LINEAGE = [pa.field("source_file", pa.string(), nullable=False), pa.field("record_number", pa.int64(), nullable=False)]


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(n, t) for n, t in fields] + LINEAGE)


S, I, F, DT = pa.string(), pa.int64(), pa.float64(), pa.date32()  # noqa: E741
TS = pa.timestamp("us", tz="UTC")

SCHEMAS = {
    ("google_ads", "ad_stats"): _schema(
        ("segment_date", DT),
        ("customer_id", S),
        ("customer_name", S),
        ("currency_code", S),
        ("time_zone", S),
        ("campaign_id", S),
        ("campaign_name", S),
        ("advertising_channel_type", S),
        ("ad_group_id", S),
        ("ad_group_name", S),
        ("ad_id", S),
        ("impressions", I),
        ("clicks", I),
        ("interactions", I),
        ("cost_micros", I),
        ("conversions", F),
        ("conversions_value", F),
        ("view_through_conversions", I),
        ("video_trueview_views", I),
        ("video_quartile_p100_rate", F),
        ("source_format", S),
    ),
    ("meta_ads", "ad_insights"): _schema(
        ("date_start", DT),
        ("date_stop", DT),
        ("account_id", S),
        ("account_name", S),
        ("account_currency", S),
        ("account_timezone", S),
        ("campaign_id", S),
        ("campaign_name", S),
        ("adset_id", S),
        ("adset_name", S),
        ("ad_id", S),
        ("ad_name", S),
        ("impressions", I),
        ("clicks", I),
        ("inline_link_clicks", I),
        ("spend", F),
        ("reach", I),
        ("attribution_setting", S),
        ("video_play_actions", I),
        ("video_thruplay_watched_actions", I),
        ("video_p100_watched_actions", I),
    ),
    ("meta_ads", "ad_actions"): _schema(
        ("account_id", S),
        ("campaign_id", S),
        ("adset_id", S),
        ("ad_id", S),
        ("date_start", DT),
        ("kind", S),
        ("action_type", S),
        ("attribution_window", S),
        ("value", F),
    ),
    ("mailchimp", "campaign_snapshots"): _schema(
        ("campaign_id", S),
        ("campaign_title", S),
        ("list_id", S),
        ("subject_line", S),
        ("campaign_type", S),
        ("send_time", TS),
        ("emails_sent", I),
        ("hard_bounces", I),
        ("soft_bounces", I),
        ("syntax_errors", I),
        ("opens_total", I),
        ("unique_opens", I),
        ("proxy_excluded_opens", I),
        ("proxy_excluded_unique_opens", I),
        ("clicks_total", I),
        ("unique_clicks", I),
        ("unique_subscriber_clicks", I),
        ("unsubscribed", I),
    ),
    ("klaviyo", "campaign_snapshots"): _schema(
        ("send_channel", S),
        ("campaign_id", S),
        ("campaign_message_id", S),
        ("recipients", I),
        ("delivered", I),
        ("bounced", I),
        ("opens", I),
        ("opens_unique", I),
        ("clicks", I),
        ("clicks_unique", I),
        ("unsubscribes", I),
        ("conversions", F),
        ("conversion_value", F),
    ),
    ("ga4", "events"): _schema(
        ("event_date", DT),
        ("event_timestamp_us", I),
        ("event_ts", TS),
        ("event_name", S),
        ("user_pseudo_id", S),
        ("user_id", S),
        ("ga_session_id", I),
        ("page_location", S),
        ("page_referrer", S),
        ("traffic_source", S),
        ("traffic_medium", S),
        ("traffic_campaign_id", S),
        ("traffic_campaign_name", S),
        ("traffic_gclid", S),
        ("url_gclid", S),
        ("url_fbclid", S),
        ("url_li_fat_id", S),
        ("url_mc_cid", S),
        ("url_mc_eid", S),
        ("url_utm_source", S),
        ("url_utm_medium", S),
        ("url_utm_campaign", S),
        ("url_utm_id", S),
        ("transaction_id", S),
        ("purchase_revenue", F),
        ("currency", S),
    ),
    ("ga4", "event_params"): _schema(
        ("event_timestamp_us", I),
        ("event_name", S),
        ("user_pseudo_id", S),
        ("key", S),
        ("string_value", S),
        ("int_value", I),
        ("double_value", F),
    ),
}

# LinkedIn: the ingest writes the parser's own schemas (lineage columns included)
from orchestration.ingestion.parsers import linkedin_ads as _linkedin_parser  # noqa: E402

SCHEMAS.update({("linkedin_ads", table): schema for table, schema in _linkedin_parser.SCHEMAS.items()})


def write_table(lake: Path, source: str, table: str, day: date, rows: list[dict]) -> None:
    """One Parquet file per table per partition, as the ingest asset writes it."""
    schema = SCHEMAS[(source, table)]
    full = []
    for number, row in enumerate(rows, start=1):
        record = dict.fromkeys(schema.names)
        record.update({"source_file": f"{source}_{day.isoformat()}.json", "record_number": number})
        record.update(row)
        full.append(record)
    folder = lake / "raw" / source / f"report_date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(full, schema=schema), folder / f"{table}.parquet")


# --------------------------------------------------------------------------- sample data
def google_row(
    day,
    campaign_id,
    campaign_name,
    channel_type,
    ad_group_id,
    ad_id,
    impressions,
    clicks,
    interactions,
    cost_micros,
    conversions,
    conversions_value,
    vtc,
    currency="EUR",
    customer_id="1234567890",
):
    return {
        "segment_date": day,
        "customer_id": customer_id,
        "customer_name": "Shop DE",
        "currency_code": currency,
        "time_zone": "Europe/Berlin",
        "campaign_id": campaign_id,
        "campaign_name": campaign_name,
        "advertising_channel_type": channel_type,
        "ad_group_id": ad_group_id,
        "ad_group_name": f"AG {ad_group_id}",
        "ad_id": ad_id,
        "impressions": impressions,
        "clicks": clicks,
        "interactions": interactions,
        "cost_micros": cost_micros,
        "conversions": conversions,
        "conversions_value": conversions_value,
        "view_through_conversions": vtc,
        "source_format": "api_json",
    }


def google_day1():
    return [
        # Search campaign G1, two ads with different CTRs: 50/1000 = 5 % and 40/4000 = 1 %
        google_row(D1, "G1", "Search Brand", "SEARCH", "AG1", "A1", 1000, 50, 55, 12_500_000, 2.5, 100.0, 1),
        google_row(D1, "G1", "Search Brand", "SEARCH", "AG1", "A2", 4000, 40, 42, 7_500_000, 0.5, 20.0, 0),
        google_row(D1, "G2", "Display Remarketing", "DISPLAY", "AG2", "A3", 10000, 20, 25, 5_000_000, 0.0, 0.0, 3),
    ]


def google_day2():
    return [google_row(D2, "G1", "Search Brand", "SEARCH", "AG1", "A1", 3000, 60, 60, 30_000_000, 1.0, 50.0, 0)]


def meta_insight(day, ad_id, impressions, clicks, inline_link_clicks, spend):
    return {
        "date_start": day,
        "date_stop": day,
        "account_id": "act_1",
        "account_currency": "USD",
        "account_timezone": "America/New_York",
        "campaign_id": "M1",
        "campaign_name": "Prospecting",
        "adset_id": "S1",
        "adset_name": "Lookalike",
        "ad_id": ad_id,
        "impressions": impressions,
        "clicks": clicks,
        "inline_link_clicks": inline_link_clicks,
        "spend": spend,
        "attribution_setting": "7d_click_1d_view",
    }


def meta_action(day, ad_id, kind, action_type, window, value):
    return {
        "account_id": "act_1",
        "campaign_id": "M1",
        "adset_id": "S1",
        "ad_id": ad_id,
        "date_start": day,
        "kind": kind,
        "action_type": action_type,
        "attribution_window": window,
        "value": value,
    }


def meta_actions_day1():
    rows = []
    # the same 3 purchases reported under three overlapping action types -> count ONE group
    for action_type in ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase"):
        rows += [
            meta_action(D1, "MA1", "action", action_type, "default", 4.0),
            meta_action(D1, "MA1", "action", action_type, "7d_click", 3.0),
            meta_action(D1, "MA1", "action", action_type, "28d_click", 5.0),
            meta_action(D1, "MA1", "action", action_type, "1d_view", 1.0),
            meta_action(D1, "MA1", "action_value", action_type, "7d_click", 150.0),
            meta_action(D1, "MA1", "action_value", action_type, "1d_view", 30.0),
        ]
    rows += [
        meta_action(D1, "MA1", "action", "lead", "7d_click", 2.0),  # another group: counts too
        meta_action(D1, "MA1", "action", "link_click", "default", 40.0),  # not a conversion
    ]
    return rows


def mailchimp_row(emails_sent, hard, soft, pe_unique_opens, unique_subscriber_clicks, clicks_total):
    return {
        "campaign_id": "MC1",
        "campaign_title": "March Newsletter",
        "list_id": "L1",
        "campaign_type": "regular",
        "send_time": datetime(2024, 3, 1, 8, 0, tzinfo=UTC),
        "emails_sent": emails_sent,
        "hard_bounces": hard,
        "soft_bounces": soft,
        "syntax_errors": 0,
        "opens_total": pe_unique_opens * 2,
        "unique_opens": pe_unique_opens + 100,
        "proxy_excluded_opens": pe_unique_opens + 10,
        "proxy_excluded_unique_opens": pe_unique_opens,
        "clicks_total": clicks_total,
        "unique_clicks": unique_subscriber_clicks,
        "unique_subscriber_clicks": unique_subscriber_clicks,
        "unsubscribed": 1,
    }


def klaviyo_row(message_id, delivered, opens_unique, clicks_unique, clicks, conversions, conversion_value):
    return {
        "send_channel": "email",
        "campaign_id": "K1",
        "campaign_message_id": message_id,
        "recipients": delivered + 5,
        "delivered": delivered,
        "bounced": 5,
        "opens": opens_unique + 20,
        "opens_unique": opens_unique,
        "clicks": clicks,
        "clicks_unique": clicks_unique,
        "unsubscribes": 0,
        "conversions": conversions,
        "conversion_value": conversion_value,
    }


def ga4_tables(day):
    ts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    us = int(ts.timestamp() * 1_000_000)
    events = [
        {
            "event_date": day,
            "event_timestamp_us": us,
            "event_ts": ts,
            "event_name": "session_start",
            "user_pseudo_id": "u1",
            "ga_session_id": 111,
            "page_location": "https://shop.example/?gclid=abc",
            "url_gclid": "abc",
        },
        {
            "event_date": day,
            "event_timestamp_us": us + 1000,
            "event_ts": ts,
            "event_name": "purchase",
            "user_pseudo_id": "u1",
            "ga_session_id": 111,
            "transaction_id": f"T{day.day}",
            "purchase_revenue": 99.0,
            "currency": "USD",
        },
    ]
    params = [
        {
            "event_timestamp_us": us,
            "event_name": "session_start",
            "user_pseudo_id": "u1",
            "key": "ga_session_id",
            "int_value": 111,
        },
        {
            "event_timestamp_us": us,
            "event_name": "session_start",
            "user_pseudo_id": "u1",
            "key": "page_location",
            "string_value": "https://shop.example/?gclid=abc",
        },
    ]
    return events, params


def build_lake(lake: Path) -> None:
    write_table(lake, "google_ads", "ad_stats", D1, google_day1())
    write_table(lake, "google_ads", "ad_stats", D2, google_day2())

    write_table(
        lake,
        "meta_ads",
        "ad_insights",
        D1,
        [
            meta_insight(D1, "MA1", 2000, 90, 40, 25.0),
            meta_insight(D1, "MA2", 500, 10, 5, 5.0),  # no actions at all -> 0 conversions
        ],
    )
    write_table(lake, "meta_ads", "ad_actions", D1, meta_actions_day1())
    write_table(lake, "meta_ads", "ad_insights", D2, [meta_insight(D2, "MA1", 1000, 20, 10, 10.0)])
    write_table(
        lake,
        "meta_ads",
        "ad_actions",
        D2,
        [
            meta_action(D2, "MA1", "action", "offsite_conversion.fb_pixel_purchase", "7d_click", 1.0),
        ],
    )

    # lifetime snapshots
    write_table(lake, "mailchimp", "campaign_snapshots", D1, [mailchimp_row(1000, 10, 5, 200, 20, 30)])
    write_table(lake, "mailchimp", "campaign_snapshots", D2, [mailchimp_row(1000, 10, 5, 260, 26, 40)])

    write_table(
        lake,
        "klaviyo",
        "campaign_snapshots",
        D1,
        [
            klaviyo_row("K1-m1", 500, 100, 10, 12, 2.0, 80.0),
            klaviyo_row("K1-m2", 300, 50, 5, 6, None, None),
        ],
    )
    write_table(
        lake,
        "klaviyo",
        "campaign_snapshots",
        D2,
        [
            klaviyo_row("K1-m1", 500, 130, 13, 16, 3.0, 120.0),
            klaviyo_row("K1-m2", 300, 60, 6, 7, None, None),
        ],
    )

    # LinkedIn (GBP, one video creative on D1; the lookups are saved beside the analytics)
    write_table(
        lake, "linkedin_ads", "elements", D1, [{"entity_type": "ad_analytics", "entity_id": "901", "date_start": D1}]
    )
    write_table(
        lake,
        "linkedin_ads",
        "ad_analytics",
        D1,
        [
            {
                "date_start": D1,
                "creative_id": "901",
                "impressions": 3000,
                "clicks": 30,
                "landing_page_clicks": 21,
                "cost_in_local_currency": 60.0,
                "external_website_post_click_conversions": 2,
                "external_website_post_view_conversions": 1,
                "conversion_value_in_local_currency": 90.0,
                "video_starts": 1200,
                "video_views": 800,
                "video_completions": 200,
            }
        ],
    )
    write_table(
        lake, "linkedin_ads", "ad_accounts", D1, [{"account_id": "508", "account_name": "B2B UK", "currency": "GBP"}]
    )
    write_table(
        lake,
        "linkedin_ads",
        "ad_campaigns",
        D1,
        [
            {
                "campaign_id": "612",
                "account_id": "508",
                "campaign_name": "Video",
                "campaign_type": "SPONSORED_UPDATES",
                "campaign_format": "SINGLE_VIDEO",
            }
        ],
    )
    write_table(
        lake, "linkedin_ads", "creatives", D1, [{"creative_id": "901", "campaign_id": "612", "account_id": "508"}]
    )

    for day in (D1, D2):
        events, params = ga4_tables(day)
        write_table(lake, "ga4", "events", day, events)
        write_table(lake, "ga4", "event_params", day, params)


# --------------------------------------------------------------------------- running dbt
def run_dbt(workdir: Path, lake: Path, warehouse: Path, args: list[str], sources: str | None = None):
    """dbt ``args``; ``sources`` (comma-separated, default all) become the vars
    ``<source>_enabled``, merged with the window ``--vars`` of ``args``, as the orchestration
    layer passes them."""
    enabled = sources.split(",") if sources is not None else ALL_SOURCES
    return helpers.run_dbt(workdir, lake, warehouse, args, sources=enabled)


def query(warehouse: Path, sql: str, params=None):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fx(day: date, currency: str) -> float:
    with FX_SEED.open() as fh:
        for row in csv.DictReader(fh):
            if row["rate_date"] == day.isoformat() and row["currency_code"] == currency:
                return float(row["rate_to_usd"])
    raise KeyError((day, currency))


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_main")
    lake, warehouse = work / "lake", work / "warehouse.duckdb"
    build_lake(lake)
    result = run_dbt(work, lake, warehouse, ["build"])
    check(result)
    return {"work": work, "lake": lake, "warehouse": warehouse}


def copy_of(built, tmp_path: Path):
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    shutil.copytree(built["lake"], lake)
    shutil.copy(built["warehouse"], warehouse)
    return lake, warehouse


def fact(warehouse, where: str):
    cols = [
        r[0]
        for r in query(
            warehouse,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_ad_performance_daily' order by ordinal_position",
        )
    ]
    rows = query(warehouse, f"select * from marts.fct_ad_performance_daily where {where}")
    return [dict(zip(cols, r)) for r in rows]


def mart(warehouse, where: str):
    cols = [
        r[0]
        for r in query(
            warehouse,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'mart_campaign_performance_daily' order by ordinal_position",
        )
    ]
    rows = query(warehouse, f"select * from marts.mart_campaign_performance_daily where {where}")
    return [dict(zip(cols, r)) for r in rows]


# --------------------------------------------------------------------------- value tests
def test_google_spend_and_mapping(built):
    wh = built["warehouse"]
    (a1,) = fact(wh, "platform = 'google_ads' and report_date = '2024-03-01' and ad_id = 'A1'")
    assert a1["spend"] == pytest.approx(12.5)  # cost_micros 12_500_000 / 1e6
    assert a1["currency"] == "EUR" and a1["account_timezone"] == "Europe/Berlin"
    assert a1["channel"] == "Paid Search"  # SEARCH
    assert (a1["impressions"], a1["clicks"], a1["all_clicks"]) == (1000, 50, 55)  # interactions -> all_clicks
    assert a1["conversions_click_through"] == pytest.approx(2.5)
    assert a1["conversions_view_through"] == pytest.approx(1.0)
    assert a1["conversion_value_click_through"] == pytest.approx(100.0)
    assert a1["conversion_value_view_through"] is None  # Google has no view-through value
    assert a1["deliveries"] is None and a1["conversions_unsplit"] is None
    # EUR -> USD: 12.5 * rate_to_usd(EUR, 2024-03-01) / rate_to_usd(USD) (= 1.0)
    assert a1["fx_rate"] == pytest.approx(fx(D1, "EUR") / fx(D1, "USD"))
    assert a1["spend_reporting"] == pytest.approx(12.5 * fx(D1, "EUR"))
    (a3,) = fact(wh, "ad_id = 'A3'")
    assert a3["channel"] == "Display"


def test_meta_purchase_counted_once(built):
    wh = built["warehouse"]
    (ma1,) = fact(wh, "platform = 'meta_ads' and report_date = '2024-03-01' and ad_id = 'MA1'")
    # purchase / omni_purchase / fb_pixel_purchase all say 3 (7d_click): counted once = 3, plus lead 2
    assert ma1["conversions_click_through"] == pytest.approx(3 + 2)
    # 1d_view: purchase group 1, lead none
    assert ma1["conversions_view_through"] == pytest.approx(1)
    assert ma1["conversion_value_click_through"] == pytest.approx(150.0)  # not 450
    assert ma1["conversion_value_view_through"] == pytest.approx(30.0)
    assert (ma1["impressions"], ma1["clicks"], ma1["all_clicks"]) == (2000, 40, 90)  # inline_link_clicks, clicks
    assert ma1["channel"] == "Paid Social" and ma1["ad_group_id"] == "S1"
    assert ma1["spend_reporting"] == pytest.approx(25.0)  # USD -> USD
    (ma2,) = fact(wh, "ad_id = 'MA2'")
    assert ma2["conversions_click_through"] == 0 and ma2["conversions_view_through"] == 0
    (ma1_d2,) = fact(wh, "ad_id = 'MA1' and report_date = '2024-03-02'")
    assert ma1_d2["conversions_click_through"] == pytest.approx(1)  # only fb_pixel_purchase present


def test_email_differencing(built):
    wh = built["warehouse"]
    day1, day2 = sorted(fact(wh, "platform = 'mailchimp'"), key=lambda r: r["report_date"])
    # first snapshot = first day: opens 200, clicks 20, all 30, deliveries 1000 - 10 - 5 = 985
    assert (day1["impressions"], day1["clicks"], day1["all_clicks"], day1["deliveries"]) == (200, 20, 30, 985)
    # day 2 = lifetime(D2) - lifetime(D1): 260-200, 26-20, 40-30, 985-985
    assert (day2["impressions"], day2["clicks"], day2["all_clicks"], day2["deliveries"]) == (60, 6, 10, 0)
    assert day1["account_id"] == "L1" and day1["channel"] == "Email" and day1["ad_id"] is None
    assert day1["spend"] == 0 and day1["spend_reporting"] == 0 and day1["currency"] is None
    assert day1["conversions_click_through"] is None and day1["conversions_unsplit"] is None

    k1, k2 = sorted(fact(wh, "platform = 'klaviyo'"), key=lambda r: r["report_date"])
    # messages added up: opens 100+50, clicks 10+5, all 12+6, delivered 500+300, conversions 2 (+NULL)
    assert (k1["impressions"], k1["clicks"], k1["all_clicks"], k1["deliveries"]) == (150, 15, 18, 800)
    assert k1["conversions_unsplit"] == pytest.approx(2.0) and k1["conversion_value_unsplit"] == pytest.approx(80.0)
    # day 2: (130+60)-150 = 40, (13+6)-15 = 4, (16+7)-18 = 5, 800-800 = 0, 3-2 = 1, 120-80 = 40
    assert (k2["impressions"], k2["clicks"], k2["all_clicks"], k2["deliveries"]) == (40, 4, 5, 0)
    assert k2["conversions_unsplit"] == pytest.approx(1.0) and k2["conversion_value_unsplit"] == pytest.approx(40.0)
    assert k1["account_id"] == "klaviyo" and k1["conversions_click_through"] is None


def test_campaign_mart_ratios(built):
    wh = built["warehouse"]
    (g1,) = mart(wh, "platform = 'google_ads' and campaign_id = 'G1' and report_date = '2024-03-01'")
    # ratio of sums: (50 + 40) / (1000 + 4000) = 0.018, not the mean of 5 % and 1 % (0.03)
    assert g1["ctr"] == pytest.approx(90 / 5000)
    eur = fx(D1, "EUR")
    spend_usd = (12.5 + 7.5) * eur  # cost_micros 12.5M + 7.5M EUR
    assert g1["spend_reporting"] == pytest.approx(spend_usd)
    assert g1["cpc"] == pytest.approx(spend_usd / 90)
    assert g1["cpm"] == pytest.approx(1000 * spend_usd / 5000)
    assert g1["conversions"] == pytest.approx(3.0)  # 2.5 + 0.5 click-through
    assert g1["cvr"] == pytest.approx(3.0 / 90)
    assert g1["cpa"] == pytest.approx(spend_usd / 3.0)
    assert g1["roas"] == pytest.approx((100.0 + 20.0) * eur / spend_usd)  # values converted like spend
    assert g1["channel"] == "Paid Search"

    (m1,) = mart(wh, "platform = 'meta_ads' and report_date = '2024-03-01'")
    # MA1 + MA2: clicks 40 + 5, impressions 2000 + 500, spend 25 + 5 USD, conversions 5 + 0
    assert m1["ctr"] == pytest.approx(45 / 2500)
    assert m1["cpa"] == pytest.approx(30.0 / 5)
    assert m1["roas"] == pytest.approx(150.0 / 30.0)

    (mc,) = mart(wh, "platform = 'mailchimp' and report_date = '2024-03-02'")
    assert mc["ctr"] == pytest.approx(6 / 60)
    assert mc["spend_reporting"] == 0 and mc["conversions"] is None and mc["cvr"] is None and mc["roas"] is None
    assert mc["cpc"] == 0  # 0 spend / 6 clicks


def test_grain_and_row_counts(built):
    wh = built["warehouse"]
    counts = dict(query(wh, "select platform, count(*) from marts.fct_ad_performance_daily group by 1"))
    assert counts == {"google_ads": 4, "meta_ads": 3, "linkedin_ads": 1, "mailchimp": 2, "klaviyo": 2}
    assert query(wh, "select count(*) from marts.mart_campaign_performance_daily")[0][0] == 3 + 2 + 1 + 2 + 2


def test_linkedin_mapping_and_video(built):
    wh = built["warehouse"]
    (li,) = fact(wh, "platform = 'linkedin_ads'")
    # clicks = landingPageClicks, all_clicks = clicks, spend = costInLocalCurrency, post-click / post-view
    assert (li["impressions"], li["clicks"], li["all_clicks"]) == (3000, 21, 30)
    assert li["spend"] == pytest.approx(60.0) and li["currency"] == "GBP" and li["channel"] == "Paid Social"
    assert (li["account_id"], li["account_name"], li["campaign_id"], li["campaign_name"]) == (
        "508",
        "B2B UK",
        "612",
        "Video",
    )
    assert li["conversions_click_through"] == 2 and li["conversions_view_through"] == 1
    assert li["conversion_value_click_through"] is None and li["conversions_unsplit"] is None
    assert (li["video_starts"], li["video_views"], li["video_completions"]) == (1200, 800, 200)
    assert li["spend_reporting"] == pytest.approx(60.0 * fx(D1, "GBP") / fx(D1, "USD"))
    ((views, rate, cpv, completion_rate),) = query(
        wh, "select video_views, view_rate, cost_per_view, completion_rate from marts.mart_video_performance_daily"
    )
    assert views == 800 and rate == pytest.approx(800 / 3000) and completion_rate == pytest.approx(200 / 3000)
    assert cpv == pytest.approx(60.0 * fx(D1, "GBP") / fx(D1, "USD") / 800)
    # no other platform of this lake measures video: NULL, never 0
    assert query(wh, "select count(*) from marts.fct_ad_performance_daily where video_views is not null")[0][0] == 1


def test_manifest_sources_render(built):
    """Sources read the lake through external_location and carry the Dagster asset key."""
    manifest = json.loads((built["work"] / "target" / "manifest.json").read_text())
    source = manifest["sources"]["source.adwh.google_ads.ad_stats"]
    meta = source["config"]["meta"]
    assert meta["dagster"]["asset_key"] == ["raw", "google_ads", "ad_stats"]
    assert f"{built['lake']}/raw/google_ads/report_date=*/ad_stats.parquet" in meta["external_location"]
    # the Dagster translator links each source to the ingest asset raw/<source>/<table>
    from dagster_dbt import DagsterDbtTranslator

    assert len(manifest["sources"]) == 7 + 4  # + LinkedIn ad_analytics, ad_accounts, ad_campaigns, creatives
    for src in manifest["sources"].values():
        key = DagsterDbtTranslator().get_asset_key(src)
        assert key.path == ["raw", src["source_name"], src["name"]]
    # marts land in the literal schema `marts`
    node = manifest["nodes"]["model.adwh.fct_ad_performance_daily"]
    assert node["schema"] == "marts"


# --------------------------------------------------------------------------- scenarios
def test_restatement_replaces_window(built, tmp_path):
    lake, warehouse = copy_of(built, tmp_path)
    # restate 2024-03-01: A1 changed, A2 disappeared, A3 unchanged
    restated = [
        google_row(D1, "G1", "Search Brand", "SEARCH", "AG1", "A1", 1100, 55, 60, 13_000_000, 3.0, 120.0, 1),
        google_day1()[2],
    ]
    write_table(lake, "google_ads", "ad_stats", D1, restated)
    # also change 2024-03-02 in the lake: the window's trailing day (e-mail snapshot differences
    # of D+1 depend on D), so it is rebuilt from the current raw layer too
    write_table(
        lake,
        "google_ads",
        "ad_stats",
        D2,
        [google_row(D2, "G1", "Search Brand", "SEARCH", "AG1", "A1", 9999, 1, 1, 1, 0.0, 0.0, 0)],
    )
    result = run_dbt(
        tmp_path,
        lake,
        warehouse,
        [
            "build",
            "--select",
            "+mart_campaign_performance_daily",
            "--exclude",
            "resource_type:seed",
            "--vars",
            json.dumps({"min_date": "2024-03-01", "max_date": "2024-03-02"}),
        ],
    )
    check(result)
    rows = fact(warehouse, "platform = 'google_ads' and report_date = '2024-03-01'")
    assert sorted(r["ad_id"] for r in rows) == ["A1", "A3"]  # A2 gone, nothing duplicated
    (a1,) = [r for r in rows if r["ad_id"] == "A1"]
    assert a1["impressions"] == 1100 and a1["spend"] == pytest.approx(13.0)
    (d2,) = fact(warehouse, "platform = 'google_ads' and report_date = '2024-03-02'")
    assert d2["impressions"] == 9999  # the trailing day follows the raw layer
    (g1,) = mart(warehouse, "campaign_id = 'G1' and report_date = '2024-03-01'")
    assert g1["impressions"] == 1100 and g1["ctr"] == pytest.approx(55 / 1100)
    # other platforms' rows of the window were rebuilt, not lost or doubled
    counts = dict(query(warehouse, "select platform, count(*) from marts.fct_ad_performance_daily group by 1"))
    assert counts == {"google_ads": 3, "meta_ads": 3, "linkedin_ads": 1, "mailchimp": 2, "klaviyo": 2}
    # a day BEFORE the window is never touched, even when its raw data changed
    write_table(
        lake,
        "google_ads",
        "ad_stats",
        D1,
        [google_row(D1, "G1", "Search Brand", "SEARCH", "AG1", "A1", 7777, 1, 1, 1, 0.0, 0.0, 0)],
    )
    result = run_dbt(
        tmp_path,
        lake,
        warehouse,
        [
            "build",
            "--select",
            "+mart_campaign_performance_daily",
            "--exclude",
            "resource_type:seed",
            "--vars",
            json.dumps({"min_date": "2024-03-02", "max_date": "2024-03-03"}),
        ],
    )
    check(result)
    rows = fact(warehouse, "platform = 'google_ads' and report_date = '2024-03-01'")
    assert sorted(r["impressions"] for r in rows) == sorted([1100, google_day1()[2]["impressions"]])


def test_missing_fx_rate_fails_build(built, tmp_path):
    lake, warehouse = copy_of(built, tmp_path)
    # a JPY account: the fx_rates seed has no JPY -> the build must fail, not convert at 1.0
    write_table(
        lake,
        "google_ads",
        "ad_stats",
        date(2024, 3, 3),
        [
            google_row(
                date(2024, 3, 3),
                "GJ",
                "Search JP",
                "SEARCH",
                "AGJ",
                "AJ",
                100,
                5,
                5,
                1_000_000_000,
                0.0,
                0.0,
                0,
                currency="JPY",
                customer_id="999",
            ),
        ],
    )
    result = run_dbt(
        tmp_path,
        lake,
        warehouse,
        [
            "build",
            "--select",
            "+mart_campaign_performance_daily",
            "--exclude",
            "resource_type:seed",
        ],
    )
    assert result.returncode != 0
    run_results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    failed = {r["unique_id"].split(".")[2] for r in run_results["results"] if r["status"] in ("fail", "error")}
    assert "assert_fx_rate_coverage" in failed
    assert any(name.startswith("not_null_fct_ad_performance_daily_spend_reporting") for name in failed)
    skipped = {r["unique_id"] for r in run_results["results"] if r["status"] == "skipped"}
    assert "model.adwh.mart_campaign_performance_daily" in skipped


def test_sources_subset_builds(built, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    result = run_dbt(tmp_path, built["lake"], warehouse, ["build"], sources="google_ads,mailchimp")
    check(result)
    platforms = {r[0] for r in query(warehouse, "select distinct platform from marts.fct_ad_performance_daily")}
    assert platforms == {"google_ads", "mailchimp"}
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert "model.adwh.stg_meta_ads__ad_insights" not in manifest["nodes"]
    assert not any(k.startswith("source.adwh.meta_ads") for k in manifest["sources"])
    assert "model.adwh.int_meta_ads__conversions_pivoted" not in manifest["nodes"]


def test_docs_generate(built):
    result = run_dbt(built["work"], built["lake"], built["warehouse"], ["docs", "generate"])
    check(result)
    manifest = json.loads((built["work"] / "target" / "manifest.json").read_text())
    catalog = json.loads((built["work"] / "target" / "catalog.json").read_text())
    # every model and seed, and every one of their columns (as built), is described
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        assert node["description"].strip(), uid
        built_columns = {c.lower() for c in catalog["nodes"][uid]["columns"]}
        documented = {c.lower(): v for c, v in node["columns"].items()}
        assert built_columns == set(documented), (uid, built_columns ^ set(documented))
        assert all(v["description"].strip() for v in documented.values()), uid
    for uid, source in manifest["sources"].items():
        assert source["description"].strip(), uid
