"""The source registry: the one list of the platforms adwh reads.

Everything that needs to know the sources derives it from ``SOURCES``: the settings
(``ADWH_SOURCES``), the ingest assets, the sample generator, and dbt (the orchestration
layer passes ``--vars {"<source>_enabled": true|false, ...}`` built by
``orchestration.warehouse.dbt_args.source_vars``, the Fivetran-package convention).

Adding a platform: one entry here, its parser module ``ingestion/parsers/<name>.py``, its
staging folder ``dbt_project/models/staging/<name>/``, its branch in the union model and its
rows in the ``metric_definitions`` seed (the checklist is in docs/architecture.md).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Source:
    name: str  # folder name under landing/ and lake/raw/, and the `platform` value in the marts
    label: str  # the platform's own name, for people
    kind: str  # "ad" (ad platform), "email" (e-mail platform) or "web" (first-party analytics)
    # the platform reports lifetime totals per campaign (daily figures are snapshot differences)
    lifetime_totals: bool = False

    @property
    def parser_module(self) -> str:
        return f"orchestration.ingestion.parsers.{self.name}"

    def parser(self) -> ModuleType:
        return importlib.import_module(self.parser_module)

    @property
    def feeds_ad_fact(self) -> bool:
        """Whether its rows reach ``fct_ad_performance_daily`` (ad and e-mail platforms do; GA4 does not)."""
        return self.kind in ("ad", "email")


SOURCES: tuple[Source, ...] = (
    Source("google_ads", "Google Ads", "ad"),
    Source("meta_ads", "Meta Ads", "ad"),
    Source("linkedin_ads", "LinkedIn Ads", "ad"),
    Source("mailchimp", "Mailchimp", "email", lifetime_totals=True),
    Source("klaviyo", "Klaviyo", "email", lifetime_totals=True),
    Source("ga4", "Google Analytics 4", "web"),
)

ALL_SOURCES: tuple[str, ...] = tuple(source.name for source in SOURCES)
LIFETIME_SOURCES: tuple[str, ...] = tuple(source.name for source in SOURCES if source.lifetime_totals)
_BY_NAME = {source.name: source for source in SOURCES}


def get(name: str) -> Source:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(ALL_SOURCES)}") from None
