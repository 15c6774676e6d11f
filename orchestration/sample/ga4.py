"""GA4 sample exports: ``ga4/<YYYY-MM-DD>/events_YYYYMMDD.ndjson.gz``, BigQuery export rows
(one event per line, gzip written with ``mtime=0`` and no file name).

Sessions are derived from the platforms' own clicks of the day (65 % of Google clicks,
55 % of Meta link clicks, 80 % of new unique e-mail clicks land as a tagged session),
plus organic, referral and direct traffic. Sessions are given to users of a persistent
user pool (heavy users are picked more often), so users collect touches across channels
and days before they buy. Purchases have unique ``transaction_id`` values and USD
revenue; about 4 % are sent twice (same transaction id, a few seconds later) as GA4 does.
The property's time zone is UTC.

LinkedIn sessions (60 % of LinkedIn landing-page clicks, tagged ``utm_source=linkedin&
utm_medium=paid_social`` and LinkedIn's ``li_fat_id`` click id) are in the file only when
``linkedin_ads`` is generated too, and are drawn from their own stream
(``stream(seed, "ga4", "linkedin", day)``) after every other session: the events of the
other sessions are byte-identical with or without LinkedIn, the LinkedIn sessions and their
purchases (transaction ids numbered after the day's others) are added between them in time
order. Without LinkedIn the file is exactly what it was before LinkedIn existed, so the
demo's numbers for the five original sources do not move; with it, LinkedIn touches join
users' journeys (the attribution marts then credit LinkedIn too).
"""

from __future__ import annotations

import gzip
import io
import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from orchestration.sample import google_ads, klaviyo, linkedin_ads, mailchimp, meta_ads
from orchestration.sample.common import ALNUM, HEX, SITE, binomial, day_demand, stream, token, volume

SOURCE = "ga4"
RESTATES = False
READS_GENERATED = True  # files() takes ``generated``: LinkedIn sessions exist only beside LinkedIn exports


@dataclass(frozen=True)
class _User:
    pseudo_id: str
    user_id: str | None  # opaque login id (never an e-mail address)
    mc_eid: str  # Mailchimp subscriber id used in e-mail links


@lru_cache(maxsize=4)
def _users(seed: int, scale: int) -> tuple[_User, ...]:
    """The persistent user pool. Low indices are heavy users and newsletter subscribers."""
    rng = stream(seed, "ga4", "users", scale)
    users = []
    for _ in range(4000 * scale):
        first_visit = rng.randint(1_577_836_800, 1_672_531_199)  # first visit during 2020-2022
        logged_in = rng.random() < 0.3
        users.append(
            _User(
                pseudo_id=f"{rng.randint(100_000_000, 2_147_483_647)}.{first_visit}",
                user_id=f"cust_{token(rng, 12, HEX)}" if logged_in else None,
                mc_eid=token(rng, 10, HEX),
            )
        )
    return tuple(users)


@dataclass(frozen=True)
class _Touch:
    """The traffic source of one session."""

    kind: str  # google / meta / linkedin / mailchimp / klaviyo / organic / referral / direct
    source: str
    medium: str
    campaign_id: str | None = None
    landing: str = "/"
    conversion_rate: float = 0.03


_CONVERSION_RATE = {
    "SEARCH": 0.05,
    "DISPLAY": 0.015,
    "VIDEO": 0.01,
    "meta": 0.03,
    "mailchimp": 0.045,
    "klaviyo": 0.045,
    "linkedin": 0.02,
    "organic": 0.035,
    "referral": 0.025,
    "direct": 0.055,
}
_PRODUCTS = ("aero-runner-2", "trail-blazer-gtx", "cloud-stride", "tempo-racer", "city-walker", "summit-hiker")
_REFERRERS = (
    "https://www.runnersworld.example/best-shoes",
    "https://blog.trailtalk.example/reviews",
    "https://forum.marathon.example/t/shoes",
)


