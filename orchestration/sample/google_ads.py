"""Google Ads sample exports: ``google_ads/<YYYY-MM-DD>/search_stream_<customer_id>.json``
(``googleAds:searchStream`` batches) and, for the EUR account on every 7th day,
``ui_report.csv`` (the UI "Ad performance report" download).

Two customers (``Acme Shop US`` in USD / America/New_York and ``Acme Shop EU`` in EUR /
Europe/Berlin), each with ``scale`` x (2 SEARCH, 1 DISPLAY, 1 VIDEO) campaigns of 2 ad
groups x 2 ads. CTR per ad is drawn from the channel's range (search 3.5-6.5 %, display
0.15-0.45 %, video 0.4-0.9 %). On every 7th day (``date.toordinal() % 7 == 0``) the EUR
account arrives as a UI CSV download instead of API JSON; the CSV carries the optional
``Customer ID`` column so the parser derives the same customer id as from the JSON.
Conversions mature over ``GOOGLE_CONVERSION_LAG_DAYS`` (70 % are known the next day).

Video: VIDEO campaigns report ``metrics.videoTrueviewViews`` (``metrics.video_trueview_views``,
the name since API v22: a view at 30 s, or the whole ad if shorter, or an interaction) and
``metrics.videoQuartileP100Rate`` (plays to the end per impression). Other campaign types have
no video metrics (absent, like every zero metric). The UI CSV download carries no video
columns. The completions are drawn from their own stream, so adding them left every other
number of the files as it was.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from orchestration.sample.common import MONTHS, binomial, day_demand, digits, json_bytes, poisson, stream, token, volume

SOURCE = "google_ads"
RESTATES = True  # late conversions: restate() re-writes its folders with the final numbers

GOOGLE_BATCH_ROWS = 10
"""Rows per searchStream batch. The real API streams up to 10,000 rows per batch; small
batches make every sample file exercise the batch loop of the parser."""
GOOGLE_CSV_EVERY_DAYS = 7
"""The EUR account is delivered as a UI CSV download when ``date.toordinal() % 7 == 0``."""
GOOGLE_CONVERSION_LAG_DAYS = 30
"""Google Ads conversions are final this many days after the click date."""


@dataclass(frozen=True)
class GoogleCustomer:
    id: str  # 10 digits
    name: str
    currency: str
    time_zone: str
    prefix: str  # campaign name prefix

    @property
    def dashed_id(self) -> str:
        """The UI's ``123-456-7890`` spelling of the customer id."""
        return f"{self.id[:3]}-{self.id[3:6]}-{self.id[6:]}"

    def is_csv_day(self, day: date) -> bool:
        """The EUR account comes as a UI CSV download on every 7th day."""
        return self.currency == "EUR" and day.toordinal() % GOOGLE_CSV_EVERY_DAYS == 0


@dataclass(frozen=True)
class GoogleAd:
    customer: GoogleCustomer
    campaign_id: str
    campaign_name: str
    channel: str  # SEARCH / DISPLAY / VIDEO (advertisingChannelType)
    ad_group_id: str
    ad_group_name: str
    ad_id: str
    impressions: float  # mean per day
    ctr: float
    price: float  # SEARCH: CPC, DISPLAY: CPM, VIDEO: cost per view (account currency)
    engagement: float  # DISPLAY: extra interactions per click; VIDEO: views per impression
    cvr: float  # conversions per click
    value_per_conversion: float
    view_through_per_10k: float  # view-through conversions per 10,000 impressions


@dataclass(frozen=True)
class GoogleAdDay:
    """Final (fully matured) numbers of one ad on one day."""

    ad: GoogleAd
    day: date
    impressions: int
    clicks: int
    interactions: int
    cost_micros: int
    conversions: float
    value_per_conversion: float
    view_through_conversions: int
    video_views: int = 0  # TrueView views (VIDEO campaigns; 0 elsewhere)
    video_completions: int = 0  # plays to 100 %, reported by the API as a rate of impressions

    @property
    def video_p100_rate(self) -> float:
        """``metrics.video_quartile_p100_rate``: completions per impression, as the API's double."""
        return round(self.video_completions / self.impressions, 6) if self.impressions else 0.0

    def reported(self, lag: int) -> tuple[float, float, int]:
        """(conversions, conversions value, view-through conversions) exported ``lag`` days later."""
        share = _maturity(lag)
        conversions = round(self.conversions * share, 2)
        return (
            conversions,
            round(conversions * self.value_per_conversion, 2),
            math.floor(self.view_through_conversions * share),
        )


