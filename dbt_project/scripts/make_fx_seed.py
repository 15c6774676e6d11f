"""Write seeds/fx_rates.csv: SAMPLE daily FX rates (deterministic, synthetic).

These are NOT market rates. They are plausible synthetic values so the pipeline and its
tests run offline; replace the seed with the treasury's official daily rates (same
columns: rate_date, currency_code, rate_to_usd) before reporting real money.

rate_to_usd = how many USD one unit of the currency buys (USD itself is 1.0). A currency
X converts to the reporting currency R as amount * rate_to_usd(X) / rate_to_usd(R).

Usage: python dbt_project/scripts/make_fx_seed.py [--out seeds/fx_rates.csv]
"""

from __future__ import annotations

import argparse
import csv
import math
from datetime import date, timedelta
from pathlib import Path

START = date(2024, 1, 1)
END = date(2026, 12, 31)  # inclusive

# base rate (USD per unit), annual swing amplitude, phase: a smooth, deterministic path
CURRENCIES = {
    "USD": (1.0, 0.0, 0.0),
    "EUR": (1.08, 0.035, 0.3),
    "GBP": (1.27, 0.030, 1.1),
    "CAD": (0.74, 0.020, 2.0),
    "AUD": (0.66, 0.025, 2.7),
}


def rate(code: str, day: date) -> float:
    base, amplitude, phase = CURRENCIES[code]
    if amplitude == 0.0:
        return 1.0
    t = (day - START).days
    annual = amplitude * math.sin(2 * math.pi * t / 365.25 + phase)
    weekly = 0.002 * math.sin(2 * math.pi * t / 7 + phase)
    return round(base * (1 + annual + weekly), 6)


def main() -> None:
    default_out = Path(__file__).resolve().parents[2] / "seeds" / "fx_rates.csv"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()
    with args.out.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["rate_date", "currency_code", "rate_to_usd"])
        day = START
        while day <= END:
            for code in CURRENCIES:
                writer.writerow([day.isoformat(), code, f"{rate(code, day):.6f}"])
            day += timedelta(days=1)


if __name__ == "__main__":
    main()
