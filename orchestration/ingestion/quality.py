"""The quarantine-rate check: a partition whose records are mostly quarantined is not published.

Quarantine keeps bad records, but a green run whose export is mostly bad rows silently empties
a platform. Per source and report date, the rate is::

    rate = (rows quarantined - cross-file duplicates) / records read

Cross-file duplicates (the same rows exported twice, e.g. as API JSON and as a UI CSV) are not
counted: the loaded rows are complete. Thresholds, read from the environment in one place
(``quarantine_thresholds``):

| variable | default | meaning |
|---|---|---|
| ADWH_QUARANTINE_WARN_RATE | 0.01 | above it: the ``quarantine_rate`` check gives a WARN |
| ADWH_QUARANTINE_FAIL_RATE | 0.20 | above it: the partition is not written, the ingest step fails, nothing downstream (dbt, publish) runs |
| ADWH_QUARANTINE_MIN_RECORDS | 20 | fewer records read than this: a rate over the fail rate only WARNs, unless nothing was loaded |

The minimum sample keeps a tiny partition (2 campaigns, 1 bad) from stopping the warehouse; a
partition where records were read and none loaded always fails. A failed partition keeps its
previous published version (like an unparseable file). The message names the source, the date,
the rate, the thresholds and the top reject reasons (grouped by ``reason_kind``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from orchestration.settings import SettingsError

WARN_RATE_ENV = "ADWH_QUARANTINE_WARN_RATE"
FAIL_RATE_ENV = "ADWH_QUARANTINE_FAIL_RATE"
MIN_RECORDS_ENV = "ADWH_QUARANTINE_MIN_RECORDS"
TOP_REASONS = 5


@dataclass(frozen=True)
class QuarantineThresholds:
    warn_rate: float = 0.01
    fail_rate: float = 0.20
    min_records: int = 20


def _rate(env: Mapping[str, str], name: str, default: float) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise SettingsError(f"{name} must be a fraction between 0 and 1 (0.05 = 5 %), got {text!r}")
    return value


def quarantine_thresholds(env: Mapping[str, str] | None = None) -> QuarantineThresholds:
    """The thresholds from the environment; an invalid value is a ``SettingsError`` naming it."""
    env = os.environ if env is None else env
    default = QuarantineThresholds()
    warn = _rate(env, WARN_RATE_ENV, default.warn_rate)
    fail = _rate(env, FAIL_RATE_ENV, default.fail_rate)
    if warn > fail:
        raise SettingsError(f"{WARN_RATE_ENV} ({warn}) must not be greater than {FAIL_RATE_ENV} ({fail})")
    text = (env.get(MIN_RECORDS_ENV) or "").strip()
    if text and not text.isdigit():
        raise SettingsError(f"{MIN_RECORDS_ENV} must be a whole number >= 0, got {text!r}")
    return QuarantineThresholds(warn, fail, int(text) if text else default.min_records)


_FIELD = re.compile(r"field '([^']*)': (.*)", re.S)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+")
_INDEX = re.compile(r"\[\d+\]")


def reason_kind(reason: str) -> str:
    """A reject reason without its values, to group rejects: ``field 'metrics.impressions': not
    an integer: '12a'`` -> ``field 'metrics.impressions': not an integer``."""
    match = _FIELD.match(reason)
    prefix, message = "", reason
    if match:
        prefix, message = "field '" + _INDEX.sub("[]", match.group(1)) + "': ", match.group(2)
    message = message.split(": ", 1)[0].split(" (", 1)[0]
    message = _NUMBER.sub("N", _QUOTED.sub("…", _DATE.sub("<date>", message)))
    return (prefix + message.strip())[:200]


def top_reasons(rejects: Iterable[tuple[str, str]], n: int = TOP_REASONS) -> list[dict]:
    """``[(reason, where)]`` -> the ``n`` most frequent reason kinds with a count and a first example."""
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for reason, where in rejects:
        kind = reason_kind(reason)
        counts[kind] += 1
        examples.setdefault(kind, where)
    return [{"reason": kind, "count": count, "example": examples[kind]} for kind, count in counts.most_common(n)]


@dataclass
class QuarantineAssessment:
    source: str
    report_date: str
    level: str  # ok | warn | fail
    rate: float
    counted: int  # rejects counted in the rate
    records_read: int
    thresholds: QuarantineThresholds
    reasons: list[dict] = field(default_factory=list)

    @property
    def message(self) -> str:
        reasons = "; ".join(f"{r['count']} × {r['reason']} (e.g. {r['example']})" for r in self.reasons)
        threshold = (
            f"above {FAIL_RATE_ENV} = {self.thresholds.fail_rate:.1%}"
            if self.level == "fail"
            else f"above {WARN_RATE_ENV} = {self.thresholds.warn_rate:.1%}"
        )
        return (
            f"{self.source} {self.report_date}: {self.rate:.1%} of the records read were quarantined "
            f"({self.counted} of {self.records_read}), {threshold}. Top reject reasons: {reasons or 'n/a'}"
        )


def assess(
    *,
    source: str,
    report_date: str,
    records_read: int,
    rows_loaded: int,
    rows_quarantined: int,
    cross_file_duplicates: int = 0,
    reasons: list[dict] | None = None,
    thresholds: QuarantineThresholds | None = None,
) -> QuarantineAssessment:
    thresholds = thresholds or quarantine_thresholds()
    counted = max(rows_quarantined - cross_file_duplicates, 0)
    rate = counted / records_read if records_read else 0.0
    level = "ok"
    if rate > thresholds.fail_rate and (records_read >= thresholds.min_records or rows_loaded == 0):
        level = "fail"
    elif rate > thresholds.warn_rate:
        level = "warn"
    return QuarantineAssessment(
        source, report_date, level, rate, counted, records_read, thresholds, list(reasons or [])
    )
