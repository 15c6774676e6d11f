"""The SQL behind every number of the report, over the marts of the analyst snapshot.

Every rate is a ratio of sums over the rows grouped (``sum(clicks) / sum(impressions)``),
never an average of the marts' daily ratios (docs/architecture.md). A mart that is not
built (its sources switched off) is reported as missing, never as zeros.
"""

from __future__ import annotations

from typing import Any

import duckdb

# The marts the report reads (the dbt exposure `adwh_report` declares the same list).
MARTS = (
    "fct_ad_performance_daily",
    "mart_campaign_performance_daily",
    "mart_conversions_by_touch_type",
    "mart_attribution",
    "mart_attribution_channel_weights",
    "mart_platform_claims_reconciliation",
    "mart_video_performance_daily",
)

MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)
CHANNELS = (
    "Paid Search",
    "Display",
    "Video",
    "Paid Social",
    "Email",
    "Organic Search",
    "Organic Social",
    "Referral",
    "Direct",
)
PLATFORMS = ("google_ads", "meta_ads", "linkedin_ads", "mailchimp", "klaviyo")
TOUCH_TYPES = ("click_through", "view_through", "unsplit")
WINDOWS = ("click", "1d_click", "7d_click", "28d_click", "view", "1d_view", "7d_view", "28d_view")

Rows = list[dict[str, Any]]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Rows:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, record, strict=True)) for record in cursor.fetchall()]


