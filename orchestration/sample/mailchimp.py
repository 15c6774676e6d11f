"""Mailchimp sample exports: ``mailchimp/<YYYY-MM-DD>/reports.json``, the ``GET /3.0/reports``
response with the **lifetime totals** of the campaigns sent in the last 90 days.

A campaign about every 10 days (``scale`` per slot, each a segment of the list). Apple
Mail Privacy Protection proxy opens (~40 % of unique opens) all happen at delivery, so
``proxy_excluded_*`` counters are the human opens.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from orchestration.sample.common import HEX, binomial, json_bytes, stream, token
from orchestration.sample.email_campaigns import SUBJECTS, EmailCampaign, new_clicks, sent_campaigns

SOURCE = "mailchimp"
RESTATES = False
SLOT_DAYS, SLOT_OFFSET, SLOT_JITTER = 10, 0, 6
"""One send (x scale) per 10-day slot, on day 0..6 of the slot."""


def _campaign(seed: int, slot: int, copy: int, send_day: date) -> EmailCampaign:
    rng = stream(seed, "mailchimp", "campaign", slot, copy)
    u = rng.uniform
    sent = round(8000 * u(0.95, 1.05))
    hard, soft, syntax = binomial(rng, sent, u(0.001, 0.004)), binomial(rng, sent, u(0.002, 0.008)), rng.randint(0, 2)
    delivered = sent - hard - soft - syntax
    unique_opens = binomial(rng, delivered, u(0.38, 0.5))
    proxy_unique = round(unique_opens * u(0.36, 0.44))  # Apple MPP machine opens
    proxy_total = round(proxy_unique * u(1.0, 1.1))
    human_total = round((unique_opens - proxy_unique) * u(1.3, 1.8))
    subscriber_clicks = round(delivered * u(0.019, 0.031))
    unique_clicks = round(subscriber_clicks * u(1.15, 1.5))
    final = {
        "emails_sent": sent,
        "hard_bounces": hard,
        "soft_bounces": soft,
        "syntax_errors": syntax,
        "opens_total": proxy_total + human_total,
        "proxy_excluded_opens": human_total,
        "unique_opens": unique_opens,
        "proxy_excluded_unique_opens": unique_opens - proxy_unique,
        "clicks_total": round(unique_clicks * u(1.2, 1.6)),
        "unique_clicks": unique_clicks,
        "unique_subscriber_clicks": subscriber_clicks,
        "unsubscribed": binomial(rng, delivered, u(0.001, 0.003)),
    }
    send_time = datetime(
        send_day.year, send_day.month, send_day.day, rng.randint(8, 15), rng.choice((0, 15, 30, 45)), tzinfo=UTC
    )
    return EmailCampaign(
        platform="mailchimp",
        id=token(rng, 10, HEX),
        message_id="",
        title=f"Newsletter {send_day.isoformat()}" + (f" (segment {copy + 1})" if copy else ""),
        subject=rng.choice(SUBJECTS),
        list_id=token(stream(seed, "mailchimp", "list"), 10, HEX),
        send_time=send_time,
        final=final,
        immediate={"opens_total": proxy_total, "unique_opens": proxy_unique},
    )


def _report(campaign: EmailCampaign, day: date) -> dict[str, Any]:
    s = campaign.snapshot(day)
    delivered = s["emails_sent"] - s["hard_bounces"] - s["soft_bounces"] - s["syntax_errors"]
    return {
        "id": campaign.id,
        "campaign_title": campaign.title,
        "type": "regular",
        "list_id": campaign.list_id,
        "list_is_active": True,
        "list_name": "Acme Shop Newsletter",
        "subject_line": campaign.subject,
        "preview_text": "",
        "emails_sent": s["emails_sent"],
        "abuse_reports": 0,
        "unsubscribed": s["unsubscribed"],
        "send_time": campaign.send_time.isoformat(),
        "bounces": {
            "hard_bounces": s["hard_bounces"],
            "soft_bounces": s["soft_bounces"],
            "syntax_errors": s["syntax_errors"],
        },
        "forwards": {"forwards_count": 0, "forwards_opens": 0},
        "opens": {
            "opens_total": s["opens_total"],
            "proxy_excluded_opens": s["proxy_excluded_opens"],
            "unique_opens": s["unique_opens"],
            "proxy_excluded_unique_opens": s["proxy_excluded_unique_opens"],
            "open_rate": round(s["unique_opens"] / delivered, 6),
            "proxy_excluded_open_rate": round(s["proxy_excluded_unique_opens"] / delivered, 6),
        },
        "clicks": {
            "clicks_total": s["clicks_total"],
            "unique_clicks": s["unique_clicks"],
            "unique_subscriber_clicks": s["unique_subscriber_clicks"],
            "click_rate": round(s["unique_subscriber_clicks"] / delivered, 6),
        },
    }


def campaigns(seed: int, scale: int, day: date) -> tuple[EmailCampaign, ...]:
    """Campaigns sent in the 90 days up to and including ``day``, newest first."""
    return sent_campaigns(
        seed, scale, SOURCE, day, slot_days=SLOT_DAYS, offset=SLOT_OFFSET, jitter=SLOT_JITTER, factory=_campaign
    )


def day_new_clicks(seed: int, scale: int, day: date) -> list[tuple[EmailCampaign, int]]:
    """Unique subscriber clicks each campaign gained on ``day`` (they become GA4 sessions)."""
    return new_clicks(campaigns(seed, scale, day), day, "unique_subscriber_clicks")


def files(seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    """The Mailchimp folder of ``day`` (a lifetime snapshot: ``lag`` plays no part)."""
    reports = [_report(c, day) for c in campaigns(seed, scale, day)]
    return {"reports.json": json_bytes({"reports": reports, "total_items": len(reports), "_links": []})}, len(reports)
