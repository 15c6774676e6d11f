"""The fake platforms' tiny data (shared by the client tests and the end-to-end tests) and
the credentials the fakes accept. Numbers are chosen so that the marts can be worked out by
hand; tests/pull/test_end_to_end.py spells those expectations out."""

from __future__ import annotations

import copy
from typing import Any

TOKENS = {
    "ADWH_GOOGLE_ADS_DEVELOPER_TOKEN": "gads-dev-TOKEN-0f1e2d3c4b5a",
    "ADWH_GOOGLE_ADS_CLIENT_ID": "1234-fake.apps.googleusercontent.com",
    "ADWH_GOOGLE_ADS_CLIENT_SECRET": "GOCSPX-fake-client-secret-77",
    "ADWH_GOOGLE_ADS_REFRESH_TOKEN": "1//fake-refresh-token-a1b2c3d4",
    "ADWH_META_ACCESS_TOKEN": "EAAGfakeMetaPullToken0123456789QQ",
    "ADWH_MAILCHIMP_API_KEY": "0123fakemailchimpkey4567-us21",
    "ADWH_KLAVIYO_API_KEY": "pk_fakeklaviyo_pull_9a8b7c6d",
}
SECRET_NAMES = (
    "ADWH_GOOGLE_ADS_DEVELOPER_TOKEN",
    "ADWH_GOOGLE_ADS_CLIENT_SECRET",
    "ADWH_GOOGLE_ADS_REFRESH_TOKEN",
    "ADWH_META_ACCESS_TOKEN",
    "ADWH_MAILCHIMP_API_KEY",
    "ADWH_KLAVIYO_API_KEY",
)
GOOGLE_CUSTOMERS = ("1111111111", "2222222222")
META_ACCOUNT = "act_101"
KLAVIYO_METRIC = "PlcdOrd1"


def _g(campaign_id, campaign_name, channel, ad_group_id, ad_group_name, ad_id, **metrics) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "campaign_name": campaign_name,
        "channel_type": channel,
        "ad_group_id": ad_group_id,
        "ad_group_name": ad_group_name,
        "ad_id": ad_id,
        **metrics,
    }


def google_accounts() -> dict[str, dict[str, Any]]:
    brand = ("501", "Search Brand", "SEARCH", "601", "Brand", "9001")
    retarget = ("502", "Display Retarget", "DISPLAY", "602", "Retarget", "9002")
    suche = ("511", "Suche", "SEARCH", "611", "Marke", "9101")
    return {
        "1111111111": {
            "customer": {"descriptive_name": "Acme US", "currency_code": "USD", "time_zone": "America/New_York"},
            "rows": {
                "2024-03-01": [
                    _g(
                        *brand,
                        impressions=1000,
                        clicks=50,
                        interactions=55,
                        cost_micros=25_000_000,
                        conversions=5.0,
                        conversions_value=250.0,
                        view_through_conversions=1,
                    ),
                    _g(
                        *retarget,
                        impressions=5000,
                        clicks=10,
                        interactions=10,
                        cost_micros=5_000_000,
                        view_through_conversions=3,
                        video_trueview_views=0,
                    ),
                ],
                "2024-03-02": [
                    _g(
                        *brand,
                        impressions=1200,
                        clicks=60,
                        interactions=66,
                        cost_micros=30_000_000,
                        conversions=6.0,
                        conversions_value=300.0,
                    ),
                    _g(
                        *retarget,
                        impressions=4000,
                        clicks=8,
                        interactions=8,
                        cost_micros=4_000_000,
                        conversions=1.0,
                        conversions_value=40.0,
                        view_through_conversions=2,
                    ),
                ],
                "2024-03-03": [
                    _g(
                        *brand,
                        impressions=800,
                        clicks=40,
                        interactions=44,
                        cost_micros=20_000_000,
                        conversions=4.0,
                        conversions_value=200.0,
                        view_through_conversions=2,
                    ),
                    _g(
                        *retarget,
                        impressions=3000,
                        clicks=6,
                        interactions=6,
                        cost_micros=3_000_000,
                        view_through_conversions=1,
                    ),
                ],
                "2024-03-04": [
                    _g(
                        *brand,
                        impressions=900,
                        clicks=45,
                        interactions=45,
                        cost_micros=22_000_000,
                        conversions=3.0,
                        conversions_value=150.0,
                    ),
                ],
            },
        },
        "2222222222": {
            "customer": {"descriptive_name": "Acme DE", "currency_code": "EUR", "time_zone": "Europe/Berlin"},
            "rows": {
                "2024-03-01": [
                    _g(
                        *suche,
                        impressions=500,
                        clicks=20,
                        interactions=21,
                        cost_micros=10_000_000,
                        conversions=2.0,
                        conversions_value=80.0,
                    )
                ],
                "2024-03-02": [
                    _g(
                        *suche,
                        impressions=600,
                        clicks=30,
                        interactions=30,
                        cost_micros=12_000_000,
                        conversions=3.0,
                        conversions_value=120.0,
                    )
                ],
                "2024-03-03": [
                    _g(
                        *suche,
                        impressions=700,
                        clicks=35,
                        interactions=36,
                        cost_micros=14_000_000,
                        conversions=3.0,
                        conversions_value=150.0,
                    )
                ],
                "2024-03-04": [_g(*suche, impressions=400, clicks=10, interactions=10, cost_micros=5_000_000)],
            },
        },
    }


