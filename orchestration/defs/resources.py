"""Platform API credentials (from the environment) and redaction of secret values.

adwh reads exports from the landing folder today; the exporter step that will fetch them
from the platform APIs gets its tokens from ``PlatformCredentials``. Every field is bound to
an environment variable through ``dg.EnvVar`` (Dagster stores and shows the variable's
*name*, never its value). ``redact()`` replaces the value of every secret environment
variable by ``***`` in any text adwh logs, records as metadata or prints as an error.
"""

from __future__ import annotations

import logging
import os
from typing import Optional

import dagster as dg

# attribute -> environment variable
SECRET_ENV_VARS: dict[str, str] = {
    "google_ads_developer_token": "ADWH_GOOGLE_ADS_DEVELOPER_TOKEN",
    "meta_access_token": "ADWH_META_ACCESS_TOKEN",
    "mailchimp_api_key": "ADWH_MAILCHIMP_API_KEY",
    "klaviyo_api_key": "ADWH_KLAVIYO_API_KEY",
}
# also never printed (a salt is a secret too)
_OTHER_SECRETS = ("ADWH_PII_SALT",)
REDACTED = "***"
_MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words; real tokens are long


class PlatformCredentials(dg.ConfigurableResource):
    """API tokens of the platforms, each optional (a switched-off platform needs none)."""

    google_ads_developer_token: Optional[str] = None
    meta_access_token: Optional[str] = None
    mailchimp_api_key: Optional[str] = None
    klaviyo_api_key: Optional[str] = None

    def token(self, attribute: str) -> str:
        value = getattr(self, attribute)
        if not value:
            raise dg.Failure(f"{SECRET_ENV_VARS[attribute]} is not set (needed to call the platform API)")
        return value


def platform_credentials(env: dict[str, str] | None = None) -> PlatformCredentials:
    """The resource with every field bound to its EnvVar when that variable is set."""
    env = os.environ if env is None else env
    return PlatformCredentials(
        **{attr: dg.EnvVar(var) for attr, var in SECRET_ENV_VARS.items() if env.get(var)}  # type: ignore[arg-type]
    )


def secret_values(env: dict[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    names = [*SECRET_ENV_VARS.values(), *_OTHER_SECRETS]
    values = {env[name] for name in names if len(env.get(name) or "") >= _MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every secret value (tokens, salt) replaced by ``***``."""
    if not text:
        return text
    for value in secret_values():
        if value in text:
            text = text.replace(value, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Redacts secrets from every record passing through a handler/logger it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if secret_values():
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach ``RedactingFilter`` to the root and dagster loggers and their handlers (idempotent)."""
    for logger in (logging.getLogger(), logging.getLogger("dagster")):
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactingFilter) for f in target.filters):
                target.addFilter(RedactingFilter())
