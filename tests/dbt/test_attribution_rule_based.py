"""Conversions and rule-based attribution end-to-end on a tiny hand-made raw lake.

Builds GA4 journeys (plus minimal Google Ads / Meta / Mailchimp / Klaviyo tables) as the
ingest assets write them — the pyarrow schemas come from the parsers' ``SCHEMAS`` — runs
``dbt build`` once, and checks the warehouse against a SECOND METHOD: a small plain-Python
re-implementation of the attribution definitions of docs/architecture.md (session channels
from the channel_mapping seed, paths, the six rule-based models), exact to 1e-9. The
platform-claims marts are checked against numbers written by hand below.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.ingestion.parsers import ga4, google_ads, klaviyo, mailchimp, meta_ads
from tests.dbt import helpers
from tests.dbt.helpers import check

REPO = Path(__file__).resolve().parents[2]
CHANNEL_SEED = REPO / "seeds" / "channel_mapping.csv"

LOOKBACK_DAYS = 30
HALF_LIFE_DAYS = 7.0
MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay")
TOL = 1e-9

SCHEMAS = (
    {("ga4", name): schema for name, schema in ga4.SCHEMAS.items()}
    | {("google_ads", name): schema for name, schema in google_ads.SCHEMAS.items()}
    | {("meta_ads", name): schema for name, schema in meta_ads.SCHEMAS.items()}
    | {("mailchimp", name): schema for name, schema in mailchimp.SCHEMAS.items()}
    | {("klaviyo", name): schema for name, schema in klaviyo.SCHEMAS.items()}
)


def write_table(lake: Path, source: str, table: str, day: date, rows: list[dict]) -> None:
    """One Parquet file per table per partition, exactly as the ingest asset writes it."""
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


# =========================================================================== the journeys
def ts(text: str) -> datetime:
    """'2024-03-01 08:00:00.250000' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Google Ads campaigns and their types (the Display override needs them)
GOOGLE_CAMPAIGNS = {"111": "SEARCH", "222": "DISPLAY"}

# (user, ga_session_id, start, traffic) — traffic keys are events columns
SESSIONS = [
    # u1: Paid Search, Email (mailchimp), Direct -> T1 (bought twice: duplicate event);
    #     then Paid Social -> T2 (path starts after T1); then Organic = non-converting tail
    (
        "u1",
        1,
        "2024-03-01 08:00:00.250000",
        {
            "url_gclid": "gc1",
            "url_utm_source": "google",
            "url_utm_medium": "cpc",
            "url_utm_campaign": "111",
            "traffic_source": "google",
            "traffic_medium": "cpc",
            "traffic_campaign_id": "111",
            "traffic_gclid": "gc1",
        },
    ),
    (
        "u1",
        2,
        "2024-03-02 09:30:15",
        {
            "url_mc_cid": "mc77",
            "url_utm_source": "mailchimp",
            "url_utm_medium": "email",
            "url_utm_campaign": "mc77",
            "traffic_source": "mailchimp",
            "traffic_medium": "email",
            "traffic_campaign_id": "mc77",
        },
    ),
    ("u1", 3, "2024-03-03 14:00:00", {"traffic_source": "(direct)", "traffic_medium": "(none)"}),
    (
        "u1",
        4,
        "2024-03-04 10:00:00",
        {
            "url_fbclid": "fb1",
            "url_utm_source": "facebook",
            "url_utm_medium": "paid_social",
            "url_utm_campaign": "M1",
            "url_utm_id": "M1",
        },
    ),
    ("u1", 5, "2024-03-05 11:00:00", {"traffic_source": "google", "traffic_medium": "organic"}),
    # u2: Display (gclid on a DISPLAY campaign), Email (klaviyo), Referral, Direct -> T3
    (
        "u2",
        1,
        "2024-03-01 12:00:00",
        {
            "url_gclid": "gc2",
            "url_utm_source": "google",
            "url_utm_medium": "cpc",
            "url_utm_campaign": "222",
            "url_utm_id": "222",
        },
    ),
    (
        "u2",
        2,
        "2024-03-02 12:00:00",
        {"url_utm_source": "klaviyo", "url_utm_medium": "email", "url_utm_campaign": "K1", "url_utm_id": "K1"},
    ),
    ("u2", 3, "2024-03-02 18:00:00.500000", {"traffic_source": "blog.example", "traffic_medium": "referral"}),
    ("u2", 4, "2024-03-03 07:00:00", {"traffic_source": "(direct)", "traffic_medium": "(none)"}),
    # u3: one Direct session -> T4 (all-Direct, single touch)
    ("u3", 1, "2024-03-02 10:00:00", {}),
    # u4: an organic session 44 days before T5 (outside the 30-day lookback), then
    #     facebook / paid_social without fbclid -> T5 the next day within the same session
    ("u4", 1, "2024-01-20 10:00:00", {"traffic_source": "google", "traffic_medium": "organic"}),
    (
        "u4",
        2,
        "2024-03-03 16:00:00",
        {"url_utm_source": "facebook", "url_utm_medium": "paid_social", "url_utm_campaign": "M1"},
    ),
    # u5: never converts
    ("u5", 1, "2024-03-01 09:00:00", {"traffic_source": "google", "traffic_medium": "organic"}),
    ("u5", 2, "2024-03-02 09:00:00", {"url_gclid": "gc5", "url_utm_campaign": "111"}),
    # u7: Google search click -> T7 the same day
    (
        "u7",
        1,
        "2024-03-03 08:00:00",
        {"url_gclid": "gc7", "url_utm_source": "google", "url_utm_medium": "cpc", "url_utm_campaign": "111"},
    ),
    # u8: Organic, then two Google search clicks 3.5 days apart -> T8 (fractional time decay)
    ("u8", 1, "2024-03-01 00:00:00", {"traffic_source": "bing", "traffic_medium": "organic"}),
    ("u8", 2, "2024-03-01 06:00:00", {"url_gclid": "gc8a", "url_utm_campaign": "111"}),
    ("u8", 3, "2024-03-04 18:00:00", {"url_gclid": "gc8b", "url_utm_campaign": "111"}),
]

