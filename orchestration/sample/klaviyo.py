"""Klaviyo sample exports: ``klaviyo/<YYYY-MM-DD>/campaign_values_report.json``, the Reporting
API campaign-values-report response with the **lifetime totals** of the campaigns sent in
the last 90 days (rates are fractions).

A campaign about every 7 days (``scale`` per slot). Klaviyo's ``conversions`` use its own
open-or-click window: they are never split into click- and view-through.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from orchestration.sample.common import ALNUM, ULID, binomial, json_bytes, stream, token
from orchestration.sample.email_campaigns import SUBJECTS, EmailCampaign, new_clicks, sent_campaigns

SOURCE = "klaviyo"
RESTATES = False
SLOT_DAYS, SLOT_OFFSET, SLOT_JITTER = 7, 3, 3
"""One send (x scale) per 7-day slot, on day 0..3 of the slot."""


def _campaign(seed: int, slot: int, copy: int, send_day: date) -> EmailCampaign:
    rng = stream(seed, "klaviyo", "campaign", slot, copy)
    u = rng.uniform
    recipients = round(5000 * u(0.95, 1.05))
    bounced = binomial(rng, recipients, u(0.003, 0.01))
    delivered = recipients - bounced
    opens_unique = binomial(rng, delivered, u(0.35, 0.48))
    clicks_unique = round(delivered * u(0.019, 0.031))
    final = {
        "recipients": recipients,
        "delivered": delivered,
        "bounced": bounced,
        "opens": round(opens_unique * u(1.3, 1.7)),
        "opens_unique": opens_unique,
        "clicks": round(clicks_unique * u(1.3, 1.8)),
        "clicks_unique": clicks_unique,
        "unsubscribes": binomial(rng, delivered, u(0.001, 0.003)),
        "conversions": binomial(rng, delivered, u(0.002, 0.005)),
    }
    send_time = datetime(
        send_day.year, send_day.month, send_day.day, rng.randint(8, 15), rng.choice((0, 30)), tzinfo=UTC
    )
    return EmailCampaign(
        platform="klaviyo",
        id=token(rng, 26, ULID),
        message_id=token(rng, 26, ULID),
        title=f"Campaign {send_day.isoformat()}" + (f" #{copy + 1}" if copy else ""),
        subject=rng.choice(SUBJECTS),
        list_id=token(stream(seed, "klaviyo", "list"), 6, ALNUM),
        send_time=send_time,
        final=final,
        immediate={},
        order_value=u(60, 110),
    )


def _result(campaign: EmailCampaign, day: date) -> dict[str, Any]:
    s = campaign.snapshot(day)
    statistics: dict[str, Any] = {
        key: s[key]
        for key in (
            "recipients",
            "delivered",
            "bounced",
            "opens",
            "opens_unique",
            "clicks",
            "clicks_unique",
            "unsubscribes",
        )
    }
    statistics["conversions"] = s["conversions"]
    statistics["conversion_value"] = round(s["conversions"] * campaign.order_value, 2)
    statistics["open_rate"] = round(s["opens_unique"] / s["delivered"], 6)
    statistics["click_rate"] = round(s["clicks_unique"] / s["delivered"], 6)
    return {
        "groupings": {"send_channel": "email", "campaign_id": campaign.id, "campaign_message_id": campaign.message_id},
        "statistics": statistics,
    }


def campaigns(seed: int, scale: int, day: date) -> tuple[EmailCampaign, ...]:
    """Campaigns sent in the 90 days up to and including ``day``, newest first."""
    return sent_campaigns(
        seed, scale, SOURCE, day, slot_days=SLOT_DAYS, offset=SLOT_OFFSET, jitter=SLOT_JITTER, factory=_campaign
    )


def day_new_clicks(seed: int, scale: int, day: date) -> list[tuple[EmailCampaign, int]]:
    """Unique clicks each campaign gained on ``day`` (they become GA4 sessions)."""
    return new_clicks(campaigns(seed, scale, day), day, "clicks_unique")


def files(seed: int, scale: int, day: date, lag: int) -> tuple[dict[str, bytes], int]:
    """The Klaviyo folder of ``day`` (a lifetime snapshot: ``lag`` plays no part)."""
    results = [_result(c, day) for c in campaigns(seed, scale, day)]
    document = {
        "data": {
            "type": "campaign-values-report",
            "id": token(stream(seed, "klaviyo", "report", day), 26, ULID),
            "attributes": {"results": results},
        },
        "links": {"self": "https://a.klaviyo.com/api/campaign-values-reports/", "next": None, "prev": None},
    }
    return {"campaign_values_report.json": json_bytes(document)}, len(results)
