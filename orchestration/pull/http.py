"""The HTTP core every platform client shares (no Dagster here).

- One ``requests.Session``, a (connect, read) timeout on every call.
- Retries with exponential backoff through ``tenacity`` on 429, 5xx and connection errors
  (and on what a platform's ``classify`` calls retryable, e.g. Meta's throttling codes);
  a ``Retry-After`` header is honoured (never waited less than it asks).
- A cap on the total time one account-day may spend waiting (retries, rate-limit pauses,
  async-job polls): ``WaitBudget``. When the next wait does not fit, the call fails.
- An error that retrying cannot fix (401, 403, 404, 400 …) or retries that ran out raise
  ``PullError``: one line naming platform, account, date and HTTP status, tokens redacted.

Tests inject ``sleep`` (a recorder: no real waiting) and tiny backoff settings.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import requests
import tenacity

from orchestration.security import redact

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "adwh-pull/0.1"

LOG = logging.getLogger("adwh.pull")


class PullError(RuntimeError):
    """A pull of one (platform, account, day) that cannot succeed now.

    ``str()`` is one line: ``<Platform> account <id> <date>: HTTP <status>: <detail>``, with every
    secret redacted. The landing file of that day is never touched when this is raised."""

    def __init__(
        self,
        label: str,
        account: str,
        day: date | None,
        status: int | None,
        detail: str,
        *,
        secrets: Iterable[str] = (),
    ) -> None:
        self.label, self.account, self.day, self.status = label, account, day, status
        where = f"{label} account {account}" + (f" {day.isoformat()}" if day else "")
        code = f"HTTP {status}" if status is not None else "no HTTP response"
        text = " ".join(f"{where}: {code}: {detail}".split())  # one line
        super().__init__(scrub(text, secrets))


class PullConfigError(ValueError):
    """The environment does not configure a platform completely; the message names the variables."""


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``redact()`` plus the secrets only known at run time (OAuth access tokens)."""
    text = redact(text)
    for secret in sorted((s for s in secrets if s and len(s) >= 6), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# ----------------------------------------------------------------------------- settings
def _env_float(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise PullConfigError(f"{name} must be a number of seconds, got {text!r}") from None
    if value < minimum:
        raise PullConfigError(f"{name} must be at least {minimum}, got {text!r}")
    return value


@dataclass(frozen=True)
class RetryPolicy:
    """How patient the clients are (environment variables in brackets)."""

    attempts: int = 6  # ADWH_PULL_MAX_ATTEMPTS: calls of one request before giving up
    initial_wait: float = 2.0  # ADWH_PULL_BACKOFF_INITIAL_SECONDS: first backoff, doubled each retry
    max_backoff: float = 120.0  # ADWH_PULL_BACKOFF_MAX_SECONDS: longest single backoff (Retry-After may ask more)
    total_wait: float = 1800.0  # ADWH_PULL_MAX_WAIT_SECONDS: all waits of one account-day together
    timeout: float = 120.0  # ADWH_PULL_TIMEOUT_SECONDS: connect and read timeout of every call
    poll_interval: float = 10.0  # ADWH_PULL_POLL_SECONDS: first wait between polls of an async report job

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetryPolicy:
        env = os.environ if env is None else env
        attempts_text = env.get("ADWH_PULL_MAX_ATTEMPTS") or str(cls.attempts)
        if not attempts_text.isdigit() or int(attempts_text) < 1:
            raise PullConfigError(f"ADWH_PULL_MAX_ATTEMPTS must be a whole number >= 1, got {attempts_text!r}")
        return cls(
            attempts=int(attempts_text),
            initial_wait=_env_float(env, "ADWH_PULL_BACKOFF_INITIAL_SECONDS", cls.initial_wait),
            max_backoff=_env_float(env, "ADWH_PULL_BACKOFF_MAX_SECONDS", cls.max_backoff),
            total_wait=_env_float(env, "ADWH_PULL_MAX_WAIT_SECONDS", cls.total_wait),
            timeout=_env_float(env, "ADWH_PULL_TIMEOUT_SECONDS", cls.timeout, minimum=0.001),
            poll_interval=_env_float(env, "ADWH_PULL_POLL_SECONDS", cls.poll_interval),
        )


# ----------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Verdict:
    """What a platform makes of one HTTP response."""

    kind: str  # "ok" | "retry" | "fail"
    detail: str = ""
    retry_after: float | None = None  # seconds the platform asks us to wait

    @classmethod
    def ok(cls) -> Verdict:
        return cls("ok")

    @classmethod
    def retry(cls, detail: str, retry_after: float | None = None) -> Verdict:
        return cls("retry", detail, retry_after)

    @classmethod
    def fail(cls, detail: str) -> Verdict:
        return cls("fail", detail)


class _Retryable(Exception):
    def __init__(self, status: int | None, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], datetime] | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("Retry-After")
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = (now or (lambda: datetime.now(UTC)))()
    return max(0.0, (when - current).total_seconds())


def body_excerpt(response: requests.Response, limit: int = 300) -> str:
    text = response.text if response.content else ""
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def default_classify(response: requests.Response) -> Verdict:
    status = response.status_code
    if 200 <= status < 300:
        return Verdict.ok()
    detail = body_excerpt(response) or response.reason or "error"
    if status in RETRY_STATUSES:
        return Verdict.retry(detail, retry_after_seconds(response.headers))
    return Verdict.fail(detail)


# ----------------------------------------------------------------------------- waiting
@dataclass
class WaitBudget:
    """The total time one account-day may spend waiting; every wait draws from it."""

    total: float
    spent: float = 0.0

    @property
    def remaining(self) -> float:
        return max(0.0, self.total - self.spent)

    def fits(self, seconds: float) -> bool:
        return seconds <= self.remaining + 1e-9


@dataclass
class Call:
    """Who a request is for: named in every retry log line and in ``PullError``."""

    account: str
    day: date | None


class Http:
    """A session with retries, backoff, timeouts and a wait budget, for one platform."""

    def __init__(
        self,
        label: str,
        policy: RetryPolicy,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Any = None,
    ) -> None:
        self.label = label
        self.policy = policy
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self._sleep = sleep
        self.log = log or LOG
        self.budget = WaitBudget(policy.total_wait)
        self.secrets: set[str] = set()  # run-time secrets (access tokens) to scrub from messages
        self.calls = 0

    # -- budget
    def new_budget(self) -> WaitBudget:
        """A fresh wait budget (the runner calls this before each account-day)."""
        self.budget = WaitBudget(self.policy.total_wait)
        return self.budget

    def error(self, call: Call, status: int | None, detail: str) -> PullError:
        return PullError(self.label, call.account, call.day, status, detail, secrets=self.secrets)

    def pause(self, seconds: float, reason: str, call: Call) -> None:
        """Wait ``seconds`` (rate-limit pause, async-job poll) within the budget, or fail."""
        if seconds <= 0:
            return
        if not self.budget.fits(seconds):
            raise self.error(
                call,
                None,
                f"{reason}: a wait of {seconds:.0f} s does not fit the remaining wait budget of "
                f"{self.budget.remaining:.0f} s (ADWH_PULL_MAX_WAIT_SECONDS={self.policy.total_wait:g})",
            )
        self.log.info(
            scrub(f"{self.label} account {call.account} {_day(call)}: {reason}; waiting {seconds:.1f} s", self.secrets)
        )
        self.budget.spent += seconds
        self._sleep(seconds)

    # -- requests
    def request(
        self,
        method: str,
        url: str,
        call: Call,
        *,
        classify: Callable[[requests.Response], Verdict] = default_classify,
        **kwargs: Any,
    ) -> requests.Response:
        """One logical request: retried on retryable outcomes, else returned (2xx) or PullError."""
        kwargs.setdefault("timeout", (self.policy.timeout, self.policy.timeout))

        def attempt() -> requests.Response:
            self.calls += 1
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Retryable(None, f"{type(exc).__name__}: {exc}") from None
            except requests.RequestException as exc:
                raise self.error(call, None, f"{type(exc).__name__}: {exc}") from None
            verdict = classify(response)
            if verdict.kind == "ok":
                return response
            if verdict.kind == "retry":
                raise _Retryable(response.status_code, verdict.detail, verdict.retry_after)
            raise self.error(call, response.status_code, verdict.detail)

        def wait(state: tenacity.RetryCallState) -> float:
            backoff = min(self.policy.max_backoff, self.policy.initial_wait * 2 ** (state.attempt_number - 1))
            exc = state.outcome.exception() if state.outcome else None
            asked = getattr(exc, "retry_after", None)
            return max(backoff, asked or 0.0)

        def stop(state: tenacity.RetryCallState) -> bool:
            return state.attempt_number >= self.policy.attempts or not self.budget.fits(state.upcoming_sleep)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception()
            code = f"HTTP {exc.status}" if exc.status is not None else "no response"
            self.log.warning(
                scrub(
                    f"{self.label} account {call.account} {_day(call)}: {code} ({_short(exc.detail)}); retry "
                    f"{state.attempt_number}/{self.policy.attempts - 1} in {state.upcoming_sleep:.2f} s",
                    self.secrets,
                )
            )

        def sleep(seconds: float) -> None:
            self.budget.spent += seconds
            self._sleep(seconds)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            wait=wait,
            stop=stop,
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Retryable as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            why = "retries exhausted" if attempts >= self.policy.attempts else "wait budget exhausted"
            raise self.error(call, exc.status, f"{exc.detail} ({why} after {attempts} attempt(s))") from None

    def json(self, response: requests.Response, call: Call, what: str = "response") -> Any:
        """The JSON body, or PullError naming the status when it is not JSON (a malformed body)."""
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise self.error(
                call,
                response.status_code,
                f"malformed {what}: not JSON ({exc}); body starts {body_excerpt(response, 80)!r}",
            ) from None


def _day(call: Call) -> str:
    return call.day.isoformat() if call.day else "-"


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text[:limit] + ("…" if len(text) > limit else "")


def dumps(document: Any) -> bytes:
    """The bytes written to landing: compact, deterministic for an identical document."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


__all__ = [
    "Call",
    "Http",
    "PullConfigError",
    "PullError",
    "RetryPolicy",
    "Verdict",
    "WaitBudget",
    "body_excerpt",
    "default_classify",
    "dumps",
    "retry_after_seconds",
    "scrub",
]