def available_marts(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def _order(column: str, values: tuple[str, ...]) -> str:
    """An ORDER BY expression putting known values in their documented order, others after."""
    cases = " ".join(f"when '{value}' then {i}" for i, value in enumerate(values))
    return f"case {column} {cases} else {len(values)} end, {column}"


# ----------------------------------------------------------------------------- headline
HEADLINE = """
    select
        min(report_date) as first_date,
        max(report_date) as last_date,
        any_value(reporting_currency) as reporting_currency,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        cast(sum(clicks) as double) / nullif(sum(impressions), 0) as ctr,
        sum(spend_reporting) as spend_reporting,
        sum(conversions_click_through) as conversions_click_through,
        sum(conversions_view_through) as conversions_view_through
    from marts.fct_ad_performance_daily
"""

# ----------------------------------------------------------------------------- CTR
CTR_WEEKLY_BY = """
    select
        cast(date_trunc('week', report_date) as date) as week,
        {dim},
        count(distinct report_date) as days,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        cast(sum(clicks) as double) / nullif(sum(impressions), 0) as ctr
    from marts.fct_ad_performance_daily
    group by 1, 2
    order by 1, {order}
"""


def ctr_weekly(con: duckdb.DuckDBPyConnection, dim: str) -> Rows:
    if dim not in ("platform", "channel"):
        raise ValueError(dim)
    order = _order(dim, PLATFORMS if dim == "platform" else CHANNELS)
    return rows(con, CTR_WEEKLY_BY.format(dim=dim, order=order))


PLATFORM_CHANNEL_TOTALS = f"""
    select
        platform,
        channel,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        cast(sum(clicks) as double) / nullif(sum(impressions), 0) as ctr,
        sum(spend_reporting) as spend_reporting,
        sum(spend_reporting) / nullif(sum(clicks), 0) as cpc,
        1000 * sum(spend_reporting) / nullif(sum(impressions), 0) as cpm
    from marts.fct_ad_performance_daily
    group by platform, channel
    order by {_order("platform", PLATFORMS)}, {_order("channel", CHANNELS)}
"""

# ----------------------------------------------------------------------------- spend
SPEND_WEEKLY_BY_CHANNEL = f"""
    select
        cast(date_trunc('week', report_date) as date) as week,
        channel,
        sum(spend_reporting) as spend_reporting
    from marts.fct_ad_performance_daily
    where channel in (
        select channel from marts.fct_ad_performance_daily
        group by channel having sum(spend_reporting) > 0
    )
    group by 1, 2
    order by 1, {_order("channel", CHANNELS)}
"""

# CPC / CPM of the paid rows only (email is not billed per campaign: spend 0).
CPC_CPM_PAID = f"""
    select
        platform,
        channel,
        sum(spend_reporting) as spend_reporting,
        sum(clicks) as clicks,
        sum(impressions) as impressions,
        sum(spend_reporting) / nullif(sum(clicks), 0) as cpc,
        1000 * sum(spend_reporting) / nullif(sum(impressions), 0) as cpm
    from marts.fct_ad_performance_daily
    group by platform, channel
    having sum(spend_reporting) > 0
    order by {_order("platform", PLATFORMS)}, {_order("channel", CHANNELS)}
"""

# ----------------------------------------------------------------------------- touch types
# Every (platform, touch type, window): Meta's windows nest (1d_click ⊂ 7d_click ⊂ 28d_click),
# so only the default-window rows may be added up.
TOUCH_TYPE_WINDOWS = f"""
    select
        platform,
        touch_type,
        attribution_window,
        bool_or(is_default_window) as is_default_window,
        sum(conversions) as conversions
    from marts.mart_conversions_by_touch_type
    group by platform, touch_type, attribution_window
    order by
        {_order("platform", PLATFORMS)}, {_order("touch_type", TOUCH_TYPES)}, {_order("attribution_window", WINDOWS)}
"""

TOUCH_TYPE_DEFAULT = f"""
    select
        platform,
        sum(conversions) filter (where touch_type = 'click_through') as click_through,
        sum(conversions) filter (where touch_type = 'view_through') as view_through,
        sum(conversions) filter (where touch_type = 'unsplit') as unsplit,
        string_agg(distinct attribution_window, ', ' order by attribution_window)
            filter (where touch_type = 'click_through') as click_window,
        string_agg(distinct attribution_window, ', ' order by attribution_window)
            filter (where touch_type = 'view_through') as view_window,
        string_agg(distinct attribution_window, ', ' order by attribution_window)
            filter (where touch_type = 'unsplit') as unsplit_window,
        sum(conversions) filter (where touch_type = 'view_through')
            / nullif(sum(conversions) filter (where touch_type in ('click_through', 'view_through')), 0)
            as view_through_share
    from marts.mart_conversions_by_touch_type
    where is_default_window
    group by platform
    order by {_order("platform", PLATFORMS)}
"""

# ----------------------------------------------------------------------------- attribution
ATTRIBUTION_BY_CHANNEL_MODEL = f"""
    select
        channel,
        model,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_revenue) as attributed_revenue,
        sum(spend_reporting) as spend_reporting,
        sum(attributed_revenue) / nullif(sum(spend_reporting), 0) as roas
    from marts.mart_attribution
    group by channel, model
    order by {_order("channel", CHANNELS)}, {_order("model", MODELS)}
"""

CHANNEL_WEIGHTS = f"""
    select model, channel, removal_effect, shapley_value, share, window_start, window_end
    from marts.mart_attribution_channel_weights
    order by {_order("model", MODELS)}, {_order("channel", CHANNELS)}
"""

# ----------------------------------------------------------------------------- claims
# The over-claim ratio compares a platform's claims with the first-party conversions GA4
# credits to it over the days the platform made claims (claimed_conversions_total not NULL).
CLAIMS_BY_PLATFORM = f"""
    select
        platform,
        sum(claimed_conversions_click_through) as claimed_click_through,
        sum(claimed_conversions_view_through) as claimed_view_through,
        sum(claimed_conversions_unsplit) as claimed_unsplit,
        sum(claimed_conversions_total) as claimed_total,
        sum(first_party_conversions) as first_party_conversions,
        sum(first_party_conversions) filter (where claimed_conversions_total is not null)
            as first_party_conversions_claimed_days,
        sum(claimed_conversions_total)
            / nullif(sum(first_party_conversions) filter (where claimed_conversions_total is not null), 0)
            as over_claim_ratio
    from marts.mart_platform_claims_reconciliation
    group by platform
    order by {_order("platform", PLATFORMS)}
"""

CLAIMS_WEEKLY = f"""
    select
        cast(date_trunc('week', report_date) as date) as week,
        platform,
        sum(claimed_conversions_total)
            / nullif(sum(first_party_conversions) filter (where claimed_conversions_total is not null), 0)
            as over_claim_ratio
    from marts.mart_platform_claims_reconciliation
    group by 1, 2
    having sum(claimed_conversions_total) is not null
    order by 1, {_order("platform", PLATFORMS)}
"""

# One truth against the sum of all claims: total_first_party_conversions repeats on every
# platform row of a day, so it is taken once per day.
CLAIMS_TOTAL = """
    with daily as (
        select
            report_date,
            sum(claimed_conversions_total) as claimed_total,
            max(total_first_party_conversions) as first_party_total
        from marts.mart_platform_claims_reconciliation
        group by report_date
    )
    select sum(claimed_total) as claimed_total, sum(first_party_total) as first_party_total
    from daily
"""

# ----------------------------------------------------------------------------- video
# Per platform over the video-measured rows of the mart. A "view" is each platform's own
# definition (carried on every row), so the rates sit beside it and are never summed across
# platforms. completion_rate: completions over the impressions of the rows that report them.
VIDEO_BY_PLATFORM = f"""
    select
        platform,
        any_value(video_view_definition) as video_view_definition,
        any_value(video_completion_definition) as video_completion_definition,
        sum(impressions) as impressions,
        sum(video_views) as video_views,
        cast(sum(video_views) as double) / nullif(sum(impressions), 0) as view_rate,
        sum(spend_reporting) as spend_reporting,
        sum(spend_reporting) / nullif(sum(video_views), 0) as cost_per_view,
        sum(video_completions) as video_completions,
        cast(sum(video_completions) as double)
            / nullif(sum(impressions) filter (where video_completions is not null), 0) as completion_rate
    from marts.mart_video_performance_daily
    group by platform
    order by {_order("platform", PLATFORMS)}
"""

# ----------------------------------------------------------------------------- freshness
LAST_DATE_BY_PLATFORM = """
    select platform, max(report_date) as last_report_date
    from marts.fct_ad_performance_daily
    group by platform
"""

LAST_CONVERSION_DATE = """
    select max(conversion_date) as last_conversion_date from marts.mart_attribution
"""

# ----------------------------------------------------------------------------- campaigns
TOP_CAMPAIGNS = """
    select
        platform,
        channel,
        campaign_id,
        max(campaign_name) as campaign_name,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        cast(sum(clicks) as double) / nullif(sum(impressions), 0) as ctr,
        sum(spend_reporting) as spend_reporting,
        sum(spend_reporting) / nullif(sum(clicks), 0) as cpc,
        1000 * sum(spend_reporting) / nullif(sum(impressions), 0) as cpm,
        sum(conversions) as conversions,
        sum(conversions) / nullif(sum(clicks), 0) as cvr,
        sum(spend_reporting) / nullif(sum(conversions), 0) as cpa,
        sum(conversion_value) / nullif(sum(spend_reporting), 0) as roas
    from marts.mart_campaign_performance_daily
    group by platform, channel, campaign_id
    having sum(spend_reporting) > 0
    order by spend_reporting desc, platform, campaign_id
    limit 15
"""
