"""Pseudonymise personal data at ingestion (e-mail addresses, GA4 ``user_id``, Mailchimp ``mc_eid``).

Personal values never reach the raw layer or the quarantine in clear text: they are
replaced by ``sha256(salt + normalised value)`` in hex. The same person gets the same
hash in every file and every source (so joins still work) as long as the salt is the same.

.. warning::
   The salt comes from the environment variable ``ADWH_PII_SALT``. When it is unset
   (or empty) the fixed development default ``"adwh-dev-salt"`` is used, which is
   public (it is in this file), so hashes made with it can be reversed by hashing a
   list of known addresses. **Set ADWH_PII_SALT to a long random secret in
   production**, and never change it afterwards: a new salt gives every person a new
   hash and breaks joins with the history already in the lake. Ingestion enforces this:
   the lake records a digest of the salt (:func:`salt_digest`, never the salt) and refuses
   to write with another one until the whole history is re-hashed
   (``python -m orchestration.ingestion.salt_record rehash``; docs/raw_layer.md).
"""

from __future__ import annotations

import hashlib
import os
import re
from urllib.parse import unquote, unquote_plus

PII_SALT_ENV = "ADWH_PII_SALT"
DEV_SALT = "adwh-dev-salt"
"""Development default salt. Public, so NOT a protection: set ``ADWH_PII_SALT`` in production."""

EMAIL_HASH_PREFIX = "email_sha256:"

# Local part, "@" (also percent-encoded as "%40", as in URL query strings), domain
# with at least one dot and an alphabetic top-level label. "%" is allowed in the local
# part so that percent-encoded characters ("a%2Bb%40x.com") are swallowed rather than
# left behind in clear text: over-matching is the safe direction here.
_LOCAL = r"[A-Za-z0-9._%+\-]+"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
_EMAIL_IN_TEXT = re.compile(rf"{_LOCAL}(?:@|%40){_DOMAIN}")
_EMAIL_EXACT = re.compile(rf"{_LOCAL}@{_DOMAIN}")


def pii_salt() -> str:
    """The salt for :func:`hash_pii`: ``$ADWH_PII_SALT``, else the dev default ``"adwh-dev-salt"``."""
    return os.environ.get(PII_SALT_ENV) or DEV_SALT


def salt_digest(salt: str) -> str:
    """A short digest that identifies a salt without revealing it (domain-separated, so it is not
    ``sha256(salt)``): stored in partition manifests and in the lake's salt record to detect a
    changed ``ADWH_PII_SALT``. Never store or log the salt itself."""
    return hashlib.sha256(b"adwh:pii-salt-digest:v1\0" + salt.encode("utf-8")).hexdigest()[:16]


def looks_like_email(value: str) -> bool:
    """True when the whole (stripped) value is an e-mail address."""
    return _EMAIL_EXACT.fullmatch(value.strip()) is not None


def normalise_pii(value: str) -> str:
    """Strip; lower-case e-mail addresses (``John@X.com`` and ``john@x.com`` are one person)."""
    text = value.strip()
    return text.lower() if looks_like_email(text) else text


def hash_pii(value: str | None, salt: str) -> str | None:
    """Hex sha256 of ``salt + normalise_pii(value)``.

    ``None`` stays ``None``; a blank string also gives ``None`` (there is no value to
    protect, and a hash of the salt alone would look like a real identifier).
    """
    if value is None:
        return None
    text = normalise_pii(str(value))
    if not text:
        return None
    return hashlib.sha256((salt + text).encode("utf-8")).hexdigest()


def scrub_emails(text: str, salt: str) -> str:
    """Replace every e-mail address in free text with ``email_sha256:<hash>``.

    Percent-encoded addresses (``john%40example.com`` in a URL) are decoded before
    hashing, so they hash like the plain address. The result contains no ``@`` from an
    address, so scrubbing twice gives the same text.
    """
    if not text or ("@" not in text and "%40" not in text):  # no address without one of them
        return text

    def _replace(match: re.Match[str]) -> str:
        return EMAIL_HASH_PREFIX + (hash_pii(unquote(match.group(0)), salt) or "")

    return _EMAIL_IN_TEXT.sub(_replace, text)


# `mc_eid=<Mailchimp subscriber id>` inside a URL (or inside JSON text holding a URL):
# the value runs to the next separator of a query string, a JSON string or a text.
_MC_EID = re.compile(r"(?<=[?&;#])(mc_eid=)([^&#\s\"'\\]*)", re.IGNORECASE)


def hash_url_param_value(value: str | None, salt: str) -> str | None:
    """Hash of a (still percent-encoded) query parameter value, as :func:`hash_pii` of the decoded value."""
    if value is None:
        return None
    return hash_pii(unquote_plus(value), salt)


def scrub_url_text(text: str, salt: str) -> str:
    """Scrub e-mail addresses and replace the value of every ``mc_eid=`` query parameter by its hash.

    Works on a single URL and on any text that contains URLs (a raw NDJSON line).
    Apply it once per value: unlike :func:`scrub_emails` it is not idempotent (a second
    pass would hash the hashed ``mc_eid``).
    """
    if not text:
        return text

    def _replace(match: re.Match[str]) -> str:
        hashed = hash_url_param_value(match.group(2), salt)
        return match.group(1) + (hashed or "")

    return scrub_emails(_MC_EID.sub(_replace, text), salt)