def _maturity(lag: int) -> float:
    """Share of the final conversions known ``lag`` days after the click date (70 % next day)."""
    if lag >= GOOGLE_CONVERSION_LAG_DAYS:
        return 1.0
    return 1.0 - 0.3 * math.exp(-(max(lag, 1) - 1) / 5)


_CAMPAIGNS = (  # (channel, theme, ad group themes)
    ("SEARCH", "Brand", ("Brand - Exact", "Brand - Phrase")),
    ("SEARCH", "Generic", ("Running Shoes", "Trail Shoes")),
    ("DISPLAY", "Remarketing", ("Cart Abandoners", "Site Visitors 30d")),
    ("VIDEO", "Awareness", ("In-Market Sports", "Custom Intent Runners")),
)
_UI_CHANNEL = {"SEARCH": "Search", "DISPLAY": "Display", "VIDEO": "Video"}


@lru_cache(maxsize=16)
def catalog(seed: int, scale: int) -> tuple[GoogleAd, ...]:
    """Every Google ad. Campaign ``k`` is the same at every scale (scale N is a superset)."""
    ads: list[GoogleAd] = []
    accounts = (("Acme Shop US", "USD", "America/New_York", "US"), ("Acme Shop EU", "EUR", "Europe/Berlin", "EU"))
    for index, (name, currency, tz, prefix) in enumerate(accounts):
        customer = GoogleCustomer(digits(stream(seed, "google_ads", "customer", index), 10), name, currency, tz, prefix)
        for copy in range(scale):
            for number, (channel, theme, groups) in enumerate(_CAMPAIGNS):
                rng = stream(seed, "google_ads", "campaign", index, copy, number)
                suffix = f" #{copy + 1}" if copy else ""
                campaign_id = digits(rng, 11)
                campaign_name = f"{prefix} | {_UI_CHANNEL[channel]} | {theme}{suffix}"
                for group in groups:
                    ad_group_id = digits(rng, 12)
                    for _ in range(2):
                        ads.append(
                            GoogleAd(
                                customer=customer,
                                campaign_id=campaign_id,
                                campaign_name=campaign_name,
                                channel=channel,
                                ad_group_id=ad_group_id,
                                ad_group_name=group,
                                ad_id=digits(rng, 12),
                                **_ad_parameters(rng, channel),
                            )
                        )
    return tuple(ads)


def _ad_parameters(rng: random.Random, channel: str) -> dict[str, float]:
    u = rng.uniform  # draw order (impressions, ctr, price, engagement, cvr, value, view-through) is fixed
    if channel == "SEARCH":
        return {
            "impressions": u(150, 400),
            "ctr": u(0.035, 0.065),
            "price": u(0.6, 2.5),
            "engagement": 0.0,
            "cvr": u(0.03, 0.08),
            "value_per_conversion": u(40, 120),
            "view_through_per_10k": 0.0,
        }
    if channel == "DISPLAY":
        return {
            "impressions": u(1500, 4000),
            "ctr": u(0.0015, 0.0045),
            "price": u(1.5, 4.0),
            "engagement": u(0.02, 0.1),
            "cvr": u(0.01, 0.03),
            "value_per_conversion": u(40, 120),
            "view_through_per_10k": u(1, 4),
        }
    return {
        "impressions": u(1000, 3000),
        "ctr": u(0.004, 0.009),
        "price": u(0.02, 0.06),
        "engagement": u(0.15, 0.3),
        "cvr": u(0.005, 0.02),
        "value_per_conversion": u(40, 120),
        "view_through_per_10k": u(1, 3),
    }


