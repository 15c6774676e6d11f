"""LinkedIn Ads sample exports: the Marketing API responses the pull saves into
``linkedin_ads/<YYYY-MM-DD>/``::

    ad_analytics_<account_id>.json   adAnalytics (q=analytics, pivot=CREATIVE, timeGranularity=DAILY)
    ad_accounts_<account_id>.json    GET /rest/adAccounts/<id> (the account entity: name, currency)
    ad_campaigns_<account_id>.json   GET /rest/adAccounts/<id>/adCampaigns?q=search
    creatives_<account_id>.json      GET /rest/adAccounts/<id>/creatives?q=criteria (two pages)

One GBP ad account (``Acme B2B UK``) with ``scale`` x 3 Sponsored Content campaigns: a
``SINGLE_VIDEO`` awareness campaign (2 video creatives), a ``STANDARD_UPDATE`` lead campaign
(2 image creatives) and a ``CAROUSEL`` retargeting campaign (1 creative). Chargeable clicks
are 0.3-0.8 % of impressions, landing-page clicks (the unified CTR numerator) a share of
them; CPMs are LinkedIn's (GBP 20-45). Video creatives report ``videoStarts`` >
``videoViews`` (2 s at 50 % in view) > ``videoCompletions``; image creatives report 0 for
the video metrics, as LinkedIn does. Post-click conversions come from landing-page clicks,
post-view conversions from impressions; both keep arriving for
``LINKEDIN_CONVERSION_LAG_DAYS`` (LinkedIn's default 30-day post-click window), so the most
recent days are immature and :func:`orchestration.sample.generate.restate` can finalise them.

Every draw comes from streams named ``linkedin_ads``: generating LinkedIn changes no other
platform's files (GA4 gains LinkedIn sessions only when LinkedIn is generated, from its own
streams: see ``ga4``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from orchestration.sample.common import binomial, day_demand, digits, json_bytes, poisson, stream, token, volume

SOURCE = "linkedin_ads"
RESTATES = True  # late conversions: restate() re-writes its folders with the final numbers

LINKEDIN_CONVERSION_LAG_DAYS = 30
"""LinkedIn conversions are final this many days after the day (the default post-click window)."""
GBP_TO_USD = 1.27
"""``costInUsd`` is LinkedIn's own conversion; the warehouse uses its fx_rates seed instead."""

_ACCOUNT_NAME, _CURRENCY = "Acme B2B UK", "GBP"
_CAMPAIGNS = (  # (theme, format, objectiveType, costType, creative names)
    (
        "Awareness | Video | Product tour",
        "SINGLE_VIDEO",
        "VIDEO_VIEW",
        "CPV",
        ("Product tour 30s", "Customer story 45s"),
    ),
    (
        "Leads | Whitepaper",
        "STANDARD_UPDATE",
        "WEBSITE_CONVERSION",
        "CPC",
        ("Whitepaper - cover", "Whitepaper - quote"),
    ),
    ("Retargeting | Carousel", "CAROUSEL", "WEBSITE_VISIT", "CPM", ("Carousel - features",)),
)


@dataclass(frozen=True)
class LinkedInCreative:
    account_id: str
    campaign_id: str
    campaign_name: str
    campaign_group_id: str
    campaign_format: str
    objective_type: str
    cost_type: str
    creative_id: str
    creative_name: str
    impressions: float  # mean per day
    ctr: float  # chargeable clicks per impression
    landing_share: float  # landing-page clicks per chargeable click
    cpm: float  # GBP
    start_rate: float  # video starts per impression (video creatives)
    view_rate: float  # 2-second views per start
    completion_rate: float  # completions per view
    cvr: float  # post-click conversions per landing-page click
    view_through_per_10k: float  # post-view conversions per 10,000 impressions
    value_per_conversion: float

    @property
    def is_video(self) -> bool:
        return self.campaign_format == "SINGLE_VIDEO"


@dataclass(frozen=True)
class LinkedInCreativeDay:
    """Final (fully matured) numbers of one creative on one day."""

    creative: LinkedInCreative
    day: date
    impressions: int
    clicks: int
    landing_page_clicks: int
    cost: float
    video_starts: int
    video_views: int
    video_completions: int
    post_click: int
    post_view: int
    value_per_conversion: float

    def reported(self, lag: int) -> tuple[int, int]:
        """(post-click, post-view) conversions as exported ``lag`` days after the day."""
        share = _maturity(lag)
        return math.floor(self.post_click * share), math.floor(self.post_view * share)


