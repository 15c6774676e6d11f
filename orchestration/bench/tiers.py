"""The tiers of ``adwh bench``: how much data, how long a history, how many repeats (the one place).

A tier benchmarks two warehouses of the same sample data: one with ``short_days`` days of history,
one with ``long_days``. Each is backfilled, then the nightly run (one new day + the
``window_days`` restatement window) is measured on it with unchanged and with restated inputs.
``scale`` is the sample generator's scale (``adwh generate --scale``): it multiplies campaigns,
ads, e-mail sends and users of every source together; the report states the per-day volumes it
produced next to the issue's medium volumes (2,000 ads per ad platform per day, 100 e-mail
campaigns, 5,000 GA4 sessions per day).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date


@dataclass(frozen=True)
class Tier:
    name: str
    short_days: int  # history of the short warehouse (days before the new day)
    long_days: int  # history of the long warehouse; its backfill is "the full backfill"
    scale: int  # sample generator scale
    window_days: int  # the restatement window of the nightly run (ADWH_RESTATEMENT_DAYS)
    repeats: int  # timed repeats of each nightly measurement (the report gives the median)
    journeys: int  # synthetic journeys of the attribution benchmark
    purpose: str

    def as_dict(self) -> dict:
        return asdict(self)


START = date(2024, 1, 1)
"""First report date of every tier (ADWH_START_DATE of the benchmark warehouses)."""

TIERS: dict[str, Tier] = {
    tier.name: tier
    for tier in (
        Tier(
            "tiny",
            short_days=4,
            long_days=8,
            scale=1,
            window_days=3,
            repeats=1,
            journeys=20_000,
            purpose="CI smoke test: every measurement once, in a few minutes; the numbers mean little",
        ),
        Tier(
            "small",
            short_days=30,
            long_days=60,
            scale=1,
            window_days=28,
            repeats=3,  # one run per measurement moved a ratio by 0.2-0.4 between two runs of the same code
            journeys=200_000,
            purpose="about a quarter of an hour on a shared 2-core machine: the issue's 30-day nightly against "
            "60 days, at the sample scale, each nightly measurement the median of 3 runs",
        ),
        Tier(
            "medium",
            short_days=30,
            long_days=365,
            scale=63,
            window_days=28,
            repeats=3,
            journeys=1_000_000,
            purpose="the issue's targets: 365 days, ~2,000 ads per ad platform per day",
        ),
    )
}
