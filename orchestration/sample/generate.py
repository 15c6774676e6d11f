"""Deterministic sample exports in the platforms' native shapes (``adwh generate``).

``generate(out_dir, start, end)`` writes, for every report date ``start..end``
(inclusive), the files a nightly exporter would have dropped into the landing
zone (DESIGN.md §3)::

    out_dir/google_ads/<YYYY-MM-DD>/search_stream_<customer_id>.json   searchStream batches
    out_dir/google_ads/<YYYY-MM-DD>/ui_report.csv                       (EUR account, every 7th day)
    out_dir/meta_ads/<YYYY-MM-DD>/insights_<account_id>.json            Insights API pages
    out_dir/mailchimp/<YYYY-MM-DD>/reports.json                         GET /3.0/reports (lifetime)
    out_dir/klaviyo/<YYYY-MM-DD>/campaign_values_report.json            campaign-values-report (lifetime)
    out_dir/ga4/<YYYY-MM-DD>/events_YYYYMMDD.ndjson.gz                  BigQuery export rows

The world behind the files
--------------------------
* **Google Ads**: two customers (``Acme Shop US`` in USD / America/New_York and
  ``Acme Shop EU`` in EUR / Europe/Berlin), each with ``scale`` x (2 SEARCH,
  1 DISPLAY, 1 VIDEO) campaigns of 2 ad groups x 2 ads. CTR per ad is drawn from
  the channel's range (search 3.5-6.5 %, display 0.15-0.45 %, video 0.4-0.9 %).
  On every 7th day (``date.toordinal() % 7 == 0``) the EUR account arrives as a
  UI CSV download instead of API JSON; the CSV carries the optional ``Customer ID``
  column so the parser derives the same customer id as from the JSON.
* **Meta Ads**: one USD ad account with ``scale`` x 3 campaigns of 2 ad sets x 2
  ads; link CTR 0.6-1.5 %, all clicks > link clicks; purchases reported under
  ``purchase``, ``omni_purchase`` and ``offsite_conversion.fb_pixel_purchase`` with
  identical numbers (they are the same purchases).
* **Mailchimp**: a campaign about every 10 days (``scale`` per slot), **Klaviyo**:
  a campaign about every 7 days. Both exports are lifetime snapshots of the
  campaigns sent in the 90 days up to the report date; the counters grow mostly
  in the first two days after the send and never shrink. Mailchimp Apple-MPP
  proxy opens (~40 % of unique opens) all happen at delivery.
* **GA4**: sessions are derived from the platforms' own clicks of the day (65 %
  of Google clicks, 55 % of Meta link clicks, 80 % of new unique e-mail clicks
  land as a tagged session), plus organic, referral and direct traffic. Sessions
  are given to users of a persistent user pool (heavy users are picked more
  often), so users collect touches across channels and days before they buy.
  Purchases have unique ``transaction_id`` values and USD revenue; about 4 % are
  sent twice (same transaction id, a few seconds later) as GA4 does.

Restatements
------------
Conversions keep arriving after the day they are credited to. ``generate`` writes
each past folder as the platform would have last re-exported it on the night
after ``end`` (lag = days between the report date and that night): old days are
final, the most recent days are still immature. ``restate(out_dir, day)``
re-writes the Google Ads and Meta files of ``day`` as they look after every
attribution window has closed: conversions only grow, delivery numbers
(impressions, clicks, spend) are unchanged.

Determinism
-----------
Every random draw comes from ``random.Random`` seeded with a string built from the
seed and the thing being drawn (e.g. ``"7:google_ads:day:2024-03-01:<ad id>"``);
string seeds are hashed with SHA-512 by ``random`` and are therefore stable across
processes (``hash()`` is never used). Same arguments -> byte-identical files
(gzip is written with ``mtime=0`` and no file name). A day's content depends only
on the seed, the scale, the date and (for the conversion lag) ``end``, not on
``start``. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

ALL_SOURCES: tuple[str, ...] = ("google_ads", "meta_ads", "mailchimp", "klaviyo", "ga4")

SITE = "https://shop.example.com"

GOOGLE_BATCH_ROWS = 10
"""Rows per searchStream batch. The real API streams up to 10,000 rows per batch; small
batches make every sample file exercise the batch loop of the parser."""
GOOGLE_CSV_EVERY_DAYS = 7
"""The EUR account is delivered as a UI CSV download when ``date.toordinal() % 7 == 0``."""
GOOGLE_CONVERSION_LAG_DAYS = 30
"""Google Ads conversions are final this many days after the click date."""
META_FREEZE_DAYS = 28
"""Meta insights (the 28-day click window) are final after this many days."""
EMAIL_LOOKBACK_DAYS = 90
"""The e-mail exports list the campaigns sent in the last 90 days (``since_send_time``)."""
FINAL = 10_000
"""A lag (days) after which every window has closed: the restated, final numbers."""

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_HEX = "0123456789abcdef"
_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as in Klaviyo ids
_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")


# =============================================================================== summary
@dataclass(frozen=True)
class GenerateSummary:
    """What :func:`generate` wrote."""

    out_dir: Path
    start: date
    end: date
    scale: int
    seed: int
    sources: tuple[str, ...]
    files: tuple[Path, ...]
    records: dict[str, int] = field(default_factory=dict)
    """Records written per source (ad rows, insight rows, reports, results, events)."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        counts = ", ".join(f"{source}: {n:,}" for source, n in self.records.items())
        return (
            f"wrote {len(self.files)} files for {self.days} days "
            f"({self.start} .. {self.end}, scale {self.scale}, seed {self.seed}) into {self.out_dir}"
            f"\nrecords: {counts}"
        )


# =============================================================================== random helpers
def _rng(seed: int, *parts: object) -> random.Random:
    """A generator for one named thing; string seeds are stable across processes."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _digits(rng: random.Random, n: int) -> str:
    """An ``n``-digit decimal id without a leading zero."""
    return str(rng.randint(1, 9)) + "".join(rng.choices("0123456789", k=n - 1))


def _token(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choices(alphabet, k=n))


def _poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw (Knuth for small means, normal approximation for large ones)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _binomial(rng: random.Random, n: int, p: float) -> int:
    """Binomial draw: exact for small ``n``, Poisson / normal approximations otherwise."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n <= 25:
        return sum(1 for _ in range(n) if rng.random() < p)
    if n * p < 15:
        return min(n, _poisson(rng, n * p))
    return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


