"""Pull each platform's daily export from its API into ``landing/`` (no Dagster here).

The pattern (docs/connect-accounts.md for people, docs/architecture.md for the landing contract):

- ``http.py`` — the shared core: session, timeouts, retries with backoff (tenacity), Retry-After,
  the wait budget, ``PullError`` (one redacted line: platform, account, date, HTTP status).
- ``landing.py`` — atomic, skip-if-identical writes of landing files (local or object storage).
- ``<source>.py`` — one module per platform (``base.py`` says what each provides): config from
  the environment, and a client whose ``fetch(account, day)`` returns the native document.
- ``runner.py`` — ``pull_source()``: every account of every requested day, one failing account
  never stopping the others, the e-mail platforms' as-of-call rule; used by the Dagster pull
  assets (``orchestration/defs/pull.py``) and by ``adwh pull`` (``cli.py``).

Adding a platform: its module here, one line in ``PLATFORMS``, its secret variables in
``orchestration.security.SECRET_ENV_VARS``, its variables in ``.env.example``, a fake server in
``tests/pull/fakes/`` and a section in docs/connect-accounts.md.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from types import ModuleType

# source (landing folder, as in orchestration.registry) -> its client module
PLATFORMS: dict[str, str] = {
    "google_ads": "orchestration.pull.google_ads",
    "meta_ads": "orchestration.pull.meta_ads",
    "linkedin_ads": "orchestration.pull.linkedin_ads",
    "mailchimp": "orchestration.pull.mailchimp",
    "klaviyo": "orchestration.pull.klaviyo",
}


def platform(source: str) -> ModuleType:
    try:
        return importlib.import_module(PLATFORMS[source])
    except KeyError:
        raise KeyError(f"{source} has no API pull; pullable: {', '.join(PLATFORMS)}") from None


def is_configured(source: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether ``source`` pulls: one of its credential variables is set (docs/connect-accounts.md)."""
    if source not in PLATFORMS:
        return False
    env = os.environ if env is None else env
    return any((env.get(name) or "").strip() for name in platform(source).TRIGGER_VARS)


SWITCH_ENV = "ADWH_PULL_SOURCES"


def configured_sources(enabled: Iterable[str], env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The enabled sources whose credentials are set, in the given order.

    ``ADWH_PULL_SOURCES`` narrows that down: unset = every source with credentials; ``none`` = no
    pulls at all (``adwh demo`` sets it, so the demo stays offline whatever the shell exports);
    ``a,b`` = only these."""
    env = os.environ if env is None else env
    switch = (env.get(SWITCH_ENV) or "").strip()
    allowed: set[str] | None = None
    if switch:
        names = {name.strip() for name in switch.split(",") if name.strip()}
        allowed = set() if names == {"none"} else names
        unknown = sorted(allowed - set(PLATFORMS))
        if unknown:
            raise ValueError(
                f"{SWITCH_ENV} names {', '.join(unknown)}: not pullable (pullable: {', '.join(PLATFORMS)}, or none)"
            )
    return tuple(source for source in enabled if is_configured(source, env) and (allowed is None or source in allowed))
