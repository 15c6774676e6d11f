"""The e-mail campaign model shared by the Mailchimp and Klaviyo sample exports.

Both platforms export **lifetime snapshots** of the campaigns sent in the
``EMAIL_LOOKBACK_DAYS`` up to the report date; the counters grow mostly in the first
two days after the send and never shrink. Each platform sends one campaign (x
``scale``) per slot of its schedule (see :func:`sent_campaigns`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from orchestration.sample.common import stream

EMAIL_LOOKBACK_DAYS = 90
"""The e-mail exports list the campaigns sent in the last 90 days (``since_send_time``)."""


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
        share = _settled_share(age)
        totals = {}
        for key, total in self.final.items():
            if key in _AT_SEND:  # sends and bounces are complete on the send day
                totals[key] = total
            else:  # machine (MPP) opens happen at delivery, human reactions follow the curve
                at_delivery = self.immediate.get(key, 0)
                totals[key] = at_delivery + math.floor((total - at_delivery) * share)
        return totals


_AT_SEND = {"emails_sent", "recipients", "delivered", "hard_bounces", "soft_bounces", "syntax_errors", "bounced"}


def _settled_share(age: int) -> float:
    """Share of the human reactions that happened by the end of day ``age`` after the send."""
    return 1.0 if age >= 14 else 1.0 - 0.45 * math.exp(-0.9 * age)


SUBJECTS = (
    "New arrivals are here",
    "Your weekend running guide",
    "Last chance: spring sale",
    "Members get free shipping",
    "Trail season starts now",
    "Back in stock: your favourites",
    "The shoe that runs itself",
    "5 stretches before your long run",
)

CampaignFactory = Callable[[int, int, int, date], EmailCampaign]
"""(seed, slot, copy, send day) -> the campaign sent in that slot."""


@lru_cache(maxsize=128)
def sent_campaigns(
    seed: int,
    scale: int,
    platform: str,
    day: date,
    *,
    slot_days: int,
    offset: int,
    jitter: int,
    factory: CampaignFactory,
) -> tuple[EmailCampaign, ...]:
    """Campaigns of ``platform`` sent in the 90 days up to and including ``day``, newest first.

    The schedule: one send (x ``scale``) per slot of ``slot_days`` days starting at ordinal
    ``offset``, on a day of the slot jittered by up to ``jitter`` days."""
    first, last = day.toordinal() - EMAIL_LOOKBACK_DAYS + 1, day.toordinal()
    campaigns = []
    for slot in range((first - offset) // slot_days - 1, (last - offset) // slot_days + 1):
        send = slot * slot_days + offset + stream(seed, platform, "slot", slot).randint(0, jitter)
        if first <= send <= last:
            campaigns.extend(factory(seed, slot, copy, date.fromordinal(send)) for copy in range(scale))
    return tuple(sorted(campaigns, key=lambda c: (c.send_time, c.id), reverse=True))


def new_clicks(campaigns: tuple[EmailCampaign, ...], day: date, key: str) -> list[tuple[EmailCampaign, int]]:
    """Unique clicks (counter ``key``) each campaign gained on ``day`` (difference of consecutive snapshots)."""
    out = []
    for campaign in campaigns:
        before = campaign.snapshot(day - timedelta(days=1)).get(key, 0)
        out.append((campaign, campaign.snapshot(day)[key] - before))
    return out