def _volume(rng: random.Random, mean: float, cv: float = 0.12) -> int:
    """A daily volume around ``mean`` (normal noise, never negative)."""
    return max(0, round(rng.gauss(mean, mean * cv)))


@lru_cache(maxsize=512)
def _demand(seed: int, day: date) -> float:
    """Market demand of a day, shared by every channel: weekday pattern x noise."""
    weekday = (1.0, 1.02, 1.0, 0.98, 0.95, 0.82, 0.8)[day.weekday()]
    return weekday * _rng(seed, "demand", day).gauss(1.0, 0.05)


# =============================================================================== Google Ads model
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

    def reported(self, lag: int) -> tuple[float, float, int]:
        """(conversions, conversions value, view-through conversions) exported ``lag`` days later."""
        share = _google_maturity(lag)
        conversions = round(self.conversions * share, 2)
        return conversions, round(conversions * self.value_per_conversion, 2), math.floor(
            self.view_through_conversions * share
        )


def _google_maturity(lag: int) -> float:
    """Share of the final conversions known ``lag`` days after the click date (70 % next day)."""
    if lag >= GOOGLE_CONVERSION_LAG_DAYS:
        return 1.0
    return 1.0 - 0.3 * math.exp(-(max(lag, 1) - 1) / 5)


_GOOGLE_CAMPAIGNS = (  # (channel, theme, ad group themes)
    ("SEARCH", "Brand", ("Brand - Exact", "Brand - Phrase")),
    ("SEARCH", "Generic", ("Running Shoes", "Trail Shoes")),
    ("DISPLAY", "Remarketing", ("Cart Abandoners", "Site Visitors 30d")),
    ("VIDEO", "Awareness", ("In-Market Sports", "Custom Intent Runners")),
)
_UI_CHANNEL = {"SEARCH": "Search", "DISPLAY": "Display", "VIDEO": "Video"}


@lru_cache(maxsize=16)
def _google_catalog(seed: int, scale: int) -> tuple[GoogleAd, ...]:
    """Every Google ad. Campaign ``k`` is the same at every scale (scale N is a superset)."""
    ads: list[GoogleAd] = []
    accounts = (("Acme Shop US", "USD", "America/New_York", "US"), ("Acme Shop EU", "EUR", "Europe/Berlin", "EU"))
    for index, (name, currency, tz, prefix) in enumerate(accounts):
        customer = GoogleCustomer(_digits(_rng(seed, "google_ads", "customer", index), 10), name, currency, tz, prefix)
        for copy in range(scale):
            for number, (channel, theme, groups) in enumerate(_GOOGLE_CAMPAIGNS):
                rng = _rng(seed, "google_ads", "campaign", index, copy, number)
                suffix = f" #{copy + 1}" if copy else ""
                campaign_id = _digits(rng, 11)
                campaign_name = f"{prefix} | {_UI_CHANNEL[channel]} | {theme}{suffix}"
                for group in groups:
                    ad_group_id = _digits(rng, 12)
                    for _ in range(2):
                        ads.append(GoogleAd(
                            customer=customer, campaign_id=campaign_id, campaign_name=campaign_name,
                            channel=channel, ad_group_id=ad_group_id, ad_group_name=group, ad_id=_digits(rng, 12),
                            **_google_ad_parameters(rng, channel),
                        ))
    return tuple(ads)


def _google_ad_parameters(rng: random.Random, channel: str) -> dict[str, float]:
    u = rng.uniform
    if channel == "SEARCH":
        return dict(impressions=u(150, 400), ctr=u(0.035, 0.065), price=u(0.6, 2.5), engagement=0.0,
                    cvr=u(0.03, 0.08), value_per_conversion=u(40, 120), view_through_per_10k=0.0)
    if channel == "DISPLAY":
        return dict(impressions=u(1500, 4000), ctr=u(0.0015, 0.0045), price=u(1.5, 4.0), engagement=u(0.02, 0.1),
                    cvr=u(0.01, 0.03), value_per_conversion=u(40, 120), view_through_per_10k=u(1, 4))
    return dict(impressions=u(1000, 3000), ctr=u(0.004, 0.009), price=u(0.02, 0.06), engagement=u(0.15, 0.3),
                cvr=u(0.005, 0.02), value_per_conversion=u(40, 120), view_through_per_10k=u(1, 3))


@lru_cache(maxsize=8)
def _google_day(seed: int, scale: int, day: date) -> tuple[GoogleAdDay, ...]:
    """The final numbers of every Google ad on ``day``."""
    demand = _demand(seed, day)
    rows = []
    for ad in _google_catalog(seed, scale):
        rng = _rng(seed, "google_ads", "day", day, ad.ad_id)
        impressions = _volume(rng, ad.impressions * demand)
        clicks = _binomial(rng, impressions, ad.ctr * rng.uniform(0.9, 1.1))
        if ad.channel == "SEARCH":
            interactions, cost = clicks, clicks * ad.price * rng.uniform(0.9, 1.1)
        elif ad.channel == "DISPLAY":
            interactions = clicks + _binomial(rng, clicks + 5, ad.engagement)
            cost = impressions / 1000 * ad.price * rng.uniform(0.9, 1.1)
        else:  # VIDEO: a view is an interaction too, paid per view
            views = _binomial(rng, impressions, ad.engagement)
            interactions, cost = clicks + views, views * ad.price * rng.uniform(0.9, 1.1)
        converters = _binomial(rng, clicks, ad.cvr)
        # data-driven attribution hands out fractional credit
        conversions = round(converters * rng.uniform(0.85, 1.15), 2) if converters else 0.0
        rows.append(GoogleAdDay(
            ad=ad, day=day, impressions=impressions, clicks=clicks, interactions=interactions,
            cost_micros=round(cost * 100) * 10_000,  # whole cents, in micros
            conversions=conversions, value_per_conversion=ad.value_per_conversion * rng.uniform(0.9, 1.1),
            view_through_conversions=_poisson(rng, impressions * ad.view_through_per_10k / 10_000),
        ))
    return tuple(rows)


_GOOGLE_FIELD_MASK = ",".join((
    "customer.id", "customer.descriptiveName", "customer.currencyCode", "customer.timeZone",
    "campaign.id", "campaign.name", "campaign.advertisingChannelType", "adGroup.id", "adGroup.name",
    "adGroupAd.ad.id", "metrics.impressions", "metrics.clicks", "metrics.interactions",
    "metrics.costMicros", "metrics.conversions", "metrics.conversionsValue",
    "metrics.viewThroughConversions", "segments.date",
))