# (transaction_id, user, ga_session_id, time, revenue) — T1 is sent twice (keep the earliest)
PURCHASES = [
    ("T1", "u1", 3, "2024-03-03 14:05:30.250000", 120.0),
    ("T1", "u1", 3, "2024-03-03 14:05:40", 120.0),
    ("T2", "u1", 4, "2024-03-04 10:20:00", 50.0),
    ("T3", "u2", 4, "2024-03-03 07:15:00", 80.0),
    ("T4", "u3", 1, "2024-03-02 10:03:00", 25.0),
    ("T5", "u4", 2, "2024-03-04 09:00:00", 60.0),
    ("T6", "u6", 999, "2024-03-05 13:00:00", 15.0),  # no session at all: synthetic Direct touch
    ("T7", "u7", 1, "2024-03-03 08:30:00", 70.0),
    ("T8", "u8", 3, "2024-03-04 19:30:45.123456", 99.5),
]


def ga4_partitions() -> dict[date, tuple[list[dict], list[dict]]]:
    days: dict[date, tuple[list[dict], list[dict]]] = defaultdict(lambda: ([], []))

    def add(name: str, when: datetime, user: str, session_id: int, page: str, extra: dict) -> None:
        us = int((when - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
        events, params = days[when.date()]
        events.append(
            {
                "event_date": when.date(),
                "event_timestamp_us": us,
                "event_ts": when,
                "event_name": name,
                "user_pseudo_id": user,
                "ga_session_id": session_id,
                "page_location": page,
                **extra,
            }
        )
        common = {"event_timestamp_us": us, "event_name": name, "user_pseudo_id": user}
        params.append({**common, "key": "ga_session_id", "int_value": session_id})
        params.append({**common, "key": "page_location", "string_value": page})

    for user, session_id, start, traffic in SESSIONS:
        query = "&".join(f"{k[4:]}={v}" for k, v in traffic.items() if k.startswith("url_"))
        page = "https://shop.example/" + (f"?{query}" if query else "")
        add("session_start", ts(start), user, session_id, page, traffic)
        add("page_view", ts(start) + timedelta(seconds=1), user, session_id, page, {})
    for transaction_id, user, session_id, when, revenue in PURCHASES:
        add(
            "purchase",
            ts(when),
            user,
            session_id,
            "https://shop.example/checkout/thank-you",
            {"transaction_id": transaction_id, "purchase_revenue": revenue, "currency": "USD"},
        )
    return days


D1, D2, D3, D4 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3), date(2024, 3, 4)


def google_row(day, campaign_id, ad_id, conversions, value, view_through):
    return {
        "segment_date": day,
        "customer_id": "1234567890",
        "customer_name": "Shop US",
        "currency_code": "USD",
        "time_zone": "America/New_York",
        "campaign_id": campaign_id,
        "campaign_name": f"C {campaign_id}",
        "advertising_channel_type": GOOGLE_CAMPAIGNS[campaign_id],
        "ad_group_id": f"AG{campaign_id}",
        "ad_group_name": "AG",
        "ad_id": ad_id,
        "impressions": 1000,
        "clicks": 30,
        "interactions": 31,
        "cost_micros": 10_000_000,
        "conversions": conversions,
        "conversions_value": value,
        "view_through_conversions": view_through,
        "source_format": "api_json",
    }


def meta_insight(day):
    return {
        "date_start": day,
        "date_stop": day,
        "account_id": "act_9",
        "account_name": "Shop",
        "account_currency": "USD",
        "account_timezone": "America/New_York",
        "campaign_id": "M1",
        "campaign_name": "Prospecting",
        "adset_id": "S1",
        "adset_name": "LAL",
        "ad_id": "MA1",
        "ad_name": "Ad",
        "impressions": 2000,
        "clicks": 50,
        "inline_link_clicks": 40,
        "spend": 20.0,
        "reach": 1500,
        "attribution_setting": "7d_click_1d_view",
    }


def meta_actions(day, counts: dict[str, float], values: dict[str, float]):
    rows = []
    for action_type in ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase"):  # same purchases
        base = {
            "account_id": "act_9",
            "campaign_id": "M1",
            "adset_id": "S1",
            "ad_id": "MA1",
            "date_start": day,
            "action_type": action_type,
        }
        rows += [{**base, "kind": "action", "attribution_window": w, "value": v} for w, v in counts.items()]
        rows += [{**base, "kind": "action_value", "attribution_window": w, "value": v} for w, v in values.items()]
    return rows


def mailchimp_row(emails_sent, opens, clicks):
    return {
        "campaign_id": "mc77",
        "campaign_title": "News",
        "list_id": "L1",
        "subject_line": "Hi",
        "campaign_type": "regular",
        "send_time": datetime(2024, 3, 1, 8, 0, tzinfo=UTC),
        "emails_sent": emails_sent,
        "hard_bounces": 0,
        "soft_bounces": 0,
        "syntax_errors": 0,
        "opens_total": opens,
        "unique_opens": opens,
        "proxy_excluded_opens": opens,
        "proxy_excluded_unique_opens": opens,
        "clicks_total": clicks,
        "unique_clicks": clicks,
        "unique_subscriber_clicks": clicks,
        "unsubscribed": 0,
    }


def klaviyo_row(conversions, value):
    return {
        "send_channel": "email",
        "campaign_id": "K1",
        "campaign_message_id": "K1-m1",
        "recipients": 500,
        "delivered": 495,
        "bounced": 5,
        "opens": 120,
        "opens_unique": 100,
        "clicks": 12,
        "clicks_unique": 10,
        "unsubscribes": 0,
        "conversions": conversions,
        "conversion_value": value,
    }


def build_lake(lake: Path) -> None:
    for day, (events, params) in ga4_partitions().items():
        write_table(lake, "ga4", "events", day, events)
        write_table(lake, "ga4", "event_params", day, params)

    write_table(
        lake,
        "google_ads",
        "ad_stats",
        D1,
        [google_row(D1, "111", "A1", 2.5, 100.0, 1), google_row(D1, "222", "A2", 0.0, 0.0, 3)],
    )
    write_table(lake, "google_ads", "ad_stats", D3, [google_row(D3, "111", "A1", 2.0, 140.0, 1)])

    write_table(lake, "meta_ads", "ad_insights", D1, [meta_insight(D1)])
    write_table(
        lake,
        "meta_ads",
        "ad_actions",
        D1,
        meta_actions(
            D1,
            {"1d_click": 2.0, "7d_click": 3.0, "28d_click": 5.0, "1d_view": 1.0, "default": 4.0},
            {"1d_click": 100.0, "7d_click": 150.0, "28d_click": 250.0, "1d_view": 30.0, "default": 180.0},
        ),
    )
    write_table(lake, "meta_ads", "ad_insights", D4, [meta_insight(D4)])
    write_table(
        lake,
        "meta_ads",
        "ad_actions",
        D4,
        meta_actions(
            D4,
            {"7d_click": 4.0, "28d_click": 4.0, "1d_view": 2.0},
            {"7d_click": 200.0, "28d_click": 200.0, "1d_view": 90.0},
        ),
    )

    write_table(lake, "mailchimp", "campaign_snapshots", D1, [mailchimp_row(1000, 200, 20)])
    write_table(lake, "mailchimp", "campaign_snapshots", D2, [mailchimp_row(1000, 260, 26)])
    write_table(lake, "klaviyo", "campaign_snapshots", D1, [klaviyo_row(2.0, 80.0)])
    write_table(lake, "klaviyo", "campaign_snapshots", D2, [klaviyo_row(3.0, 120.0)])


# =========================================================================== second method
def classify(traffic: dict) -> tuple[str, str | None, str | None]:
    """(channel, platform, campaign_id) of a session: the channel_mapping seed's ga4_session rules."""
    source = traffic.get("traffic_source") or traffic.get("url_utm_source")
    medium = traffic.get("traffic_medium") or traffic.get("url_utm_medium")
    campaign = traffic.get("traffic_campaign_id") or traffic.get("url_utm_campaign") or traffic.get("url_utm_id")
    click_ids = {
        "gclid": traffic.get("url_gclid") or traffic.get("traffic_gclid"),
        "fbclid": traffic.get("url_fbclid"),
        "mc_cid": traffic.get("url_mc_cid"),
        "li_fat_id": traffic.get("url_li_fat_id"),
    }
    with CHANNEL_SEED.open() as fh:
        rules = [r for r in csv.DictReader(fh) if r["mapping_type"] == "ga4_session"]

    def like(value, pattern):  # SQL LIKE with only % wildcards in the seed ('_' matches itself here)
        return fnmatchcase((value or "").lower(), pattern.replace("%", "*"))

    matching = [
        r
        for r in rules
        if (not r["click_id_param"] or click_ids[r["click_id_param"]])
        and (not r["source_pattern"] or like(source, r["source_pattern"]))
        and (not r["medium_pattern"] or like(medium, r["medium_pattern"]))
    ]
    channel = min(matching, key=lambda r: (int(r["priority"]), r["rule_description"]))["channel"]
    google_click = click_ids["gclid"] or ((source or "").lower(), (medium or "").lower()) == ("google", "cpc")
    if channel == "Paid Search" and google_click and GOOGLE_CAMPAIGNS.get(campaign) == "DISPLAY":
        channel = "Display"
    platform = None
    if channel in ("Paid Search", "Display", "Video") and google_click:
        platform = "google_ads"
    elif channel == "Paid Social" and (click_ids["fbclid"] or (source or "").lower() in ("facebook", "instagram")):
        platform = "meta_ads"
    elif channel == "Paid Social" and (click_ids["li_fat_id"] or (source or "").lower() == "linkedin"):
        platform = "linkedin_ads"
    elif channel == "Email" and (click_ids["mc_cid"] or (source or "").lower() == "mailchimp"):
        platform = "mailchimp"
    elif channel == "Email" and (source or "").lower() == "klaviyo":
        platform = "klaviyo"
    return channel, platform, campaign


def expected_paths() -> dict[str, dict]:
    """conversion_id -> {date, revenue, conversion_ts, touches: [(touch_ts, channel, platform, campaign)]}."""
    sessions = defaultdict(list)
    for user, session_id, start, traffic in SESSIONS:
        sessions[user].append((ts(start), f"{user}-{session_id}", *classify(traffic)))
    conversions = {}
    for transaction_id, user, session_id, when, revenue in PURCHASES:
        if transaction_id not in conversions or ts(when) < conversions[transaction_id]["ts"]:
            conversions[transaction_id] = {
                "user": user,
                "ts": ts(when),
                "revenue": revenue,
                "session_key": f"{user}-{session_id}",
            }
    paths = {}
    for cid, conv in conversions.items():
        previous = [
            c["ts"] for k, c in conversions.items() if c["user"] == conv["user"] and (c["ts"], k) < (conv["ts"], cid)
        ]
        start = max(previous) if previous else None
        limit = conv["ts"] - timedelta(days=LOOKBACK_DAYS)
        touches = [
            s
            for s in sessions[conv["user"]]
            if (s[0] <= conv["ts"] and s[0] >= limit and (start is None or s[0] > start))
            or (s[1] == conv["session_key"] and s[0] <= conv["ts"])
        ]
        touches.sort()
        if not touches:
            touches = [(conv["ts"], None, "Direct", None, None)]
        paths[cid] = {"date": conv["ts"].date(), "revenue": conv["revenue"], "ts": conv["ts"], "touches": touches}
    return paths


def expected_credits() -> dict[tuple[str, str, int], float]:
    credits = {}
    for cid, path in expected_paths().items():
        touches = path["touches"]
        n = len(touches)
        non_direct = [i for i, t in enumerate(touches, 1) if t[2] != "Direct"]
        last_non_direct = non_direct[-1] if non_direct else n
        weights = [
            2 ** (-((path["ts"] - t[0]) / timedelta(microseconds=1) / 86_400_000_000) / HALF_LIFE_DAYS) for t in touches
        ]
        for i in range(1, n + 1):
            if n == 1:
                position = 1.0
            elif n == 2:
                position = 0.5
            else:
                position = 0.4 if i in (1, n) else 0.2 / (n - 2)
            credits[("first_touch", cid, i)] = float(i == 1)
            credits[("last_touch", cid, i)] = float(i == n)
            credits[("last_non_direct", cid, i)] = float(i == last_non_direct)
            credits[("linear", cid, i)] = 1 / n
            credits[("position_based", cid, i)] = position
            credits[("time_decay", cid, i)] = weights[i - 1] / sum(weights)
    return credits


# =========================================================================== running dbt
def run_dbt(workdir: Path, lake: Path, warehouse: Path, args: list[str]):
    # the sources this lake holds switched on (the hand-made lake has no LinkedIn), through
    # --vars as the orchestration layer passes them
    sources = sorted(p.name for p in (lake / "raw").iterdir() if p.is_dir())
    return helpers.run_dbt(workdir, lake, warehouse, args, sources=sources)


def rows(warehouse: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        con.close()


# the attribution part of the graph (and its tests) plus the marts it feeds
SELECT = [
    "+int_attribution__credits_rule_based",
    "+mart_conversions_by_touch_type",
    "+mart_platform_claims_reconciliation",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_attribution")
    lake, warehouse = work / "lake", work / "warehouse.duckdb"
    build_lake(lake)
    # cautious: only the tests whose parents are all selected (not tests of other marts that
    # merely read one of these models)
    check(run_dbt(work, lake, warehouse, ["build", "--select", *SELECT, "--indirect-selection", "cautious"]))
    return {"work": work, "lake": lake, "warehouse": warehouse}


# =========================================================================== tests
def test_build_ran_the_invariants_and_unit_tests(built):
    results = json.loads((built["work"] / "target" / "run_results.json").read_text())["results"]
    names = {r["unique_id"].split(".")[2] for r in results}
    assert {"assert_rule_based_credits_sum_to_one", "assert_rule_based_daily_conversions_match"} <= names
    units = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("unit_test.")}
    assert {
        "rule_based_credits_hand_computed",
        "paths_built_windows_tails_and_synthetic_touches",
        "ga4_conversions_deduplicated_by_transaction_id",
        "ga4_sessions_channel_and_platform",
    } <= units
    assert all(r["status"] in ("success", "pass") for r in results)


def test_conversions_deduplicated(built):
    got = {
        r["conversion_id"]: r
        for r in rows(built["warehouse"], "select * from intermediate.int_ga4__conversions_deduplicated")
    }
    assert sorted(got) == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"]  # T1 once
    assert got["T1"]["conversion_ts"] == datetime(2024, 3, 3, 14, 5, 30, 250000)  # the earliest of the two
    assert got["T1"]["session_key"] == "u1-3" and got["T1"]["revenue"] == 120.0
    assert got["T8"]["conversion_date"] == D4


def test_session_channels(built):
    got = {
        r["session_key"]: (r["channel"], r["platform"], r["campaign_id"])
        for r in rows(built["warehouse"], "select * from intermediate.int_ga4__sessions_classified")
    }
    expected = {f"{u}-{s}": classify(t) for u, s, _, t in SESSIONS}
    assert got == expected
    # spot checks of the second method itself
    assert got["u2-1"] == ("Display", "google_ads", "222")  # gclid on a DISPLAY campaign
    assert got["u1-2"] == ("Email", "mailchimp", "mc77")
    assert got["u2-2"] == ("Email", "klaviyo", "K1")
    assert got["u4-2"] == ("Paid Social", "meta_ads", "M1")  # facebook / paid_social without fbclid
    assert got["u2-3"] == ("Referral", None, None) and got["u3-1"] == ("Direct", None, None)


def test_paths(built):
    got = defaultdict(list)
    for r in rows(
        built["warehouse"], "select * from intermediate.int_attribution__paths_built order by path_id, touch_index"
    ):
        got[r["path_id"]].append(r)
    for cid, path in expected_paths().items():
        touches = got[cid]
        assert [t["touch_index"] for t in touches] == list(range(1, len(path["touches"]) + 1)), cid
        assert [t["session_key"] for t in touches] == [t[1] for t in path["touches"]], cid
        assert [t["channel"] for t in touches] == [t[2] for t in path["touches"]], cid
        assert all(t["is_converting"] and t["path_end_date"] == path["date"] for t in touches)
    assert [t["session_key"] for t in got["T2"]] == ["u1-4"]  # starts after T1
    assert [t["session_key"] for t in got["T5"]] == ["u4-2"]  # the January session is outside the lookback
    (synthetic,) = got["T6"]
    assert synthetic["channel"] == "Direct" and synthetic["session_key"] is None
    assert synthetic["touch_ts"] == synthetic["conversion_ts"] == datetime(2024, 3, 5, 13, 0)
    # non-converting tails: u1 after T2, u5 (never converted); none for u2/u3/u7/u8 (nothing after)
    tails = {p: [t["session_key"] for t in ts_] for p, ts_ in got.items() if p.startswith("nc-")}
    assert tails == {"nc-u1": ["u1-5"], "nc-u5": ["u5-1", "u5-2"]}
    assert all(not t["is_converting"] and t["conversion_id"] is None for t in got["nc-u5"])
    assert {t["path_end_date"] for t in got["nc-u5"]} == {D2}


def test_rule_based_credits_match_second_method(built):
    expected = expected_credits()
    got = {
        (r["model"], r["conversion_id"], r["touch_index"]): r
        for r in rows(built["warehouse"], "select * from intermediate.int_attribution__credits_rule_based")
    }
    assert set(got) == set(expected)
    revenue = {cid: p["revenue"] for cid, p in expected_paths().items()}
    for key, credit in expected.items():
        assert abs(got[key]["credit"] - credit) <= TOL, (key, got[key]["credit"], credit)
        assert abs(got[key]["attributed_revenue"] - credit * revenue[key[1]]) <= TOL * revenue[key[1]], key
    # the fractional time-decay journey, by hand: Δt = 3.5625..., 3.5625 + 3.25 and 0.0627... days
    t8 = [expected[("time_decay", "T8", i)] for i in (1, 2, 3)]
    assert t8[2] > t8[1] > t8[0] and abs(sum(t8) - 1) <= TOL
    # per conversion and model the credits sum to 1; per channel, T3's last_non_direct is Referral
    sums = defaultdict(float)
    for (model, cid, _), r in got.items():
        sums[(model, cid)] += r["credit"]
    assert all(abs(s - 1) <= TOL for s in sums.values())
    (t3,) = [r for (m, c, _), r in got.items() if m == "last_non_direct" and c == "T3" and r["credit"] == 1]
    assert t3["channel"] == "Referral"


def test_conversions_by_touch_type(built):
    got = {
        (r["report_date"], r["platform"], r["campaign_id"], r["touch_type"], r["attribution_window"]): (
            r["conversions"],
            r["conversion_value"],
            r["currency"],
            r["is_default_window"],
        )
        for r in rows(built["warehouse"], "select * from marts.mart_conversions_by_touch_type")
    }
    assert got == {
        (D1, "google_ads", "111", "click_through", "click"): (2.5, 100.0, "USD", True),
        (D1, "google_ads", "111", "view_through", "view"): (1.0, None, "USD", True),
        (D1, "google_ads", "222", "click_through", "click"): (0.0, 0.0, "USD", True),
        (D1, "google_ads", "222", "view_through", "view"): (3.0, None, "USD", True),
        (D3, "google_ads", "111", "click_through", "click"): (2.0, 140.0, "USD", True),
        (D3, "google_ads", "111", "view_through", "view"): (1.0, None, "USD", True),
        # purchase / omni_purchase / pixel purchase counted once; 'default' left out
        (D1, "meta_ads", "M1", "click_through", "1d_click"): (2.0, 100.0, "USD", False),
        (D1, "meta_ads", "M1", "click_through", "7d_click"): (3.0, 150.0, "USD", True),
        (D1, "meta_ads", "M1", "click_through", "28d_click"): (5.0, 250.0, "USD", False),
        (D1, "meta_ads", "M1", "view_through", "1d_view"): (1.0, 30.0, "USD", True),
        (D4, "meta_ads", "M1", "click_through", "7d_click"): (4.0, 200.0, "USD", True),
        (D4, "meta_ads", "M1", "click_through", "28d_click"): (4.0, 200.0, "USD", False),
        (D4, "meta_ads", "M1", "view_through", "1d_view"): (2.0, 90.0, "USD", True),
        # Klaviyo lifetime 2 then 3 -> daily 2, 1; Mailchimp has no conversions: no rows
        (D1, "klaviyo", "K1", "unsplit", "klaviyo_attribution_window"): (2.0, 80.0, None, True),
        (D2, "klaviyo", "K1", "unsplit", "klaviyo_attribution_window"): (1.0, 40.0, None, True),
    }
    # default-window rows add up to the fact's conversions
    fact = rows(
        built["warehouse"],
        "select sum(conversions_click_through) c, sum(conversions_view_through) v "
        "from marts.fct_ad_performance_daily where platform in ('google_ads', 'meta_ads')",
    )[0]
    assert sum(v[0] for k, v in got.items() if v[3] and k[3] == "click_through") == pytest.approx(fact["c"])
    assert sum(v[0] for k, v in got.items() if v[3] and k[3] == "view_through") == pytest.approx(fact["v"])


def test_platform_claims_reconciliation(built):
    got = {
        (r["report_date"], r["platform"]): r
        for r in rows(built["warehouse"], "select * from marts.mart_platform_claims_reconciliation")
    }
    credits = expected_credits()
    paths = expected_paths()
    first_party = defaultdict(float)
    daily = defaultdict(float)
    for (model, cid, i), credit in credits.items():
        if model != "last_non_direct":
            continue
        day, platform = paths[cid]["date"], paths[cid]["touches"][i - 1][3]
        daily[day] += credit
        if platform is not None:
            first_party[(day, platform)] += credit
    reported = {
        (D1, "google_ads"),
        (D3, "google_ads"),
        (D1, "meta_ads"),
        (D4, "meta_ads"),
        (D1, "mailchimp"),
        (D2, "mailchimp"),
        (D1, "klaviyo"),
        (D2, "klaviyo"),
    }
    assert set(got) == reported | set(first_party)
    for key, r in got.items():
        assert r["first_party_conversions"] == pytest.approx(first_party.get(key, 0.0), abs=TOL), key
        assert r["total_first_party_conversions"] == pytest.approx(daily.get(key[0], 0.0), abs=TOL), key
        assert r["platform_reported"] == (key in reported)
    # hand numbers: Google 2024-03-03 claims 2 + 1 = 3; GA4 credits it T7 only (T1 -> Email,
    # T3 -> Referral): ratio 3; the day has 3 first-party conversions (T1, T3, T7)
    g = got[(D3, "google_ads")]
    assert (g["claimed_conversions_click_through"], g["claimed_conversions_view_through"]) == (2.0, 1.0)
    assert g["claimed_conversions_unsplit"] is None and g["claimed_conversions_total"] == 3.0
    assert g["first_party_conversions"] == 1.0 and g["first_party_revenue"] == 70.0
    assert g["over_claim_ratio"] == 3.0 and g["total_first_party_conversions"] == 3.0
    # Meta 2024-03-04: claims 4 + 2 = 6; GA4: T2 (fbclid) and T5 (facebook / paid_social) -> ratio 3
    m = got[(D4, "meta_ads")]
    assert m["claimed_conversions_total"] == 6.0 and m["first_party_conversions"] == 2.0
    assert m["first_party_revenue"] == 110.0 and m["over_claim_ratio"] == 3.0
    # Google 2024-03-01 claims 2.5 + 4 = 6.5 but no GA4 conversion that day: ratio NULL
    g1 = got[(D1, "google_ads")]
    assert (
        g1["claimed_conversions_total"] == 6.5 and g1["first_party_conversions"] == 0 and g1["over_claim_ratio"] is None
    )
    # Mailchimp claims nothing (NULL, not 0); it gets T1 from GA4 on 2024-03-03 (not a reported day)
    assert got[(D1, "mailchimp")]["claimed_conversions_total"] is None
    mc = got[(D3, "mailchimp")]
    assert (
        not mc["platform_reported"] and mc["first_party_conversions"] == 1.0 and mc["claimed_conversions_total"] is None
    )
    k = got[(D2, "klaviyo")]
    assert k["claimed_conversions_unsplit"] == 1.0 and k["claimed_conversions_click_through"] is None


def test_incremental_window_replaces_touch_type_rows(built, tmp_path):
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    shutil.copytree(built["lake"], lake)
    shutil.copy(built["warehouse"], warehouse)
    # Meta restates 2024-03-01: 7d_click grows from 3 to 6
    write_table(
        lake,
        "meta_ads",
        "ad_actions",
        D1,
        meta_actions(D1, {"7d_click": 6.0, "1d_view": 1.0}, {"7d_click": 300.0, "1d_view": 30.0}),
    )
    before = rows(
        warehouse, "select count(*) n from marts.mart_conversions_by_touch_type where report_date <> '2024-03-01'"
    )
    check(
        run_dbt(
            tmp_path,
            lake,
            warehouse,
            [
                "build",
                "--select",
                "mart_conversions_by_touch_type+",
                "+mart_conversions_by_touch_type",
                "--exclude",
                "resource_type:seed",
                "--indirect-selection",
                "cautious",
                "--vars",
                json.dumps({"min_date": "2024-03-01", "max_date": "2024-03-02"}),
            ],
        )
    )
    got = {
        r["attribution_window"]: r["conversions"]
        for r in rows(
            warehouse,
            "select * from marts.mart_conversions_by_touch_type where platform = 'meta_ads' "
            "and report_date = '2024-03-01'",
        )
    }
    assert got == {"7d_click": 6.0, "1d_view": 1.0}  # 1d_click / 28d_click gone, nothing duplicated
    after = rows(
        warehouse, "select count(*) n from marts.mart_conversions_by_touch_type where report_date <> '2024-03-01'"
    )
    assert after == before
    (m,) = rows(
        warehouse,
        "select * from marts.mart_platform_claims_reconciliation "
        "where platform = 'meta_ads' and report_date = '2024-03-01'",
    )
    assert m["claimed_conversions_click_through"] == 6.0
