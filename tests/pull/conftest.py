"""Fixtures of the pull tests: the four fake platform servers on loopback, and an environment
pointing the clients at them with near-zero waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pull import data
from tests.pull.fakes.google_ads import FakeGoogleAds
from tests.pull.fakes.klaviyo import FakeKlaviyo
from tests.pull.fakes.mailchimp import FakeMailchimp
from tests.pull.fakes.meta_ads import FakeMetaAds

FAST = {
    "ADWH_PULL_BACKOFF_INITIAL_SECONDS": "0.001",
    "ADWH_PULL_BACKOFF_MAX_SECONDS": "0.01",
    "ADWH_PULL_POLL_SECONDS": "0.001",
    "ADWH_PULL_MAX_WAIT_SECONDS": "3600",
    "ADWH_PULL_TIMEOUT_SECONDS": "10",
    "ADWH_PULL_MAX_ATTEMPTS": "4",
}


@pytest.fixture
def google() -> Iterator[FakeGoogleAds]:
    with FakeGoogleAds(
        developer_token=data.TOKENS["ADWH_GOOGLE_ADS_DEVELOPER_TOKEN"],
        client_id=data.TOKENS["ADWH_GOOGLE_ADS_CLIENT_ID"],
        client_secret=data.TOKENS["ADWH_GOOGLE_ADS_CLIENT_SECRET"],
        refresh_token=data.TOKENS["ADWH_GOOGLE_ADS_REFRESH_TOKEN"],
        accounts=data.google_accounts(),
    ) as server:
        yield server


@pytest.fixture
def meta() -> Iterator[FakeMetaAds]:
    with FakeMetaAds(access_token=data.TOKENS["ADWH_META_ACCESS_TOKEN"], accounts=data.meta_accounts()) as server:
        yield server


@pytest.fixture
def mailchimp() -> Iterator[FakeMailchimp]:
    with FakeMailchimp(api_key=data.TOKENS["ADWH_MAILCHIMP_API_KEY"], reports=data.mailchimp_reports()) as server:
        yield server


@pytest.fixture
def klaviyo() -> Iterator[FakeKlaviyo]:
    with FakeKlaviyo(
        api_key=data.TOKENS["ADWH_KLAVIYO_API_KEY"],
        conversion_metric_id=data.KLAVIYO_METRIC,
        messages=data.klaviyo_messages(),
    ) as server:
        yield server


def pull_env(google=None, meta=None, mailchimp=None, klaviyo=None, **extra: str) -> dict[str, str]:
    """The environment of a pull against the given fakes (only their platforms configured)."""
    env = dict(FAST)
    if google is not None:
        env.update({k: data.TOKENS[k] for k in data.TOKENS if k.startswith("ADWH_GOOGLE_ADS_")})
        env.update(
            {
                "ADWH_GOOGLE_ADS_CUSTOMER_IDS": "111-111-1111, 2222222222",
                "ADWH_GOOGLE_ADS_API_URL": google.url,
                "ADWH_GOOGLE_OAUTH_TOKEN_URL": f"{google.url}/token",
            }
        )
    if meta is not None:
        env.update(
            {
                "ADWH_META_ACCESS_TOKEN": data.TOKENS["ADWH_META_ACCESS_TOKEN"],
                "ADWH_META_AD_ACCOUNT_IDS": data.META_ACCOUNT,
                "ADWH_META_API_URL": meta.url,
            }
        )
    if mailchimp is not None:
        env.update(
            {"ADWH_MAILCHIMP_API_KEY": data.TOKENS["ADWH_MAILCHIMP_API_KEY"], "ADWH_MAILCHIMP_API_URL": mailchimp.url}
        )
    if klaviyo is not None:
        env.update(
            {
                "ADWH_KLAVIYO_API_KEY": data.TOKENS["ADWH_KLAVIYO_API_KEY"],
                "ADWH_KLAVIYO_CONVERSION_METRIC_ID": data.KLAVIYO_METRIC,
                "ADWH_KLAVIYO_API_URL": klaviyo.url,
            }
        )
    env.update(extra)
    return env


class SleepRecorder:
    """Stands in for time.sleep: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()
