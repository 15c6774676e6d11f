"""Meta Ads sample exports: ``meta_ads/<YYYY-MM-DD>/insights_<account_id>.json``, a JSON
array of 1-3 Insights API pages (``level=ad``, ``time_increment=1``, every number a string).

One USD ad account with ``scale`` x 3 campaigns of 2 ad sets x 2 ads; link CTR
0.6-1.5 %, all clicks > link clicks; purchases reported under ``purchase``,
``omni_purchase`` and ``offsite_conversion.fb_pixel_purchase`` with identical numbers
(they are the same purchases). Click-window conversions keep arriving for
``META_FREEZE_DAYS`` days.

Video ads (``Video - ...``, ``Reel - ...``) report ``video_play_actions`` (plays started),
``actions`` of type ``video_view`` (3-second plays), ``video_thruplay_watched_actions``
(ThruPlays: 15 s or to the end) and ``video_p100_watched_actions`` (to 100 %), each a list of
``{action_type: "video_view", value}``; other ads have none of them. The video counts come from
their own stream: every other number of the files is as it was before they existed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from orchestration.sample.common import binomial, day_demand, digits, json_bytes, poisson, stream, token, volume

SOURCE = "meta_ads"
RESTATES = True  # late conversions: restate() re-writes its folders with the final numbers

META_FREEZE_DAYS = 28
"""Meta insights (the 28-day click window) are final after this many days."""


@dataclass(frozen=True)
class MetaAd:
    account_id: str
    account_name: str
    currency: str
    campaign_id: str
    campaign_name: str
    adset_id: str
    adset_name: str
    ad_id: str
    ad_name: str
    impressions: float  # mean per day
    link_ctr: float
    other_clicks: float  # non-link clicks per link click
    frequency: float  # impressions per reached person
    cpm: float
    purchase_rate: float  # 1-day-click purchases per link click
    view_rate: float  # 1-day-view purchases per impression
    order_value: float


@dataclass(frozen=True)
class MetaAdDay:
    """Final numbers of one ad on one day; window counts are built up by :meth:`windows`."""

    ad: MetaAd
    day: date
    impressions: int
    reach: int
    clicks: int
    link_clicks: int
    landing_page_views: int
    spend: float
    purchases_1d_click: int
    purchases_7d_extra: int  # arrive on days 2..7 after the click
    purchases_28d_extra: int  # arrive on days 8..28
    purchases_1d_view: int
    carts_1d_click: int
    carts_7d_extra: int
    carts_28d_extra: int
    carts_1d_view: int
    order_value: float
    video_plays: int = 0  # video_play_actions (video ads only)
    video_views: int = 0  # actions[video_view]: 3-second plays
    video_thruplays: int = 0  # video_thruplay_watched_actions: 15 s or to the end
    video_p100: int = 0  # video_p100_watched_actions: played to 100 %

    def windows(self, kind: str, lag: int) -> dict[str, int]:
        """Counts per attribution window as known ``lag`` days after the day (monotone)."""
        c1, e7, e28, v1 = (
            (self.purchases_1d_click, self.purchases_7d_extra, self.purchases_28d_extra, self.purchases_1d_view)
            if kind == "purchase"
            else (self.carts_1d_click, self.carts_7d_extra, self.carts_28d_extra, self.carts_1d_view)
        )
        c7 = c1 + math.floor(e7 * min(1.0, lag / 7))
        c28 = c7 + math.floor(e28 * min(1.0, lag / META_FREEZE_DAYS))
        return {"1d_click": c1, "7d_click": c7, "28d_click": c28, "1d_view": v1}


_CAMPAIGNS = (  # (theme, ad sets, ads)
    (
        "Prospecting | Broad",
        ("Broad 18-65", "Lookalike 1% Purchasers"),
        ("Video - Spring Drop", "Carousel - Bestsellers"),
    ),
    (
        "Retargeting | 30d",
        ("Site Visitors 30d", "Add to Cart 14d"),
        ("DPA - Viewed Products", "Static - Free Shipping"),
    ),
    ("Advantage+ Shopping", ("ASC - All Products", "ASC - New Arrivals"), ("Catalog - Collection", "Reel - Try-On")),
)


@lru_cache(maxsize=16)
def catalog(seed: int, scale: int) -> tuple[MetaAd, ...]:
    account = stream(seed, "meta_ads", "account")
    account_id, account_name = digits(account, 16), "Acme Shop"
    ads = []
    for copy in range(scale):
        for number, (theme, adsets, ad_names) in enumerate(_CAMPAIGNS):
            rng = stream(seed, "meta_ads", "campaign", copy, number)
            campaign_id = "120" + digits(rng, 15)
            campaign_name = theme + (f" #{copy + 1}" if copy else "")
            for adset in adsets:
                adset_id = "120" + digits(rng, 15)
                for ad_name in ad_names:
                    u = rng.uniform
                    ads.append(
                        MetaAd(
                            account_id=account_id,
                            account_name=account_name,
                            currency="USD",
                            campaign_id=campaign_id,
                            campaign_name=campaign_name,
                            adset_id=adset_id,
                            adset_name=adset,
                            ad_id="120" + digits(rng, 15),
                            ad_name=ad_name,
                            impressions=u(1000, 3000),
                            link_ctr=u(0.006, 0.015),
                            other_clicks=u(0.4, 1.2),
                            frequency=u(1.1, 1.6),
                            cpm=u(6, 14),
                            purchase_rate=u(0.02, 0.05),
                            view_rate=u(0.0002, 0.0006),
                            order_value=u(40, 140),
                        )
                    )
    return tuple(ads)


@lru_cache(maxsize=8)
def day_rows(seed: int, scale: int, day: date) -> tuple[MetaAdDay, ...]:
    demand = day_demand(seed, day)
    rows = []
    for ad in catalog(seed, scale):
        rng = stream(seed, "meta_ads", "day", day, ad.ad_id)
        impressions = max(1, volume(rng, ad.impressions * demand))
        link = binomial(rng, impressions, ad.link_ctr * rng.uniform(0.9, 1.1))
        purchases = binomial(rng, link, ad.purchase_rate)
        rows.append(
            MetaAdDay(
                ad=ad,
                day=day,
                impressions=impressions,
                reach=max(1, round(impressions / (ad.frequency * rng.uniform(0.95, 1.05)))),
                clicks=link + 1 + binomial(rng, impressions, ad.link_ctr * ad.other_clicks),
                link_clicks=link,
                landing_page_views=binomial(rng, link, rng.uniform(0.65, 0.85)),
                spend=round(impressions / 1000 * ad.cpm * rng.uniform(0.9, 1.1), 2),
                purchases_1d_click=purchases,
                purchases_7d_extra=binomial(rng, link, ad.purchase_rate * 0.6),
                purchases_28d_extra=binomial(rng, link, ad.purchase_rate * 0.3),
                purchases_1d_view=poisson(rng, impressions * ad.view_rate),
                carts_1d_click=binomial(rng, link, ad.purchase_rate * 3),
                carts_7d_extra=binomial(rng, link, ad.purchase_rate * 0.8),
                carts_28d_extra=binomial(rng, link, ad.purchase_rate * 0.3),
                carts_1d_view=poisson(rng, impressions * ad.view_rate * 2),
                order_value=ad.order_value * rng.uniform(0.9, 1.1),
                **_video(seed, day, ad, impressions),
            )
        )
    return tuple(rows)


def is_video(ad: MetaAd) -> bool:
    """The video creatives of the catalogue (the ``Video - ...`` and ``Reel - ...`` ads)."""
    return ad.ad_name.startswith(("Video", "Reel"))


def _video(seed: int, day: date, ad: MetaAd, impressions: int) -> dict[str, int]:
    """The video counts of a video ad, from its own stream (the ad's other numbers are untouched)."""
    if not is_video(ad):
        return {}
    rng = stream(seed, "meta_ads", "video", day, ad.ad_id)
    plays = binomial(rng, impressions, rng.uniform(0.5, 0.7))
    views = binomial(rng, plays, rng.uniform(0.45, 0.65))
    thruplays = binomial(rng, views, rng.uniform(0.25, 0.45))
    return {
        "video_plays": plays,
        "video_views": views,
        "video_thruplays": thruplays,
        "video_p100": binomial(rng, thruplays, rng.uniform(0.5, 0.8)),
    }


_PURCHASE_TYPES = ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")


def _action(action_type: str, windows: dict[str, Any], value: Any) -> dict[str, str]:
    """``{action_type, value, <window>: ...}`` with every number as a string, zero windows absent."""
    entry = {"action_type": action_type, "value": str(value)}
    entry.update({key: str(number) for key, number in windows.items() if number})
    return entry


def _row(row: MetaAdDay, lag: int) -> dict[str, Any]:
    """One Insights API row (level=ad, time_increment=1): every number is a string."""
    ad = row.ad
    actions: list[dict[str, str]] = []
    values: list[dict[str, str]] = []
    if row.link_clicks:
        clicks = {"1d_click": row.link_clicks, "7d_click": row.link_clicks, "28d_click": row.link_clicks}
        actions.append(_action("link_click", clicks, row.link_clicks))
    if row.landing_page_views:
        views = {
            "1d_click": row.landing_page_views,
            "7d_click": row.landing_page_views,
            "28d_click": row.landing_page_views,
        }
        actions.append(_action("landing_page_view", views, row.landing_page_views))
    carts = row.windows("add_to_cart", lag)
    if carts["28d_click"] or carts["1d_view"]:
        actions.append(_action("add_to_cart", carts, carts["7d_click"] + carts["1d_view"]))
    purchases = row.windows("purchase", lag)
    if purchases["28d_click"] or purchases["1d_view"]:
        money = {key: f"{count * row.order_value:.2f}" for key, count in purchases.items() if count}
        total = f"{(purchases['7d_click'] + purchases['1d_view']) * row.order_value:.2f}"
        for action_type in _PURCHASE_TYPES:  # the same purchases under three names
            actions.append(_action(action_type, purchases, purchases["7d_click"] + purchases["1d_view"]))
            values.append(_action(action_type, money, total))
    record: dict[str, Any] = {
        "date_start": row.day.isoformat(),
        "date_stop": row.day.isoformat(),
        "account_id": ad.account_id,
        "account_name": ad.account_name,
        "account_currency": ad.currency,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "adset_id": ad.adset_id,
        "adset_name": ad.adset_name,
        "ad_id": ad.ad_id,
        "ad_name": ad.ad_name,
        "impressions": str(row.impressions),
        "reach": str(row.reach),
        "clicks": str(row.clicks),
        "inline_link_clicks": str(row.link_clicks),
        "spend": f"{row.spend:.2f}",
        "attribution_setting": "7d_click_1d_view",
    }
    if row.video_views:  # 3-second video plays are the action type video_view
        actions.append(_action("video_view", {}, row.video_views))
    if actions:
        record["actions"] = actions
    if values:
        record["action_values"] = values
    for field_name, count in (
        ("video_play_actions", row.video_plays),
        ("video_thruplay_watched_actions", row.video_thruplays),
        ("video_p100_watched_actions", row.video_p100),
    ):
        if count:  # like an action type with no events, a zero video metric is absent
            record[field_name] = [{"action_type": "video_view", "value": str(count)}]
    return record


def files(seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    """The Meta folder of ``day``: a JSON array of 1-3 Insights pages."""
    rows = day_rows(seed, scale, day)
    records = [_row(row, lag) for row in rows]
    rng = stream(seed, "meta_ads", "paging", day)
    page_count = min(len(records), rng.randint(1, 3)) or 1
    size = math.ceil(len(records) / page_count) if records else 0
    pages = []
    for i in range(page_count):
        cursors = {"before": token(rng, 40), "after": token(rng, 40)}
        page: dict[str, Any] = {"data": records[i * size : (i + 1) * size], "paging": {"cursors": cursors}}
        if i < page_count - 1:
            page["paging"]["next"] = (
                f"https://graph.facebook.com/v21.0/act_{rows[0].ad.account_id}/insights"
                f"?level=ad&time_increment=1&limit={size}&after={cursors['after']}"
            )
        pages.append(page)
    return {f"insights_{rows[0].ad.account_id}.json": json_bytes(pages)}, len(records)


def delivery(name: str, data: bytes) -> list[tuple[str, str, str]]:
    """(ad id, impressions, clicks) of every row of a file: what a restatement keeps."""
    return [(r["ad_id"], r["impressions"], r["clicks"]) for page in json.loads(data) for r in page["data"]]