def _touches(seed: int, scale: int, day: date, rng: random.Random) -> list[_Touch]:
    """Every session of the day, derived from the platforms' clicks plus unpaid traffic."""
    touches: list[_Touch] = []
    for row in google_ads.day_rows(seed, scale, day):
        landing = f"/products/{_PRODUCTS[int(row.ad.ad_id) % len(_PRODUCTS)]}"
        touch = _Touch("google", "google", "cpc", row.ad.campaign_id, landing, _CONVERSION_RATE[row.ad.channel])
        touches.extend([touch] * binomial(rng, row.clicks, 0.65))
    for row in meta_ads.day_rows(seed, scale, day):
        landing = f"/products/{_PRODUCTS[int(row.ad.ad_id) % len(_PRODUCTS)]}"
        touch = _Touch("meta", "facebook", "paid_social", row.ad.campaign_id, landing, _CONVERSION_RATE["meta"])
        touches.extend([touch] * binomial(rng, row.link_clicks, 0.55))
    for email in (mailchimp, klaviyo):
        platform = email.SOURCE
        for campaign, new_clicks in email.day_new_clicks(seed, scale, day):
            touch = _Touch(platform, platform, "email", campaign.id, "/collections/new", _CONVERSION_RATE[platform])
            touches.extend([touch] * binomial(rng, new_clicks, 0.8))
    demand = day_demand(seed, day)
    for kind, mean in (("organic", 120), ("referral", 30), ("direct", 70)):
        source, medium = {
            "organic": ("google", "organic"),
            "referral": ("referral", "referral"),
            "direct": ("(direct)", "(none)"),
        }[kind]
        touches.extend(
            [_Touch(kind, source, medium, conversion_rate=_CONVERSION_RATE[kind])] * volume(rng, mean * scale * demand)
        )
    return touches


def _linkedin_touches(seed: int, scale: int, day: date, rng: random.Random) -> list[_Touch]:
    """The sessions of LinkedIn landing-page clicks (60 % of them arrive), drawn from ``rng``."""
    touches: list[_Touch] = []
    for row in linkedin_ads.day_rows(seed, scale, day):
        touch = _Touch(
            "linkedin", "linkedin", "paid_social", row.creative.campaign_id, "/business", _CONVERSION_RATE["linkedin"]
        )
        touches.extend([touch] * binomial(rng, row.landing_page_clicks, 0.6))
    return touches


def _param(key: str, value: str | int | float) -> dict[str, Any]:
    if isinstance(value, str):
        return {"key": key, "value": {"string_value": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"int_value": str(value)}}  # int64 as a string, as BigQuery writes it
    return {"key": key, "value": {"double_value": value}}


def _events(seed: int, scale: int, day: date, with_linkedin: bool) -> list[dict[str, Any]]:
    """The GA4 BigQuery export rows of ``day`` (UTC property), in time order."""
    rng = stream(seed, "ga4", "day", day)
    users = _users(seed, scale)
    subscribers = len(users) // 2
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    event_date = day.strftime("%Y%m%d")
    events: list[tuple[int, int, dict[str, Any]]] = []
    transactions = 0

    def emit(
        name: str,
        ts_us: int,
        user: _User,
        params: list[dict[str, Any]],
        traffic: dict[str, Any] | None,
        ecommerce: dict[str, Any] | None = None,
    ) -> None:
        event: dict[str, Any] = {
            "event_date": event_date,
            "event_timestamp": str(ts_us),
            "event_name": name,
            "event_params": params,
            "user_pseudo_id": user.pseudo_id,
            "user_id": user.user_id,
            "platform": "WEB",
            "stream_id": "4178092536",
            "collected_traffic_source": traffic,
        }
        if ecommerce is not None:
            event["ecommerce"] = ecommerce
        events.append((ts_us, len(events), event))

    def session(touch: _Touch, rng: random.Random) -> None:
        """One session of ``touch`` (and its purchase, if it converts), drawn from ``rng``."""
        nonlocal transactions
        # heavy users (low indices) are picked more often; e-mail clicks come from subscribers
        pool = subscribers if touch.medium == "email" else len(users)
        index = int(pool * rng.random() ** 1.5)
        user = users[index]
        start = midnight + rng.randint(60, 86_400 - 1_800)
        session_id = start
        query, traffic, referrer = _landing_query(touch, user, rng)
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
            params = (
                [_param("page_location", f"{SITE}/checkout/thank-you")]
                + base
                + [_param("currency", "USD"), _param("value", revenue), _param("transaction_id", transaction_id)]
            )
            ecommerce = {
                "transaction_id": transaction_id,
                "purchase_revenue": revenue,
                "total_item_quantity": rng.randint(1, 3),
            }
            ts += rng.randint(1_000, 900_000)
            emit("purchase", ts, user, params, None, ecommerce)
            if rng.random() < 0.04:  # GA4 sends the purchase again (page reload): same transaction id
                emit("purchase", ts + rng.randint(2, 40) * 1_000_000, user, params, None, ecommerce)

    for touch in _touches(seed, scale, day, rng):
        session(touch, rng)
    if with_linkedin:  # LinkedIn sessions from their own stream: the other events stay as they are
        linkedin_rng = stream(seed, "ga4", "linkedin", day)
        for touch in _linkedin_touches(seed, scale, day, linkedin_rng):
            session(touch, linkedin_rng)
    events.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in events]


