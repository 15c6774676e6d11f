"""What every platform module of ``orchestration.pull`` provides (no Dagster here).

A platform module ``orchestration/pull/<source>.py`` defines:

- ``SOURCE`` (the landing folder name, as in ``orchestration.registry``), ``LABEL``;
- ``TRIGGER_VARS``: the credential variables whose presence switches the pull on (any of
  them set = the source pulls; the others it needs must then be set too);
- ``SECRET_VARS``: its secret variables (also listed in ``orchestration.security.SECRET_ENV_VARS``);
- ``Config.from_env(env)``: the platform's settings, ``PullConfigError`` naming what is missing;
- ``Client(config, http)``, a ``PlatformClient``: ``accounts()``, and ``fetch(account, day)``
  returning the document to land, in the native shape the parser reads (docs/architecture.md,
  landing contract), with per-request fields (request ids, paging cursors, links) removed so
  that an unchanged report re-pulls byte-identical.

Requests go through ``orchestration.pull.http.Http`` (timeouts, retries, backoff, wait budget,
``PullError``); writing, the as-of-call rule of the e-mail platforms and error isolation per
account are the runner's (``orchestration.pull.runner``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from orchestration.pull.http import Http, PullConfigError


class PlatformClient(ABC):
    source: ClassVar[str]
    label: ClassVar[str]
    # The API returns totals as of the call (e-mail platforms): a pull can only snapshot "now".
    as_of_call: ClassVar[bool] = False

    def __init__(self, config: Any, http: Http) -> None:
        self.config = config
        self.http = http

    @abstractmethod
    def accounts(self) -> Sequence[str]:
        """The accounts one day's pull covers (one landing file each)."""

    @abstractmethod
    def fetch(self, account: str, day: date) -> Any:
        """The day's export of ``account`` as a JSON-serialisable document (raises PullError)."""

    def file_name(self, account: str) -> str:
        return f"{self.source}_{safe_name(account)}.json"

    def describe(self, document: Any) -> str:
        """A short summary for the log (e.g. '12 rows')."""
        return ""


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "account"


def required(env: Mapping[str, str], names: Sequence[str], *, needed_by: str) -> dict[str, str]:
    """The values of ``names``; PullConfigError listing every missing one."""
    missing = [name for name in names if not (env.get(name) or "").strip()]
    if missing:
        raise PullConfigError(
            f"{needed_by} needs {', '.join(missing)} (not set); see .env.example and docs/connect-accounts.md"
        )
    return {name: env[name].strip() for name in names}


def id_list(text: str | None) -> tuple[str, ...]:
    """A comma-separated list of ids, blanks dropped, order kept, repeats removed."""
    seen: dict[str, None] = {}
    for part in (text or "").split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return tuple(seen)


def base_url(text: str) -> str:
    return text.rstrip("/")