@lru_cache(maxsize=8)
def day_rows(seed: int, scale: int, day: date) -> tuple[GoogleAdDay, ...]:
    """The final numbers of every Google ad on ``day``."""
    demand = day_demand(seed, day)
    rows = []
    for ad in catalog(seed, scale):
        rng = stream(seed, "google_ads", "day", day, ad.ad_id)
        impressions = volume(rng, ad.impressions * demand)
        clicks = binomial(rng, impressions, ad.ctr * rng.uniform(0.9, 1.1))
        video_views = video_completions = 0
        if ad.channel == "SEARCH":
            interactions, cost = clicks, clicks * ad.price * rng.uniform(0.9, 1.1)
        elif ad.channel == "DISPLAY":
            interactions = clicks + binomial(rng, clicks + 5, ad.engagement)
            cost = impressions / 1000 * ad.price * rng.uniform(0.9, 1.1)
        else:  # VIDEO: a view is an interaction too, paid per view
            video_views = binomial(rng, impressions, ad.engagement)
            interactions, cost = clicks + video_views, video_views * ad.price * rng.uniform(0.9, 1.1)
        if video_views:  # its own stream: the draws above (and every other number) stay as they were
            video_rng = stream(seed, "google_ads", "video", day, ad.ad_id)
            video_completions = binomial(video_rng, video_views, video_rng.uniform(0.4, 0.7))
        converters = binomial(rng, clicks, ad.cvr)
        # data-driven attribution hands out fractional credit
        conversions = round(converters * rng.uniform(0.85, 1.15), 2) if converters else 0.0
        rows.append(
            GoogleAdDay(
                ad=ad,
                day=day,
                impressions=impressions,
                clicks=clicks,
                interactions=interactions,
                cost_micros=round(cost * 100) * 10_000,  # whole cents, in micros
                conversions=conversions,
                value_per_conversion=ad.value_per_conversion * rng.uniform(0.9, 1.1),
                view_through_conversions=poisson(rng, impressions * ad.view_through_per_10k / 10_000),
                video_views=video_views,
                video_completions=video_completions,
            )
        )
    return tuple(rows)


_FIELD_MASK = ",".join(
    (
        "customer.id",
        "customer.descriptiveName",
        "customer.currencyCode",
        "customer.timeZone",
        "campaign.id",
        "campaign.name",
        "campaign.advertisingChannelType",
        "adGroup.id",
        "adGroup.name",
        "adGroupAd.ad.id",
        "metrics.impressions",
        "metrics.clicks",
        "metrics.interactions",
        "metrics.costMicros",
        "metrics.conversions",
        "metrics.conversionsValue",
        "metrics.viewThroughConversions",
        "metrics.videoTrueviewViews",
        "metrics.videoQuartileP100Rate",
        "segments.date",
    )
)


def _api_row(row: GoogleAdDay, lag: int) -> dict[str, Any]:
    """One searchStream result row: camelCase nesting, int64 as strings, zero metrics absent."""
    ad, cid = row.ad, row.ad.customer.id
    conversions, value, view_through = row.reported(lag)
    metrics: dict[str, Any] = {}
    for key, number in (
        ("impressions", row.impressions),
        ("clicks", row.clicks),
        ("interactions", row.interactions),
        ("costMicros", row.cost_micros),
    ):
        if number:
            metrics[key] = str(number)
    if conversions:
        metrics["conversions"] = conversions
        metrics["conversionsValue"] = value
    if view_through:
        metrics["viewThroughConversions"] = str(view_through)
    if row.video_views:  # metrics.video_trueview_views (the API version's name; video_views is gone)
        metrics["videoTrueviewViews"] = str(row.video_views)
    if row.video_p100_rate:
        metrics["videoQuartileP100Rate"] = row.video_p100_rate
    return {
        "customer": {
            "resourceName": f"customers/{cid}",
            "id": cid,
            "descriptiveName": ad.customer.name,
            "currencyCode": ad.customer.currency,
            "timeZone": ad.customer.time_zone,
        },
        "campaign": {
            "resourceName": f"customers/{cid}/campaigns/{ad.campaign_id}",
            "id": ad.campaign_id,
            "name": ad.campaign_name,
            "advertisingChannelType": ad.channel,
        },
        "adGroup": {
            "resourceName": f"customers/{cid}/adGroups/{ad.ad_group_id}",
            "id": ad.ad_group_id,
            "name": ad.ad_group_name,
        },
        "adGroupAd": {
            "resourceName": f"customers/{cid}/adGroupAds/{ad.ad_group_id}~{ad.ad_id}",
            "ad": {"resourceName": f"customers/{cid}/ads/{ad.ad_id}", "id": ad.ad_id},
        },
        "metrics": metrics,
        "segments": {"date": row.day.isoformat()},
    }


def _api_json(rows: Sequence[GoogleAdDay], lag: int, rng: random.Random) -> bytes:
    results = [_api_row(row, lag) for row in rows]
    batches = [
        {"results": results[i : i + GOOGLE_BATCH_ROWS], "fieldMask": _FIELD_MASK, "requestId": token(rng, 22)}
        for i in range(0, len(results), GOOGLE_BATCH_ROWS)
    ] or [{"results": [], "fieldMask": _FIELD_MASK, "requestId": token(rng, 22)}]
    return json_bytes(batches)