def _landing_query(touch: _Touch, user: _User, rng: random.Random) -> tuple[str, dict[str, Any], str | None]:
    """(query string of the landing URL, collected_traffic_source, page_referrer) of a session."""
    traffic: dict[str, Any] = {
        "manual_source": touch.source,
        "manual_medium": touch.medium,
        "manual_campaign_id": touch.campaign_id,
        "manual_campaign_name": touch.campaign_id,
        "gclid": None,
    }
    cid = touch.campaign_id
    if touch.kind == "google":
        gclid = "Cj0KCQ" + token(rng, 58, ALNUM + "_-")
        traffic["gclid"] = gclid
        return (
            f"?gclid={gclid}&utm_source=google&utm_medium=cpc&utm_campaign={cid}&utm_id={cid}",
            traffic,
            "https://www.google.com/",
        )
    if touch.kind == "meta":
        fbclid = "IwAR" + token(rng, 56, ALNUM + "_-")
        return (
            f"?utm_source=facebook&utm_medium=paid_social&utm_campaign={cid}&utm_id={cid}&fbclid={fbclid}",
            traffic,
            "https://l.facebook.com/",
        )
    if touch.kind == "linkedin":
        li_fat_id = "-".join(token(rng, n, HEX) for n in (8, 4, 4, 4, 12))
        return (
            f"?utm_source=linkedin&utm_medium=paid_social&utm_campaign={cid}&utm_id={cid}&li_fat_id={li_fat_id}",
            traffic,
            "https://www.linkedin.com/",
        )
    if touch.kind == "mailchimp":
        return (
            f"?utm_source=mailchimp&utm_medium=email&utm_campaign={cid}&mc_cid={cid}&mc_eid={user.mc_eid}",
            traffic,
            None,
        )
    if touch.kind == "klaviyo":
        return f"?utm_source=klaviyo&utm_medium=email&utm_campaign={cid}&utm_id={cid}", traffic, None
    if touch.kind == "organic":
        return "", traffic, "https://www.google.com/"
    if touch.kind == "referral":
        referrer = rng.choice(_REFERRERS)
        traffic["manual_source"] = referrer.split("/")[2]
        return "", traffic, referrer
    return "", traffic, None  # direct: (direct) / (none)


def files(
    seed: int, scale: int, day: date, lag: int, *, generated: tuple[str, ...] = ()
) -> tuple[dict[str, bytes], int]:
    """The GA4 folder of ``day`` (events are final when exported: ``lag`` plays no part).

    ``generated``: the sources written alongside. LinkedIn sessions are part of the site's
    traffic only when ``linkedin_ads`` is among them (see the module docstring)."""
    events = _events(seed, scale, day, with_linkedin=linkedin_ads.SOURCE in generated)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    text = "".join(encode(event) + "\n" for event in events)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=5) as gz:
        gz.write(text.encode("utf-8"))
    return {f"events_{day:%Y%m%d}.ndjson.gz": buffer.getvalue()}, len(events)