def _m(ad_id, adset_id, adset_name, impressions, clicks, link_clicks, spend, purchases=None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "campaign_id": "801",
        "campaign_name": "Prospecting",
        "adset_id": adset_id,
        "adset_name": adset_name,
        "ad_id": ad_id,
        "ad_name": f"Ad {ad_id}",
        "impressions": impressions,
        "clicks": clicks,
        "inline_link_clicks": link_clicks,
        "spend": spend,
    }
    if purchases:
        row["actions"] = {"purchase": purchases, "omni_purchase": purchases}
        row["action_values"] = {"purchase": {w: v * 50 for w, v in purchases.items()}}
    return row


def meta_accounts() -> dict[str, dict[str, Any]]:
    return {
        META_ACCOUNT: {
            "name": "Acme Social",
            "currency": "USD",
            "rows": {
                "2024-03-01": [
                    _m(
                        "7001",
                        "811",
                        "Lookalike",
                        2000,
                        80,
                        40,
                        20.00,
                        {"1d_click": 1, "7d_click": 2, "28d_click": 3, "1d_view": 1},
                    ),
                    _m("7002", "812", "Interests", 1500, 45, 30, 15.50),
                ],
                "2024-03-02": [
                    _m(
                        "7001",
                        "811",
                        "Lookalike",
                        2200,
                        90,
                        50,
                        22.00,
                        {"1d_click": 2, "7d_click": 3, "28d_click": 3, "1d_view": 0},
                    ),
                    _m("7002", "812", "Interests", 1000, 30, 20, 10.25),
                ],
                "2024-03-03": [
                    _m("7001", "811", "Lookalike", 1800, 70, 40, 18.00),
                    _m(
                        "7002",
                        "812",
                        "Interests",
                        1200,
                        36,
                        24,
                        12.00,
                        {"1d_click": 1, "7d_click": 1, "28d_click": 2, "1d_view": 2},
                    ),
                ],
                "2024-03-04": [_m("7001", "811", "Lookalike", 1000, 30, 15, 9.00)],
            },
        }
    }


def mailchimp_reports(stage: int = 1) -> list[dict[str, Any]]:
    """Lifetime totals as of the first pull (stage 1, night of 03-04) and the next (stage 2, 03-05)."""
    from tests.pull.fakes.mailchimp import report

    c1 = {
        "campaign_id": "c1",
        "title": "March Newsletter",
        "list_id": "L1",
        "send_time": "2024-03-02T09:00:00+00:00",
        "emails_sent": 1000,
        "hard": 5,
        "soft": 15,
        "opens_total": 600,
        "unique_opens": 400,
        "proxy_opens": 300,
        "proxy_unique_opens": 200,
        "clicks_total": 80,
        "unique_clicks": 50,
        "subscriber_clicks": 45,
        "unsubscribed": 3,
    }
    c2 = {
        "campaign_id": "c2",
        "title": "Promo",
        "list_id": "L1",
        "send_time": "2024-03-03T15:00:00+00:00",
        "emails_sent": 500,
        "hard": 2,
        "soft": 3,
        "opens_total": 200,
        "unique_opens": 150,
        "proxy_opens": 120,
        "proxy_unique_opens": 90,
        "clicks_total": 30,
        "unique_clicks": 20,
        "subscriber_clicks": 18,
        "unsubscribed": 1,
    }
    if stage == 2:
        c1.update(
            opens_total=650,
            unique_opens=430,
            proxy_opens=330,
            proxy_unique_opens=230,
            clicks_total=90,
            unique_clicks=55,
            subscriber_clicks=50,
        )
        c2.update(
            opens_total=260,
            unique_opens=180,
            proxy_opens=150,
            proxy_unique_opens=120,
            clicks_total=40,
            unique_clicks=27,
            subscriber_clicks=25,
        )
    return [report(**c1), report(**c2)]


def klaviyo_messages(stage: int = 1) -> list[dict[str, Any]]:
    old = {
        "campaign_id": "K0",
        "campaign_message_id": "M0",
        "send_channel": "email",
        "send_time": "2023-01-01T10:00:00",
        "statistics": {
            "recipients": 100,
            "delivered": 100,
            "bounced": 0,
            "opens": 10,
            "opens_unique": 10,
            "clicks": 1,
            "clicks_unique": 1,
            "unsubscribes": 0,
            "conversions": 0,
            "conversion_value": 0.0,
        },
    }
    k1 = {
        "campaign_id": "K1",
        "campaign_message_id": "M1",
        "send_channel": "email",
        "send_time": "2024-03-03T10:00:00",
        "statistics": {
            "recipients": 800,
            "delivered": 790,
            "bounced": 10,
            "opens": 500,
            "opens_unique": 350,
            "clicks": 90,
            "clicks_unique": 60,
            "unsubscribes": 4,
            "conversions": 7,
            "conversion_value": 420.0,
        },
    }
    if stage == 2:
        k1 = copy.deepcopy(k1)
        k1["statistics"].update(
            opens=540, opens_unique=380, clicks=100, clicks_unique=66, conversions=8, conversion_value=470.0
        )
    return [old, k1]