def _maturity(lag: int) -> float:
    """Share of the final conversions known ``lag`` days later (75 % the next day)."""
    if lag >= LINKEDIN_CONVERSION_LAG_DAYS:
        return 1.0
    return 1.0 - 0.25 * math.exp(-(max(lag, 1) - 1) / 6)


@lru_cache(maxsize=16)
def catalog(seed: int, scale: int) -> tuple[LinkedInCreative, ...]:
    """Every creative. Campaign ``k`` is the same at every scale (scale N is a superset)."""
    account_id = digits(stream(seed, SOURCE, "account"), 9)
    group_id = digits(stream(seed, SOURCE, "campaign_group"), 9)
    creatives = []
    for copy in range(scale):
        for number, (theme, fmt, objective, cost_type, names) in enumerate(_CAMPAIGNS):
            rng = stream(seed, SOURCE, "campaign", copy, number)
            campaign_id = digits(rng, 9)
            video = fmt == "SINGLE_VIDEO"
            for name in names:
                u = rng.uniform
                creatives.append(
                    LinkedInCreative(
                        account_id=account_id,
                        campaign_id=campaign_id,
                        campaign_name=theme + (f" #{copy + 1}" if copy else ""),
                        campaign_group_id=group_id,
                        campaign_format=fmt,
                        objective_type=objective,
                        cost_type=cost_type,
                        creative_id=digits(rng, 9),
                        creative_name=name,
                        impressions=u(2500, 6000) if video else u(1500, 4000),
                        ctr=u(0.003, 0.006) if video else u(0.004, 0.008),
                        landing_share=u(0.5, 0.7) if video else u(0.75, 0.9),
                        cpm=u(20, 35) if video else u(28, 45),
                        start_rate=u(0.55, 0.75),
                        view_rate=u(0.6, 0.8),
                        completion_rate=u(0.2, 0.35),
                        cvr=u(0.02, 0.06),
                        view_through_per_10k=u(1, 3),
                        value_per_conversion=u(80, 200),
                    )
                )
    return tuple(creatives)


@lru_cache(maxsize=8)
def day_rows(seed: int, scale: int, day: date) -> tuple[LinkedInCreativeDay, ...]:
    """The final numbers of every creative on ``day``."""
    demand = day_demand(seed, day)
    rows = []
    for creative in catalog(seed, scale):
        rng = stream(seed, SOURCE, "day", day, creative.creative_id)
        impressions = volume(rng, creative.impressions * demand)
        clicks = binomial(rng, impressions, creative.ctr * rng.uniform(0.9, 1.1))
        landing = binomial(rng, clicks, creative.landing_share)
        cost = impressions / 1000 * creative.cpm * rng.uniform(0.9, 1.1)
        starts = views = completions = 0
        if creative.is_video:
            starts = binomial(rng, impressions, creative.start_rate)
            views = binomial(rng, starts, creative.view_rate)
            completions = binomial(rng, views, creative.completion_rate)
        rows.append(
            LinkedInCreativeDay(
                creative=creative,
                day=day,
                impressions=impressions,
                clicks=clicks,
                landing_page_clicks=landing,
                cost=cost,
                video_starts=starts,
                video_views=views,
                video_completions=completions,
                post_click=binomial(rng, landing, creative.cvr),
                post_view=poisson(rng, impressions * creative.view_through_per_10k / 10_000),
                value_per_conversion=creative.value_per_conversion * rng.uniform(0.9, 1.1),
            )
        )
    return tuple(rows)


def _decimal(number: float) -> str:
    """LinkedIn's BigDecimal-as-string spelling: up to 3 decimals, no trailing zeros."""
    return f"{number:.3f}".rstrip("0").rstrip(".") or "0"