def _ui_int(number: int) -> str:
    return f"{number:,}"


def _ui_money(number: float) -> str:
    return f"{number:,.2f}"


def _ui_csv(rows: Sequence[GoogleAdDay], day: date, lag: int) -> bytes:
    """Google Ads UI "Ad performance report" download of one account and day.

    UTF-8 BOM, two preamble lines, the UI header (plus the optional ``Customer ID``),
    numbers with thousands separators (quoted where they contain a comma), ``--`` for
    "no data" (view-through conversions of Search campaigns, conversion value without
    conversions) and ``Total: ...`` rows at the end.
    """
    customer = rows[0].ad.customer
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    label = f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    writer.writerow(["Ad performance report"])
    writer.writerow([f"{label} - {label}"])
    writer.writerow(
        [
            "Day",
            "Account",
            "Customer ID",
            "Currency code",
            "Campaign",
            "Campaign ID",
            "Campaign type",
            "Ad group",
            "Ad group ID",
            "Ad ID",
            "Impr.",
            "Clicks",
            "Interactions",
            "Cost",
            "Conversions",
            "Conv. value",
            "View-through conv.",
        ]
    )
    totals: dict[str, list[float]] = {}
    for row in rows:
        ad = row.ad
        conversions, value, view_through = row.reported(lag)
        cost = row.cost_micros / 1_000_000
        writer.writerow(
            [
                day.isoformat(),
                customer.name,
                customer.dashed_id,
                customer.currency,
                ad.campaign_name,
                ad.campaign_id,
                _UI_CHANNEL[ad.channel],
                ad.ad_group_name,
                ad.ad_group_id,
                ad.ad_id,
                _ui_int(row.impressions),
                _ui_int(row.clicks),
                _ui_int(row.interactions),
                _ui_money(cost),
                f"{conversions:,.2f}",
                _ui_money(value) if conversions else "--",
                "--" if ad.channel == "SEARCH" else _ui_int(view_through),
            ]
        )
        for key in ("Account", _UI_CHANNEL[ad.channel]):
            acc = totals.setdefault(key, [0, 0, 0, 0.0, 0.0, 0.0, 0])
            for i, number in enumerate(
                (row.impressions, row.clicks, row.interactions, cost, conversions, value, view_through)
            ):
                acc[i] += number
    for key, acc in totals.items():
        label = "Total: Account" if key == "Account" else f"Total: {key} campaigns"
        writer.writerow(
            [
                label,
                "--",
                "--",
                customer.currency,
                "--",
                "--",
                "--",
                "--",
                "--",
                "--",
                _ui_int(int(acc[0])),
                _ui_int(int(acc[1])),
                _ui_int(int(acc[2])),
                _ui_money(acc[3]),
                f"{acc[4]:,.2f}",
                _ui_money(acc[5]),
                _ui_int(int(acc[6])),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def files(seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    """``{file name: bytes}`` of the Google Ads folder of ``day`` and the number of rows."""
    by_customer: dict[str, list[GoogleAdDay]] = {}
    for row in day_rows(seed, scale, day):
        by_customer.setdefault(row.ad.customer.id, []).append(row)
    out: dict[str, bytes] = {}
    for customer_id, rows in by_customer.items():
        if rows[0].ad.customer.is_csv_day(day):
            out["ui_report.csv"] = _ui_csv(rows, day, lag)
        else:
            rng = stream(seed, "google_ads", "request", day, customer_id)
            out[f"search_stream_{customer_id}.json"] = _api_json(rows, lag, rng)
    return out, sum(len(rows) for rows in by_customer.values())


def delivery(name: str, data: bytes) -> list[tuple[str, str, str]]:
    """(ad id, impressions, clicks) of every row of a file: what a restatement keeps."""
    if name.endswith(".json"):
        return [
            (r["adGroupAd"]["ad"]["id"], r["metrics"].get("impressions", "0"), r["metrics"].get("clicks", "0"))
            for batch in json.loads(data)
            for r in batch["results"]
        ]
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = lines[2]
    ad, impressions, clicks = header.index("Ad ID"), header.index("Impr."), header.index("Clicks")
    return [(line[ad], line[impressions], line[clicks]) for line in lines[3:] if not line[0].startswith("Total")]
