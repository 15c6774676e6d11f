"""Secrets never reach a log: the secret environment variables and their redaction.

``redact()`` replaces the value of every secret environment variable (API tokens, the PII
salt) by ``***`` in any text adwh logs, records as metadata or prints as an error;
``install_log_redaction()`` attaches ``RedactingFilter`` to the loggers. No Dagster here.
"""

from __future__ import annotations

import logging
import os

# attribute -> environment variable
SECRET_ENV_VARS: dict[str, str] = {
    "google_ads_developer_token": "ADWH_GOOGLE_ADS_DEVELOPER_TOKEN",
    "google_ads_client_secret": "ADWH_GOOGLE_ADS_CLIENT_SECRET",
    "google_ads_refresh_token": "ADWH_GOOGLE_ADS_REFRESH_TOKEN",
    "meta_access_token": "ADWH_META_ACCESS_TOKEN",
    "linkedin_access_token": "ADWH_LINKEDIN_ACCESS_TOKEN",
    "mailchimp_api_key": "ADWH_MAILCHIMP_API_KEY",
    "klaviyo_api_key": "ADWH_KLAVIYO_API_KEY",
}
# also never printed: a salt is a secret too, and the Dagster instance's PostgreSQL password (deploy/)
_OTHER_SECRETS = ("ADWH_PII_SALT", "DAGSTER_PG_PASSWORD")
REDACTED = "***"
_MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words; real tokens are long


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
