"""Platform API credentials as a Dagster resource, every field bound to its environment
variable through ``dg.EnvVar`` (Dagster stores and shows the variable's *name*, never its value)."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.security import SECRET_ENV_VARS


class PlatformCredentials(dg.ConfigurableResource):
    """API tokens of the platforms, each optional (a switched-off platform needs none)."""

    google_ads_developer_token: str | None = None
    google_ads_client_secret: str | None = None
    google_ads_refresh_token: str | None = None
    meta_access_token: str | None = None
    linkedin_access_token: str | None = None
    mailchimp_api_key: str | None = None
    klaviyo_api_key: str | None = None

    def token(self, attribute: str) -> str:
        value = getattr(self, attribute)
        if not value:
            raise dg.Failure(f"{SECRET_ENV_VARS[attribute]} is not set (needed to call the platform API)")
        return value

    def as_env(self) -> dict[str, str]:
        """The set secrets keyed by their environment variable (what the pull clients read)."""
        return {var: getattr(self, attr) for attr, var in SECRET_ENV_VARS.items() if getattr(self, attr)}


def platform_credentials(env: dict[str, str] | None = None) -> PlatformCredentials:
    """The resource with every field bound to its EnvVar when that variable is set."""
    env = os.environ if env is None else env
    return PlatformCredentials(
        **{attr: dg.EnvVar(var) for attr, var in SECRET_ENV_VARS.items() if env.get(var)}  # type: ignore[arg-type]
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources={"platform_credentials": platform_credentials()})