def _google_api_row(row: GoogleAdDay, lag: int) -> dict[str, Any]:
    """One searchStream result row: camelCase nesting, int64 as strings, zero metrics absent."""
    ad, cid = row.ad, row.ad.customer.id
    conversions, value, view_through = row.reported(lag)
    metrics: dict[str, Any] = {}
    for key, number in (("impressions", row.impressions), ("clicks", row.clicks),
                        ("interactions", row.interactions), ("costMicros", row.cost_micros)):
        if number:
            metrics[key] = str(number)
    if conversions:
        metrics["conversions"] = conversions
        metrics["conversionsValue"] = value
    if view_through:
        metrics["viewThroughConversions"] = str(view_through)
    return {
        "customer": {"resourceName": f"customers/{cid}", "id": cid, "descriptiveName": ad.customer.name,
                     "currencyCode": ad.customer.currency, "timeZone": ad.customer.time_zone},
        "campaign": {"resourceName": f"customers/{cid}/campaigns/{ad.campaign_id}", "id": ad.campaign_id,
                     "name": ad.campaign_name, "advertisingChannelType": ad.channel},
        "adGroup": {"resourceName": f"customers/{cid}/adGroups/{ad.ad_group_id}", "id": ad.ad_group_id,
                    "name": ad.ad_group_name},
        "adGroupAd": {"resourceName": f"customers/{cid}/adGroupAds/{ad.ad_group_id}~{ad.ad_id}",
                      "ad": {"resourceName": f"customers/{cid}/ads/{ad.ad_id}", "id": ad.ad_id}},
        "metrics": metrics,
        "segments": {"date": row.day.isoformat()},
    }


def _google_api_json(rows: Sequence[GoogleAdDay], lag: int, rng: random.Random) -> bytes:
    results = [_google_api_row(row, lag) for row in rows]
    batches = [
        {"results": results[i:i + GOOGLE_BATCH_ROWS], "fieldMask": _GOOGLE_FIELD_MASK, "requestId": _token(rng, 22)}
        for i in range(0, len(results), GOOGLE_BATCH_ROWS)
    ] or [{"results": [], "fieldMask": _GOOGLE_FIELD_MASK, "requestId": _token(rng, 22)}]
    return _json_bytes(batches)


def _ui_int(number: int) -> str:
    return f"{number:,}"


def _ui_money(number: float) -> str:
    return f"{number:,.2f}"


