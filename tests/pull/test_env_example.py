"""`.env.example` lists every variable adwh reads, and every secret is in the redaction list."""

from __future__ import annotations

import re

from orchestration.pull import PLATFORMS, platform
from orchestration.registry import ALL_SOURCES
from orchestration.security import SECRET_ENV_VARS
from tests.paths import REPO


def _listed() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^(ADWH_[A-Z0-9_]+)=", text, flags=re.M))


def test_every_variable_the_code_reads_is_in_env_example():
    used: set[str] = set()
    for path in (REPO / "orchestration").rglob("*.py"):
        used |= set(re.findall(r"ADWH_[A-Z0-9_]*[A-Z0-9]", path.read_text()))
    used |= {f"ADWH_RESTATEMENT_DAYS_{source.upper()}" for source in ALL_SOURCES}
    used -= {"ADWH_RESTATEMENT_DAYS_"}
    missing = sorted(used - _listed())
    assert not missing, f"add these to .env.example: {missing}"


def test_every_platform_secret_is_redacted():
    secrets = set(SECRET_ENV_VARS.values())
    for source in PLATFORMS:
        assert set(platform(source).SECRET_VARS) <= secrets, source
