"""Pull one source for some report dates: every account of every day into landing/ (no Dagster).

- Each (account, day) is fetched and written on its own: a ``PullError`` is recorded as one
  line and the next account / day goes on; that account's landing file of that day stays as
  it was. The caller decides what the errors mean (the Dagster asset fails after writing the
  rest; ``adwh pull`` exits 1).
- E-mail platforms (``as_of_call``) return totals as of the call. The snapshot of report date
  D is taken during D or within ``ADWH_EMAIL_SNAPSHOT_GRACE_HOURS`` (default 12) after D ended,
  in ``ADWH_SCHEDULE_TIMEZONE``: the nightly run at 02:00 closes yesterday. Any other date is
  *not pulled*, with the reason — never overwritten with later totals.
- A date in the future is not pulled for any platform.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import requests

from orchestration.pull import clock, platform
from orchestration.pull.base import PlatformClient
from orchestration.pull.http import LOG, Http, PullConfigError, PullError, RetryPolicy, dumps, scrub
from orchestration.pull.landing import write_landing_file

GRACE_ENV = "ADWH_EMAIL_SNAPSHOT_GRACE_HOURS"
DEFAULT_GRACE_HOURS = 12.0


@dataclass
class FileResult:
    report_date: str
    account: str
    file: str
    status: str  # written | replaced | unchanged
    bytes: int
    summary: str = ""


@dataclass
class NotPulled:
    report_date: str
    reason: str


@dataclass
class PullReport:
    source: str
    files: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    not_pulled: list[NotPulled] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def grace_hours(env: Mapping[str, str]) -> float:
    text = (env.get(GRACE_ENV) or "").strip()
    if not text:
        return DEFAULT_GRACE_HOURS
    try:
        value = float(text)
    except ValueError:
        raise PullConfigError(f"{GRACE_ENV} must be a number of hours, got {text!r}") from None
    if value < 0:
        raise PullConfigError(f"{GRACE_ENV} must not be negative, got {text!r}")
    return value


def refusal(day: date, *, as_of_call: bool, now: datetime, grace: timedelta, label: str) -> str | None:
    """Why ``day`` cannot be pulled at ``now`` (local time), or None when it can."""
    today = now.date()
    if day > today:
        return f"{day.isoformat()} has not begun yet ({now:%Y-%m-%d %H:%M %Z})"
    if not as_of_call or day == today:
        return None
    end_of_day = datetime.combine(day + timedelta(days=1), clock_time(0), tzinfo=now.tzinfo)
    if now - end_of_day <= grace:
        return None
    return (
        f"{label} returns totals as of the call, not as of {day.isoformat()}: a snapshot of that date can only be "
        f"taken during it or within {grace.total_seconds() / 3600:g} h after it ended ({GRACE_ENV}); "
        f"the stored snapshot of that date (if any) is its history and is kept"
    )


def build_client(
    source: str,
    env: Mapping[str, str],
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
    log: Any = None,
    **client_options: Any,
) -> PlatformClient:
    """The platform's client for the environment (PullConfigError names what is missing)."""
    module = platform(source)
    config = module.Config.from_env(env)
    http = Http(module.LABEL, policy or RetryPolicy.from_env(env), session=session, sleep=sleep, log=log)
    http.secrets.update(env[name] for name in module.SECRET_VARS if env.get(name))  # also when not in os.environ
    return module.Client(config, http, **client_options)


def pull_source(
    source: str,
    days: Iterable[date],
    *,
    landing_dir: Any,
    env: Mapping[str, str] | None = None,
    timezone_name: str = "UTC",
    log: Any = None,
    client: PlatformClient | None = None,
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
    expected_refusals: bool = False,
) -> PullReport:
    """Pull ``source`` for ``days`` into ``landing_dir``; per-account errors are collected, not raised.

    ``expected_refusals``: the caller knows that older e-mail dates will not be pulled (the nightly
    run's window), so they are logged as info, not as warnings."""
    env = os.environ if env is None else env
    log = log or LOG
    client = client or build_client(source, env, sleep=sleep, session=session, log=log)
    grace = timedelta(hours=grace_hours(env))
    now = clock.now().astimezone(ZoneInfo(timezone_name))
    report = PullReport(source)
    calls_before = client.http.calls
    for day in sorted(set(days)):
        reason = refusal(day, as_of_call=client.as_of_call, now=now, grace=grace, label=client.label)
        if reason:
            report.not_pulled.append(NotPulled(day.isoformat(), reason))
            (log.info if expected_refusals else log.warning)(scrub(f"{source} {day.isoformat()}: not pulled: {reason}"))
            continue
        for account in client.accounts():
            client.http.new_budget()
            try:
                document = client.fetch(account, day)
            except PullError as exc:
                report.errors.append(str(exc))
                log.error(str(exc))
                continue
            except Exception as exc:  # a bug or a surprise: still one line naming platform, account and date
                message = scrub(
                    f"{client.label} account {account} {day.isoformat()}: unexpected {type(exc).__name__}: {exc}"
                    " (landing file left as it was)",
                    client.http.secrets,
                )
                report.errors.append(message)
                log.error(message)
                continue
            data = dumps(document)
            name = client.file_name(account)
            try:
                status, path = write_landing_file(landing_dir, source, day, name, data)
            except OSError as exc:
                message = scrub(
                    f"{client.label} account {account} {day.isoformat()}: cannot write landing file {name}: {exc}"
                )
                report.errors.append(message)
                log.error(message)
                continue
            summary = client.describe(document)
            report.files.append(FileResult(day.isoformat(), account, name, status, len(data), summary))
            log.info(
                scrub(f"{source} account {account} {day.isoformat()}: {status} {path} ({summary})", client.http.secrets)
            )
    report.requests = client.http.calls - calls_before
    return report