def _google_ui_csv(rows: Sequence[GoogleAdDay], day: date, lag: int) -> bytes:
    """Google Ads UI "Ad performance report" download of one account and day.

    UTF-8 BOM, two preamble lines, the UI header (plus the optional ``Customer ID``),
    numbers with thousands separators (quoted where they contain a comma), ``--`` for
    "no data" (view-through conversions of Search campaigns, conversion value without
    conversions) and ``Total: ...`` rows at the end.
    """
    customer = rows[0].ad.customer
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    label = f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
    writer.writerow(["Ad performance report"])
    writer.writerow([f"{label} - {label}"])
    writer.writerow(["Day", "Account", "Customer ID", "Currency code", "Campaign", "Campaign ID", "Campaign type",
                     "Ad group", "Ad group ID", "Ad ID", "Impr.", "Clicks", "Interactions", "Cost",
                     "Conversions", "Conv. value", "View-through conv."])
    totals: dict[str, list[float]] = {}
    for row in rows:
        ad = row.ad
        conversions, value, view_through = row.reported(lag)
        cost = row.cost_micros / 1_000_000
        writer.writerow([
            day.isoformat(), customer.name, customer.dashed_id, customer.currency, ad.campaign_name,
            ad.campaign_id, _UI_CHANNEL[ad.channel], ad.ad_group_name, ad.ad_group_id, ad.ad_id,
            _ui_int(row.impressions), _ui_int(row.clicks), _ui_int(row.interactions), _ui_money(cost),
            f"{conversions:,.2f}", _ui_money(value) if conversions else "--",
            "--" if ad.channel == "SEARCH" else _ui_int(view_through),
        ])
        for key in ("Account", _UI_CHANNEL[ad.channel]):
            acc = totals.setdefault(key, [0, 0, 0, 0.0, 0.0, 0.0, 0])
            for i, number in enumerate((row.impressions, row.clicks, row.interactions, cost,
                                        conversions, value, view_through)):
                acc[i] += number
    for key, acc in totals.items():
        label = "Total: Account" if key == "Account" else f"Total: {key} campaigns"
        writer.writerow([label, "--", "--", customer.currency, "--", "--", "--", "--", "--", "--",
                         _ui_int(int(acc[0])), _ui_int(int(acc[1])), _ui_int(int(acc[2])), _ui_money(acc[3]),
                         f"{acc[4]:,.2f}", _ui_money(acc[5]), _ui_int(int(acc[6]))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _google_files(seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    """``{file name: bytes}`` of the Google Ads folder of ``day`` and the number of rows."""
    by_customer: dict[str, list[GoogleAdDay]] = {}
    for row in _google_day(seed, scale, day):
        by_customer.setdefault(row.ad.customer.id, []).append(row)
    files: dict[str, bytes] = {}
    for customer_id, rows in by_customer.items():
        if rows[0].ad.customer.is_csv_day(day):
            files["ui_report.csv"] = _google_ui_csv(rows, day, lag)
        else:
            rng = _rng(seed, "google_ads", "request", day, customer_id)
            files[f"search_stream_{customer_id}.json"] = _google_api_json(rows, lag, rng)
    return files, sum(len(rows) for rows in by_customer.values())


# =============================================================================== Meta model
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


_META_CAMPAIGNS = (  # (theme, ad sets, ads)
    ("Prospecting | Broad", ("Broad 18-65", "Lookalike 1% Purchasers"), ("Video - Spring Drop", "Carousel - Bestsellers")),
    ("Retargeting | 30d", ("Site Visitors 30d", "Add to Cart 14d"), ("DPA - Viewed Products", "Static - Free Shipping")),
    ("Advantage+ Shopping", ("ASC - All Products", "ASC - New Arrivals"), ("Catalog - Collection", "Reel - Try-On")),
)


@lru_cache(maxsize=16)
def _meta_catalog(seed: int, scale: int) -> tuple[MetaAd, ...]:
    account = _rng(seed, "meta_ads", "account")
    account_id, account_name = _digits(account, 16), "Acme Shop"
    ads = []
    for copy in range(scale):
        for number, (theme, adsets, ad_names) in enumerate(_META_CAMPAIGNS):
            rng = _rng(seed, "meta_ads", "campaign", copy, number)
            campaign_id = "120" + _digits(rng, 15)
            campaign_name = theme + (f" #{copy + 1}" if copy else "")
            for adset in adsets:
                adset_id = "120" + _digits(rng, 15)
                for ad_name in ad_names:
                    u = rng.uniform
                    ads.append(MetaAd(
                        account_id=account_id, account_name=account_name, currency="USD",
                        campaign_id=campaign_id, campaign_name=campaign_name, adset_id=adset_id,
                        adset_name=adset, ad_id="120" + _digits(rng, 15), ad_name=ad_name,
                        impressions=u(1000, 3000), link_ctr=u(0.006, 0.015), other_clicks=u(0.4, 1.2),
                        frequency=u(1.1, 1.6), cpm=u(6, 14), purchase_rate=u(0.02, 0.05),
                        view_rate=u(0.0002, 0.0006), order_value=u(40, 140),
                    ))
    return tuple(ads)


@lru_cache(maxsize=8)
def _meta_day(seed: int, scale: int, day: date) -> tuple[MetaAdDay, ...]:
    demand = _demand(seed, day)
    rows = []
    for ad in _meta_catalog(seed, scale):
        rng = _rng(seed, "meta_ads", "day", day, ad.ad_id)
        impressions = max(1, _volume(rng, ad.impressions * demand))
        link = _binomial(rng, impressions, ad.link_ctr * rng.uniform(0.9, 1.1))
        purchases = _binomial(rng, link, ad.purchase_rate)
        rows.append(MetaAdDay(
            ad=ad, day=day, impressions=impressions,
            reach=max(1, round(impressions / (ad.frequency * rng.uniform(0.95, 1.05)))),
            clicks=link + 1 + _binomial(rng, impressions, ad.link_ctr * ad.other_clicks),
            link_clicks=link, landing_page_views=_binomial(rng, link, rng.uniform(0.65, 0.85)),
            spend=round(impressions / 1000 * ad.cpm * rng.uniform(0.9, 1.1), 2),
            purchases_1d_click=purchases,
            purchases_7d_extra=_binomial(rng, link, ad.purchase_rate * 0.6),
            purchases_28d_extra=_binomial(rng, link, ad.purchase_rate * 0.3),
            purchases_1d_view=_poisson(rng, impressions * ad.view_rate),
            carts_1d_click=_binomial(rng, link, ad.purchase_rate * 3),
            carts_7d_extra=_binomial(rng, link, ad.purchase_rate * 0.8),
            carts_28d_extra=_binomial(rng, link, ad.purchase_rate * 0.3),
            carts_1d_view=_poisson(rng, impressions * ad.view_rate * 2),
            order_value=ad.order_value * rng.uniform(0.9, 1.1),
        ))
    return tuple(rows)


_META_PURCHASE_TYPES = ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")


def _meta_action(action_type: str, windows: dict[str, Any], value: Any) -> dict[str, str]:
    """``{action_type, value, <window>: ...}`` with every number as a string, zero windows absent."""
    entry = {"action_type": action_type, "value": str(value)}
    entry.update({key: str(number) for key, number in windows.items() if number})
    return entry


def _meta_row(row: MetaAdDay, lag: int) -> dict[str, Any]:
    """One Insights API row (level=ad, time_increment=1): every number is a string."""
    ad = row.ad
    actions: list[dict[str, str]] = []
    values: list[dict[str, str]] = []
    if row.link_clicks:
        clicks = {"1d_click": row.link_clicks, "7d_click": row.link_clicks, "28d_click": row.link_clicks}
        actions.append(_meta_action("link_click", clicks, row.link_clicks))
    if row.landing_page_views:
        views = {"1d_click": row.landing_page_views, "7d_click": row.landing_page_views,
                 "28d_click": row.landing_page_views}
        actions.append(_meta_action("landing_page_view", views, row.landing_page_views))
    carts = row.windows("add_to_cart", lag)
    if carts["28d_click"] or carts["1d_view"]:
        actions.append(_meta_action("add_to_cart", carts, carts["7d_click"] + carts["1d_view"]))
    purchases = row.windows("purchase", lag)
    if purchases["28d_click"] or purchases["1d_view"]:
        money = {key: f"{count * row.order_value:.2f}" for key, count in purchases.items() if count}
        total = f"{(purchases['7d_click'] + purchases['1d_view']) * row.order_value:.2f}"
        for action_type in _META_PURCHASE_TYPES:  # the same purchases under three names
            actions.append(_meta_action(action_type, purchases, purchases["7d_click"] + purchases["1d_view"]))
            values.append(_meta_action(action_type, money, total))
    record: dict[str, Any] = {
        "date_start": row.day.isoformat(), "date_stop": row.day.isoformat(),
        "account_id": ad.account_id, "account_name": ad.account_name, "account_currency": ad.currency,
        "campaign_id": ad.campaign_id, "campaign_name": ad.campaign_name,
        "adset_id": ad.adset_id, "adset_name": ad.adset_name, "ad_id": ad.ad_id, "ad_name": ad.ad_name,
        "impressions": str(row.impressions), "reach": str(row.reach), "clicks": str(row.clicks),
        "inline_link_clicks": str(row.link_clicks), "spend": f"{row.spend:.2f}",
        "attribution_setting": "7d_click_1d_view",
    }
    if actions:
        record["actions"] = actions
    if values:
        record["action_values"] = values
    return record


def _meta_files(seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    """The Meta folder of ``day``: a JSON array of 1-3 Insights pages."""
    rows = _meta_day(seed, scale, day)
    records = [_meta_row(row, lag) for row in rows]
    rng = _rng(seed, "meta_ads", "paging", day)
    page_count = min(len(records), rng.randint(1, 3)) or 1
    size = math.ceil(len(records) / page_count) if records else 0
    pages = []
    for i in range(page_count):
        cursors = {"before": _token(rng, 40), "after": _token(rng, 40)}
        page: dict[str, Any] = {"data": records[i * size:(i + 1) * size], "paging": {"cursors": cursors}}
        if i < page_count - 1:
            page["paging"]["next"] = (
                f"https://graph.facebook.com/v21.0/act_{rows[0].ad.account_id}/insights"
                f"?level=ad&time_increment=1&limit={size}&after={cursors['after']}"
            )
        pages.append(page)
    return {f"insights_{rows[0].ad.account_id}.json": _json_bytes(pages)}, len(records)


# =============================================================================== e-mail model
@dataclass(frozen=True)
class EmailCampaign:
    """One sent e-mail campaign with its final lifetime totals."""

    platform: str  # mailchimp / klaviyo
    id: str
    message_id: str  # Klaviyo campaign_message_id ("" for Mailchimp)
    title: str
    subject: str
    list_id: str
    send_time: datetime  # UTC
    final: dict[str, int]  # lifetime totals after the campaign has settled
    immediate: dict[str, int]  # part of ``final`` that happens at delivery (MPP proxy opens)
    order_value: float = 0.0

    @property
    def send_date(self) -> date:
        return self.send_time.date()

    def snapshot(self, day: date) -> dict[str, int]:
        """Lifetime totals as exported at the end of ``day`` (empty before the send)."""
        age = (day - self.send_date).days
        if age < 0:
            return {}
        share = _email_curve(age)
        totals = {}
        for key, total in self.final.items():
            if key in _AT_SEND:  # sends and bounces are complete on the send day
                totals[key] = total
            else:  # machine (MPP) opens happen at delivery, human reactions follow the curve
                at_delivery = self.immediate.get(key, 0)
                totals[key] = at_delivery + math.floor((total - at_delivery) * share)
        return totals


_AT_SEND = {"emails_sent", "recipients", "delivered", "hard_bounces", "soft_bounces", "syntax_errors", "bounced"}


def _email_curve(age: int) -> float:
    """Share of the human reactions that happened by the end of day ``age`` after the send."""
    return 1.0 if age >= 14 else 1.0 - 0.45 * math.exp(-0.9 * age)


_SUBJECTS = ("New arrivals are here", "Your weekend running guide", "Last chance: spring sale",
             "Members get free shipping", "Trail season starts now", "Back in stock: your favourites",
             "The shoe that runs itself", "5 stretches before your long run")


def _mailchimp_campaign(seed: int, slot: int, copy: int, send_day: date) -> EmailCampaign:
    rng = _rng(seed, "mailchimp", "campaign", slot, copy)
    u = rng.uniform
    sent = round(8000 * u(0.95, 1.05))
    hard, soft, syntax = _binomial(rng, sent, u(0.001, 0.004)), _binomial(rng, sent, u(0.002, 0.008)), rng.randint(0, 2)
    delivered = sent - hard - soft - syntax
    unique_opens = _binomial(rng, delivered, u(0.38, 0.5))
    proxy_unique = round(unique_opens * u(0.36, 0.44))  # Apple MPP machine opens
    proxy_total = round(proxy_unique * u(1.0, 1.1))
    human_total = round((unique_opens - proxy_unique) * u(1.3, 1.8))
    subscriber_clicks = round(delivered * u(0.019, 0.031))
    unique_clicks = round(subscriber_clicks * u(1.15, 1.5))
    final = {
        "emails_sent": sent, "hard_bounces": hard, "soft_bounces": soft, "syntax_errors": syntax,
        "opens_total": proxy_total + human_total, "proxy_excluded_opens": human_total,
        "unique_opens": unique_opens, "proxy_excluded_unique_opens": unique_opens - proxy_unique,
        "clicks_total": round(unique_clicks * u(1.2, 1.6)), "unique_clicks": unique_clicks,
        "unique_subscriber_clicks": subscriber_clicks, "unsubscribed": _binomial(rng, delivered, u(0.001, 0.003)),
    }
    send_time = datetime(send_day.year, send_day.month, send_day.day, rng.randint(8, 15), rng.choice((0, 15, 30, 45)),
                         tzinfo=timezone.utc)
    return EmailCampaign(
        platform="mailchimp", id=_token(rng, 10, _HEX), message_id="",
        title=f"Newsletter {send_day.isoformat()}" + (f" (segment {copy + 1})" if copy else ""),
        subject=rng.choice(_SUBJECTS), list_id=_token(_rng(seed, "mailchimp", "list"), 10, _HEX),
        send_time=send_time, final=final, immediate={"opens_total": proxy_total, "unique_opens": proxy_unique},
    )


def _klaviyo_campaign(seed: int, slot: int, copy: int, send_day: date) -> EmailCampaign:
    rng = _rng(seed, "klaviyo", "campaign", slot, copy)
    u = rng.uniform
    recipients = round(5000 * u(0.95, 1.05))
    bounced = _binomial(rng, recipients, u(0.003, 0.01))
    delivered = recipients - bounced
    opens_unique = _binomial(rng, delivered, u(0.35, 0.48))
    clicks_unique = round(delivered * u(0.019, 0.031))
    final = {
        "recipients": recipients, "delivered": delivered, "bounced": bounced,
        "opens": round(opens_unique * u(1.3, 1.7)), "opens_unique": opens_unique,
        "clicks": round(clicks_unique * u(1.3, 1.8)), "clicks_unique": clicks_unique,
        "unsubscribes": _binomial(rng, delivered, u(0.001, 0.003)),
        "conversions": _binomial(rng, delivered, u(0.002, 0.005)),
    }
    send_time = datetime(send_day.year, send_day.month, send_day.day, rng.randint(8, 15), rng.choice((0, 30)),
                         tzinfo=timezone.utc)
    return EmailCampaign(
        platform="klaviyo", id=_token(rng, 26, _ULID), message_id=_token(rng, 26, _ULID),
        title=f"Campaign {send_day.isoformat()}" + (f" #{copy + 1}" if copy else ""),
        subject=rng.choice(_SUBJECTS), list_id=_token(_rng(seed, "klaviyo", "list"), 6, _ALNUM),
        send_time=send_time, final=final, immediate={}, order_value=u(60, 110),
    )


_EMAIL_SLOTS = {"mailchimp": (10, 0, 6, _mailchimp_campaign), "klaviyo": (7, 3, 3, _klaviyo_campaign)}
"""platform -> (slot length in days, offset, max jitter, campaign factory): one send (x scale) per slot."""


@lru_cache(maxsize=64)
def _email_campaigns(seed: int, scale: int, platform: str, day: date) -> tuple[EmailCampaign, ...]:
    """Campaigns of ``platform`` sent in the 90 days up to and including ``day``, newest first."""
    length, offset, jitter, factory = _EMAIL_SLOTS[platform]
    first, last = day.toordinal() - EMAIL_LOOKBACK_DAYS + 1, day.toordinal()
    campaigns = []
    for slot in range((first - offset) // length - 1, (last - offset) // length + 1):
        send = slot * length + offset + _rng(seed, platform, "slot", slot).randint(0, jitter)
        if first <= send <= last:
            campaigns.extend(factory(seed, slot, copy, date.fromordinal(send)) for copy in range(scale))
    return tuple(sorted(campaigns, key=lambda c: (c.send_time, c.id), reverse=True))


def _mailchimp_report(campaign: EmailCampaign, day: date) -> dict[str, Any]:
    s = campaign.snapshot(day)
    delivered = s["emails_sent"] - s["hard_bounces"] - s["soft_bounces"] - s["syntax_errors"]
    return {
        "id": campaign.id, "campaign_title": campaign.title, "type": "regular",
        "list_id": campaign.list_id, "list_is_active": True, "list_name": "Acme Shop Newsletter",
        "subject_line": campaign.subject, "preview_text": "", "emails_sent": s["emails_sent"],
        "abuse_reports": 0, "unsubscribed": s["unsubscribed"],
        "send_time": campaign.send_time.isoformat(),
        "bounces": {"hard_bounces": s["hard_bounces"], "soft_bounces": s["soft_bounces"],
                    "syntax_errors": s["syntax_errors"]},
        "forwards": {"forwards_count": 0, "forwards_opens": 0},
        "opens": {
            "opens_total": s["opens_total"], "proxy_excluded_opens": s["proxy_excluded_opens"],
            "unique_opens": s["unique_opens"], "proxy_excluded_unique_opens": s["proxy_excluded_unique_opens"],
            "open_rate": round(s["unique_opens"] / delivered, 6),
            "proxy_excluded_open_rate": round(s["proxy_excluded_unique_opens"] / delivered, 6),
        },
        "clicks": {
            "clicks_total": s["clicks_total"], "unique_clicks": s["unique_clicks"],
            "unique_subscriber_clicks": s["unique_subscriber_clicks"],
            "click_rate": round(s["unique_subscriber_clicks"] / delivered, 6),
        },
    }


def _mailchimp_files(seed: int, scale: int, day: date) -> tuple[dict[str, bytes], int]:
    reports = [_mailchimp_report(c, day) for c in _email_campaigns(seed, scale, "mailchimp", day)]
    return {"reports.json": _json_bytes({"reports": reports, "total_items": len(reports), "_links": []})}, len(reports)


def _klaviyo_result(campaign: EmailCampaign, day: date) -> dict[str, Any]:
    s = campaign.snapshot(day)
    statistics: dict[str, Any] = {key: s[key] for key in (
        "recipients", "delivered", "bounced", "opens", "opens_unique", "clicks", "clicks_unique", "unsubscribes")}
    statistics["conversions"] = s["conversions"]
    statistics["conversion_value"] = round(s["conversions"] * campaign.order_value, 2)
    statistics["open_rate"] = round(s["opens_unique"] / s["delivered"], 6)
    statistics["click_rate"] = round(s["clicks_unique"] / s["delivered"], 6)
    return {
        "groupings": {"send_channel": "email", "campaign_id": campaign.id, "campaign_message_id": campaign.message_id},
        "statistics": statistics,
    }


def _klaviyo_files(seed: int, scale: int, day: date) -> tuple[dict[str, bytes], int]:
    results = [_klaviyo_result(c, day) for c in _email_campaigns(seed, scale, "klaviyo", day)]
    document = {
        "data": {"type": "campaign-values-report", "id": _token(_rng(seed, "klaviyo", "report", day), 26, _ULID),
                 "attributes": {"results": results}},
        "links": {"self": "https://a.klaviyo.com/api/campaign-values-reports/", "next": None, "prev": None},
    }
    return {"campaign_values_report.json": _json_bytes(document)}, len(results)


def _email_new_clicks(seed: int, scale: int, platform: str, day: date) -> list[tuple[EmailCampaign, int]]:
    """Unique clicks each campaign gained on ``day`` (difference of consecutive snapshots)."""
    key = "unique_subscriber_clicks" if platform == "mailchimp" else "clicks_unique"
    out = []
    for campaign in _email_campaigns(seed, scale, platform, day):
        before = campaign.snapshot(day - timedelta(days=1)).get(key, 0)
        out.append((campaign, campaign.snapshot(day)[key] - before))
    return out


# =============================================================================== GA4 model
@dataclass(frozen=True)
class _User:
    pseudo_id: str
    user_id: str | None  # opaque login id (never an e-mail address)
    mc_eid: str  # Mailchimp subscriber id used in e-mail links


@lru_cache(maxsize=4)
def _ga4_users(seed: int, scale: int) -> tuple[_User, ...]:
    """The persistent user pool. Low indices are heavy users and newsletter subscribers."""
    rng = _rng(seed, "ga4", "users", scale)
    users = []
    for _ in range(4000 * scale):
        first_visit = rng.randint(1_577_836_800, 1_672_531_199)  # first visit during 2020-2022
        logged_in = rng.random() < 0.3
        users.append(_User(
            pseudo_id=f"{rng.randint(100_000_000, 2_147_483_647)}.{first_visit}",
            user_id=f"cust_{_token(rng, 12, _HEX)}" if logged_in else None,
            mc_eid=_token(rng, 10, _HEX),
        ))
    return tuple(users)


@dataclass(frozen=True)
class _Touch:
    """The traffic source of one session."""

    kind: str  # google / meta / mailchimp / klaviyo / organic / referral / direct
    source: str
    medium: str
    campaign_id: str | None = None
    landing: str = "/"
    conversion_rate: float = 0.03


_CONVERSION_RATE = {"SEARCH": 0.05, "DISPLAY": 0.015, "VIDEO": 0.01, "meta": 0.03, "mailchimp": 0.045,
                    "klaviyo": 0.045, "organic": 0.035, "referral": 0.025, "direct": 0.055}
_PRODUCTS = ("aero-runner-2", "trail-blazer-gtx", "cloud-stride", "tempo-racer", "city-walker", "summit-hiker")
_REFERRERS = ("https://www.runnersworld.example/best-shoes", "https://blog.trailtalk.example/reviews",
              "https://forum.marathon.example/t/shoes")


def _ga4_touches(seed: int, scale: int, day: date, rng: random.Random) -> list[_Touch]:
    """Every session of the day, derived from the platforms' clicks plus unpaid traffic."""
    touches: list[_Touch] = []
    for row in _google_day(seed, scale, day):
        landing = f"/products/{_PRODUCTS[int(row.ad.ad_id) % len(_PRODUCTS)]}"
        touch = _Touch("google", "google", "cpc", row.ad.campaign_id, landing, _CONVERSION_RATE[row.ad.channel])
        touches.extend([touch] * _binomial(rng, row.clicks, 0.65))
    for row in _meta_day(seed, scale, day):
        landing = f"/products/{_PRODUCTS[int(row.ad.ad_id) % len(_PRODUCTS)]}"
        touch = _Touch("meta", "facebook", "paid_social", row.ad.campaign_id, landing, _CONVERSION_RATE["meta"])
        touches.extend([touch] * _binomial(rng, row.link_clicks, 0.55))
    for platform in ("mailchimp", "klaviyo"):
        for campaign, new_clicks in _email_new_clicks(seed, scale, platform, day):
            touch = _Touch(platform, platform, "email", campaign.id, "/collections/new", _CONVERSION_RATE[platform])
            touches.extend([touch] * _binomial(rng, new_clicks, 0.8))
    demand = _demand(seed, day)
    for kind, mean in (("organic", 120), ("referral", 30), ("direct", 70)):
        source, medium = {"organic": ("google", "organic"), "referral": ("referral", "referral"),
                          "direct": ("(direct)", "(none)")}[kind]
        touches.extend([_Touch(kind, source, medium, conversion_rate=_CONVERSION_RATE[kind])]
                       * _volume(rng, mean * scale * demand))
    return touches


def _param(key: str, value: str | int | float) -> dict[str, Any]:
    if isinstance(value, str):
        return {"key": key, "value": {"string_value": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"int_value": str(value)}}  # int64 as a string, as BigQuery writes it
    return {"key": key, "value": {"double_value": value}}


def _ga4_events(seed: int, scale: int, day: date) -> list[dict[str, Any]]:
    """The GA4 BigQuery export rows of ``day`` (UTC property), in time order."""
    rng = _rng(seed, "ga4", "day", day)
    users = _ga4_users(seed, scale)
    subscribers = len(users) // 2
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
    event_date = day.strftime("%Y%m%d")
    events: list[tuple[int, int, dict[str, Any]]] = []
    transactions = 0

    def emit(name: str, ts_us: int, user: _User, params: list[dict[str, Any]],
             traffic: dict[str, Any] | None, ecommerce: dict[str, Any] | None = None) -> None:
        event: dict[str, Any] = {
            "event_date": event_date, "event_timestamp": str(ts_us), "event_name": name,
            "event_params": params, "user_pseudo_id": user.pseudo_id, "user_id": user.user_id,
            "platform": "WEB", "stream_id": "4178092536", "collected_traffic_source": traffic,
        }
        if ecommerce is not None:
            event["ecommerce"] = ecommerce
        events.append((ts_us, len(events), event))

    for touch in _ga4_touches(seed, scale, day, rng):
        # heavy users (low indices) are picked more often; e-mail clicks come from subscribers
        pool = subscribers if touch.medium == "email" else len(users)
        index = int(pool * rng.random() ** 1.5)
        user = users[index]
        start = midnight + rng.randint(60, 86_400 - 1_800)
        session_id = start
        query, traffic, referrer = _ga4_landing_query(touch, user, rng)
        ts = start * 1_000_000 + rng.randint(0, 999_999)
        landing_url = f"{SITE}{touch.landing}{query}"
        base = [_param("ga_session_id", session_id)]
        first = [_param("page_location", landing_url)] + ([_param("page_referrer", referrer)] if referrer else [])
        emit("session_start", ts, user, first + base, traffic)
        emit("page_view", ts, user, first + base + [_param("engagement_time_msec", rng.randint(100, 20_000))], traffic)
        pages = [f"/products/{rng.choice(_PRODUCTS)}" for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
        rate = touch.conversion_rate * (1.6 if index < len(users) // 10 else 1.0)
        converts = rng.random() < rate
        if converts:
            pages += ["/cart", "/checkout", "/checkout/thank-you"]
        for page in pages:
            ts += rng.randint(5, 180) * 1_000_000 + rng.randint(0, 999_999)
            emit("page_view", ts, user, [_param("page_location", f"{SITE}{page}")] + base, None)
        if converts:
            transactions += 1
            revenue = round(math.exp(rng.gauss(4.2, 0.5)), 2)
            transaction_id = f"T{event_date}-{transactions:05d}"
            params = [_param("page_location", f"{SITE}/checkout/thank-you")] + base + [
                _param("currency", "USD"), _param("value", revenue), _param("transaction_id", transaction_id)]
            ecommerce = {"transaction_id": transaction_id, "purchase_revenue": revenue,
                         "total_item_quantity": rng.randint(1, 3)}
            ts += rng.randint(1_000, 900_000)
            emit("purchase", ts, user, params, None, ecommerce)
            if rng.random() < 0.04:  # GA4 sends the purchase again (page reload): same transaction id
                emit("purchase", ts + rng.randint(2, 40) * 1_000_000, user, params, None, ecommerce)
    events.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in events]


def _ga4_landing_query(touch: _Touch, user: _User, rng: random.Random) -> tuple[str, dict[str, Any], str | None]:
    """(query string of the landing URL, collected_traffic_source, page_referrer) of a session."""
    traffic: dict[str, Any] = {"manual_source": touch.source, "manual_medium": touch.medium,
                               "manual_campaign_id": touch.campaign_id, "manual_campaign_name": touch.campaign_id,
                               "gclid": None}
    cid = touch.campaign_id
    if touch.kind == "google":
        gclid = "Cj0KCQ" + _token(rng, 58, _ALNUM + "_-")
        traffic["gclid"] = gclid
        return (f"?gclid={gclid}&utm_source=google&utm_medium=cpc&utm_campaign={cid}&utm_id={cid}",
                traffic, "https://www.google.com/")
    if touch.kind == "meta":
        fbclid = "IwAR" + _token(rng, 56, _ALNUM + "_-")
        return (f"?utm_source=facebook&utm_medium=paid_social&utm_campaign={cid}&utm_id={cid}&fbclid={fbclid}",
                traffic, "https://l.facebook.com/")
    if touch.kind == "mailchimp":
        return (f"?utm_source=mailchimp&utm_medium=email&utm_campaign={cid}&mc_cid={cid}&mc_eid={user.mc_eid}",
                traffic, None)
    if touch.kind == "klaviyo":
        return f"?utm_source=klaviyo&utm_medium=email&utm_campaign={cid}&utm_id={cid}", traffic, None
    if touch.kind == "organic":
        return "", traffic, "https://www.google.com/"
    if touch.kind == "referral":
        referrer = rng.choice(_REFERRERS)
        traffic["manual_source"] = referrer.split("/")[2]
        return "", traffic, referrer
    return "", traffic, None  # direct: (direct) / (none)


def _ga4_files(seed: int, scale: int, day: date) -> tuple[dict[str, bytes], int]:
    events = _ga4_events(seed, scale, day)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    text = "".join(encode(event) + "\n" for event in events)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=5) as gz:
        gz.write(text.encode("utf-8"))
    return {f"events_{day:%Y%m%d}.ndjson.gz": buffer.getvalue()}, len(events)


# =============================================================================== writing
def _json_bytes(document: Any) -> bytes:
    """Compact JSON (the C encoder; pretty-printing would double the run time), one trailing newline."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _source_files(source: str, seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    if source == "google_ads":
        return _google_files(seed, scale, day, lag)
    if source == "meta_ads":
        return _meta_files(seed, scale, day, lag)
    if source == "mailchimp":
        return _mailchimp_files(seed, scale, day)
    if source == "klaviyo":
        return _klaviyo_files(seed, scale, day)
    if source == "ga4":
        return _ga4_files(seed, scale, day)
    raise ValueError(f"unknown source {source!r}; expected one of {', '.join(ALL_SOURCES)}")


def _write(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write a folder's files (each through a temp file + rename, so no half file is left)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = folder / name
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(path)
    return written


def _check_arguments(start: date, end: date, scale: int, sources: Iterable[str]) -> tuple[str, ...]:
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    chosen = tuple(dict.fromkeys(sources))
    unknown = [s for s in chosen if s not in ALL_SOURCES]
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; expected some of {', '.join(ALL_SOURCES)}")
    return chosen


def generate(
    out_dir: Path,
    start: date,
    end: date,
    *,
    scale: int = 1,
    seed: int = 7,
    sources: Iterable[str] = ALL_SOURCES,
) -> GenerateSummary:
    """Write native exports for every report date ``start..end`` (inclusive) into ``out_dir``.

    The folders are written as the platforms would have last re-exported them on the
    night after ``end``: Google Ads / Meta conversions of the last days are still
    incomplete (see :func:`restate`). ``scale`` multiplies campaigns, ads, e-mail
    sends and users. Same arguments -> byte-identical files.
    """
    out_dir = Path(out_dir)
    chosen = _check_arguments(start, end, scale, sources)
    files: list[Path] = []
    records = {source: 0 for source in chosen}
    day = start
    while day <= end:
        lag = (end - day).days + 1
        for source in chosen:
            content, count = _source_files(source, seed, scale, day, lag)
            files += _write(out_dir / source / day.isoformat(), content)
            records[source] += count
        day += timedelta(days=1)
    return GenerateSummary(out_dir=out_dir, start=start, end=end, scale=scale, seed=seed, sources=chosen,
                           files=tuple(files), records=records)


RESTATED_SOURCES = ("google_ads", "meta_ads")


def restate(out_dir: Path, day: date, *, seed: int = 7, scale: int = 1,
            sources: Iterable[str] = RESTATED_SOURCES) -> list[Path]:
    """Re-write the Google Ads and Meta files of ``day`` with their final conversions.

    This is the platforms' late re-export after every attribution window has closed:
    conversions (Google ``conversions``/``conversionsValue``/``viewThroughConversions``,
    Meta ``7d_click``/``28d_click`` actions and values) can only grow; impressions,
    clicks and spend are unchanged. Pass the ``seed`` and ``scale`` given to
    :func:`generate`; a folder that was written with others is refused (its delivery
    numbers would change). Deterministic and idempotent.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    for source in sources:
        if source not in RESTATED_SOURCES:
            raise ValueError(f"only {', '.join(RESTATED_SOURCES)} restate; got {source!r}")
        folder = out_dir / source / day.isoformat()
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} does not exist: generate the day before restating it")
        content, _ = _source_files(source, seed, scale, day, FINAL)
        for name, data in content.items():
            old = folder / name
            if not old.exists() or _delivery(source, name, old.read_bytes()) != _delivery(source, name, data):
                raise ValueError(f"{old} was not written by generate(seed={seed}, scale={scale}); not restating it")
        written += _write(folder, content)
    return written


def _delivery(source: str, name: str, data: bytes) -> list[tuple[str, str, str]]:
    """(ad id, impressions, clicks) of every row of an ad export: what a restatement keeps."""
    if source == "meta_ads":
        return [(r["ad_id"], r["impressions"], r["clicks"]) for page in json.loads(data) for r in page["data"]]
    if name.endswith(".json"):
        return [(r["adGroupAd"]["ad"]["id"], r["metrics"].get("impressions", "0"), r["metrics"].get("clicks", "0"))
                for batch in json.loads(data) for r in batch["results"]]
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = lines[2]
    ad, impressions, clicks = header.index("Ad ID"), header.index("Impr."), header.index("Clicks")
    return [(line[ad], line[impressions], line[clicks]) for line in lines[3:] if not line[0].startswith("Total")]


# =============================================================================== CLI
def main(argv: Sequence[str] | None = None) -> int:
    """``adwh generate --out DIR --start D --end D [--scale N] [--seed S] [--sources a,b]``."""
    parser = argparse.ArgumentParser(prog="adwh generate", description="Write deterministic sample native exports.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    print(run_from_args(args))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``generate`` options, for reuse by the ``adwh`` CLI's sub-command."""
    parser.add_argument("--out", required=True, type=Path, help="landing directory to write into")
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="first report date (YYYY-MM-DD)")
    parser.add_argument("--end", required=True, type=date.fromisoformat, help="last report date (inclusive)")
    parser.add_argument("--scale", type=int, default=1, help="multiplies campaigns, ads and users (default 1)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--sources", default=",".join(ALL_SOURCES),
                        help=f"comma-separated sources (default: {','.join(ALL_SOURCES)})")


def run_from_args(args: argparse.Namespace) -> GenerateSummary:
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    return generate(args.out, args.start, args.end, scale=args.scale, seed=args.seed, sources=sources)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