def _ymd(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _analytics_element(row: LinkedInCreativeDay, lag: int) -> dict[str, Any]:
    post_click, post_view = row.reported(lag)
    conversions = post_click + post_view
    return {
        "pivotValues": [f"urn:li:sponsoredCreative:{row.creative.creative_id}"],
        "dateRange": {"start": _ymd(row.day), "end": _ymd(row.day)},
        "impressions": row.impressions,
        "clicks": row.clicks,
        "landingPageClicks": row.landing_page_clicks,
        "costInLocalCurrency": _decimal(row.cost),
        "costInUsd": _decimal(row.cost * GBP_TO_USD),
        "externalWebsiteConversions": conversions,
        "externalWebsitePostClickConversions": post_click,
        "externalWebsitePostViewConversions": post_view,
        "conversionValueInLocalCurrency": _decimal(conversions * row.value_per_conversion),
        "videoStarts": row.video_starts,
        "videoViews": row.video_views,
        "videoCompletions": row.video_completions,
    }


def _account(creatives: tuple[LinkedInCreative, ...]) -> dict[str, Any]:
    return {
        "id": int(creatives[0].account_id),
        "name": _ACCOUNT_NAME,
        "currency": _CURRENCY,
        "type": "BUSINESS",
        "status": "ACTIVE",
        "reference": "urn:li:organization:2414183",
        "test": False,
    }


def _campaigns(creatives: tuple[LinkedInCreative, ...]) -> dict[str, Any]:
    seen: dict[str, dict[str, Any]] = {}
    for c in creatives:
        seen.setdefault(
            c.campaign_id,
            {
                "id": int(c.campaign_id),
                "name": c.campaign_name,
                "account": f"urn:li:sponsoredAccount:{c.account_id}",
                "campaignGroup": f"urn:li:sponsoredCampaignGroup:{c.campaign_group_id}",
                "type": "SPONSORED_UPDATES",
                "format": c.campaign_format,
                "objectiveType": c.objective_type,
                "costType": c.cost_type,
                "status": "ACTIVE",
            },
        )
    return {"elements": list(seen.values()), "metadata": {}}


def _creatives(creatives: tuple[LinkedInCreative, ...], rng) -> list[dict[str, Any]]:
    """The creatives search response, paged (pageSize = half the creatives, ``nextPageToken``)."""
    elements = [
        {
            "id": f"urn:li:sponsoredCreative:{c.creative_id}",
            "campaign": f"urn:li:sponsoredCampaign:{c.campaign_id}",
            "account": f"urn:li:sponsoredAccount:{c.account_id}",
            "name": c.creative_name,
            "intendedStatus": "ACTIVE",
            "isServing": True,
            "content": {"reference": f"urn:li:ugcPost:7{c.creative_id}{c.campaign_id}"},
        }
        for c in creatives
    ]
    size = math.ceil(len(elements) / 2)
    pages = []
    for start in range(0, len(elements), size):
        last = start + size >= len(elements)
        pages.append(
            {"elements": elements[start : start + size], "metadata": {} if last else {"nextPageToken": token(rng, 16)}}
        )
    return pages


def files(seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    """The LinkedIn folder of ``day`` and the number of records (elements) in it."""
    creatives = catalog(seed, scale)
    account_id = creatives[0].account_id
    rows = day_rows(seed, scale, day)
    analytics = {
        "paging": {"start": 0, "count": 10, "links": []},
        "elements": [_analytics_element(row, lag) for row in rows],
    }
    campaigns = _campaigns(creatives)
    pages = _creatives(creatives, stream(seed, SOURCE, "paging", day))
    out = {
        f"ad_analytics_{account_id}.json": json_bytes(analytics),
        f"ad_accounts_{account_id}.json": json_bytes(_account(creatives)),
        f"ad_campaigns_{account_id}.json": json_bytes(campaigns),
        f"creatives_{account_id}.json": json_bytes(pages),
    }
    return out, len(rows) + 1 + len(campaigns["elements"]) + len(creatives)


def delivery(name: str, data: bytes) -> list[tuple[str, str, str]]:
    """(creative, impressions, clicks) of an analytics file (lookups: their ids): what a restatement keeps."""
    document = json.loads(data)
    if name.startswith("ad_analytics"):
        return [(e["pivotValues"][0], str(e["impressions"]), str(e["clicks"])) for e in document["elements"]]
    pages = document if isinstance(document, list) else [document]
    return [(str(e["id"]), "", "") for page in pages for e in page.get("elements", [page])]
