"""Secrets are replaced by *** in any text adwh logs (orchestration/security.py)."""

from __future__ import annotations

import logging

import pytest

from orchestration.security import REDACTED, RedactingFilter, redact


@pytest.mark.parametrize(
    "variable",
    ["ADWH_PII_SALT", "DAGSTER_PG_PASSWORD", "ADWH_LINKEDIN_ACCESS_TOKEN", "ADWH_META_ACCESS_TOKEN"],
)
def test_each_secret_variable_is_redacted(monkeypatch, variable):
    value = "s3cr3t-value-of-" + variable.lower()
    monkeypatch.setenv(variable, value)
    line = f"connecting with {value} to the instance"
    assert redact(line) == f"connecting with {REDACTED} to the instance"


def test_log_records_are_redacted_and_short_values_are_left_alone(monkeypatch):
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "pg-password-123456")
    monkeypatch.setenv("ADWH_PII_SALT", "abc")  # too short to redact without mangling ordinary words
    record = logging.LogRecord("adwh", logging.INFO, __file__, 1, "dsn password=%s abc", ("pg-password-123456",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == f"dsn password={REDACTED} abc"
