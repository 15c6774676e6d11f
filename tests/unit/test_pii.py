"""Pseudonymisation helpers: salted hashing, e-mail scrubbing, mc_eid in URLs, the salt setting."""

from __future__ import annotations

import hashlib

import pytest

from orchestration.ingestion.parsers import pii
from orchestration.ingestion.parsers.pii import hash_pii, pii_salt, scrub_emails, scrub_url_text

SALT = "s3cret"


def sha(text: str, salt: str = SALT) -> str:
    return hashlib.sha256((salt + text).encode()).hexdigest()


def test_hash_pii_is_hex_sha256_of_salt_plus_value():
    assert hash_pii("CRM-42", SALT) == sha("CRM-42")
    assert len(hash_pii("CRM-42", SALT)) == 64


def test_emails_are_stripped_and_lower_cased_before_hashing():
    assert hash_pii("  Jane.Doe@Example.ORG\n", SALT) == sha("jane.doe@example.org")
    assert hash_pii("jane.doe@example.org", SALT) == hash_pii("JANE.DOE@EXAMPLE.ORG", SALT)


def test_non_emails_keep_their_case_but_are_stripped():
    assert hash_pii(" AbC-9 ", SALT) == sha("AbC-9")
    assert hash_pii("AbC-9", SALT) != hash_pii("abc-9", SALT)


def test_none_and_blank_stay_null():
    assert hash_pii(None, SALT) is None
    assert hash_pii("   ", SALT) is None


def test_the_salt_changes_the_hash():
    assert hash_pii("x@y.com", "a") != hash_pii("x@y.com", "b")


def test_scrub_emails_in_free_text():
    text = "Contact Jane.Doe@Example.org or bob+promo@mail.co.uk, not @handles or a@b."
    expected = (
        f"Contact email_sha256:{sha('jane.doe@example.org')} or email_sha256:{sha('bob+promo@mail.co.uk')}, "
        "not @handles or a@b."
    )
    assert scrub_emails(text, SALT) == expected


def test_scrub_emails_handles_percent_encoded_addresses_and_is_idempotent():
    url = "https://x.example/?ref=jane.doe%40example.org&b=1"
    once = scrub_emails(url, SALT)
    assert once == f"https://x.example/?ref=email_sha256:{sha('jane.doe@example.org')}&b=1"
    assert scrub_emails(once, SALT) == once


def test_scrub_emails_leaves_text_without_addresses_alone():
    assert (
        scrub_emails("https://shop.example.com/?utm_source=google", SALT)
        == "https://shop.example.com/?utm_source=google"
    )
    assert scrub_emails("", SALT) == ""


def test_scrub_url_text_hashes_mc_eid_and_emails():
    url = "https://x.example/p?mc_cid=abc&mc_eid=f00d42&e=a@b.io"
    assert scrub_url_text(url, SALT) == (
        f"https://x.example/p?mc_cid=abc&mc_eid={sha('f00d42')}&e=email_sha256:{sha('a@b.io')}"
    )
    # Inside JSON text the value ends at the closing quote; an empty mc_eid stays empty.
    assert scrub_url_text('{"u":"https://x/?mc_eid=f00d42"}', SALT) == '{"u":"https://x/?mc_eid=' + sha("f00d42") + '"}'
    assert scrub_url_text("https://x/?mc_eid=&a=1", SALT) == "https://x/?mc_eid=&a=1"
    assert scrub_url_text("https://x/?not_mc_eid=1", SALT) == "https://x/?not_mc_eid=1"


def test_pii_salt_from_environment_with_dev_default(monkeypatch):
    monkeypatch.setenv("ADWH_PII_SALT", "prod-secret")
    assert pii_salt() == "prod-secret"
    monkeypatch.delenv("ADWH_PII_SALT")
    assert pii_salt() == "adwh-dev-salt" == pii.DEV_SALT
    monkeypatch.setenv("ADWH_PII_SALT", "")
    assert pii_salt() == "adwh-dev-salt"


def test_module_docstring_warns_to_set_the_salt_in_production():
    assert "ADWH_PII_SALT" in pii.__doc__ and "production" in pii.__doc__


@pytest.mark.parametrize("value", ["plain", "a@b", "@x.com", "x@.com"])
def test_not_emails(value):
    assert not pii.looks_like_email(value)
