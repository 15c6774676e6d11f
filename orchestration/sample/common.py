"""What every platform module of the sample generator shares: named random streams, the
draws (Poisson, binomial, daily volumes), the day's market demand, ids and JSON output.

Determinism: every random draw comes from ``random.Random`` seeded with a string built
from the seed and the thing being drawn (``stream(7, "google_ads", "day", day, ad_id)``
-> ``"7:google_ads:day:2024-03-01:<ad id>"``). String seeds are hashed with SHA-512 by
``random`` and are therefore stable across processes (``hash()`` is never used). A
platform draws only from streams named after it, so adding a platform (or switching
one off) never changes another platform's files.
"""

from __future__ import annotations

import json
import math
import random
from datetime import date
from functools import lru_cache
from typing import Any

SITE = "https://shop.example.com"

FINAL = 10_000
"""A lag (days) after which every window has closed: the restated, final numbers."""

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HEX = "0123456789abcdef"
ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as in Klaviyo ids
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# =============================================================================== random helpers
def stream(seed: int, *parts: object) -> random.Random:
    """A generator for one named thing; string seeds are stable across processes."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def digits(rng: random.Random, n: int) -> str:
    """An ``n``-digit decimal id without a leading zero."""
    return str(rng.randint(1, 9)) + "".join(rng.choices("0123456789", k=n - 1))


def token(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choices(alphabet, k=n))


def poisson(rng: random.Random, lam: float) -> int:
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


def binomial(rng: random.Random, n: int, p: float) -> int:
    """Binomial draw: exact for small ``n``, Poisson / normal approximations otherwise."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n <= 25:
        return sum(1 for _ in range(n) if rng.random() < p)
    if n * p < 15:
        return min(n, poisson(rng, n * p))
    return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


def volume(rng: random.Random, mean: float, cv: float = 0.12) -> int:
    """A daily volume around ``mean`` (normal noise, never negative)."""
    return max(0, round(rng.gauss(mean, mean * cv)))


@lru_cache(maxsize=512)
def day_demand(seed: int, day: date) -> float:
    """Market demand of a day, shared by every channel: weekday pattern x noise."""
    weekday = (1.0, 1.02, 1.0, 0.98, 0.95, 0.82, 0.8)[day.weekday()]
    return weekday * stream(seed, "demand", day).gauss(1.0, 0.05)


# =============================================================================== writing
def json_bytes(document: Any) -> bytes:
    """Compact JSON (the C encoder; pretty-printing would double the run time), one trailing newline."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
