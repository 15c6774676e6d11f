{{
    config(
        materialized='incremental',
        incremental_strategy=adwh_incremental_strategy(),
        partition_by=(['report_date'] if target.type == 'spark' else none),
        file_format=('parquet' if target.type == 'spark' else none),
        on_schema_change='fail',
        pre_hook="{{ adwh_delete_window() }}"
    )
}}

{#-
    Grain: report_date × platform × account_id × campaign_id, for the fact rows whose
    platform measured video (video_views not NULL: Google Ads VIDEO campaigns, Meta video
    ads, LinkedIn SINGLE_VIDEO campaigns). A "view" is each platform's own definition — a
    3-second Meta play, a 30-second (or complete) TrueView view, a 2-second LinkedIn view —
    so every row carries video_view_definition from the seed metric_definitions: never
    compare view rates across platforms without it.

    Ratios of sums (never averages of ratios), nullif() on every denominator:
      view_rate       = sum(video_views) / sum(impressions)
      cost_per_view   = sum(spend_reporting) / sum(video_views)
      completion_rate = sum(video_completions) / sum(impressions of the rows that measure
                        completions) — NULL where the platform reports no completion count.
    Impressions and spend are those of the video-measured rows only.
-#}

{%- set F = adwh_type_double() -%}
{%- set S = dbt.type_string() -%}

with

performance as (

    select * from {{ ref('fct_ad_performance_daily') }}
    where video_views is not null
    {% if is_incremental() -%}
        and {{ adwh_window_predicate('report_date') }}
    {%- endif %}

),

definitions as (

    select * from {{ ref('metric_definitions') }}

),

aggregated as (

    select
        report_date,
        platform,
        account_id,
        campaign_id,
        max(channel) as channel,
        max(campaign_name) as campaign_name,
        max(reporting_currency) as reporting_currency,
        sum(impressions) as impressions,
        sum(spend_reporting) as spend_reporting,
        sum(video_starts) as video_starts,
        sum(video_views) as video_views,
        sum(video_completions) as video_completions,
        sum(case when video_completions is not null then impressions end) as completion_impressions

    from performance
    group by
        report_date,
        platform,
        account_id,
        campaign_id

),

with_definitions as (

    select
        aggregated.*,
        view_definitions.definition as video_view_definition,
        completion_definitions.definition as video_completion_definition

    from aggregated
    left join definitions as view_definitions
        on aggregated.platform = view_definitions.platform
        and view_definitions.unified_metric = 'video_views'
    left join definitions as completion_definitions
        on aggregated.platform = completion_definitions.platform
        and completion_definitions.unified_metric = 'video_completions'

),

final as (

    select
        report_date,
        cast(platform as {{ S }}) as platform,
        cast(account_id as {{ S }}) as account_id,
        cast(campaign_id as {{ S }}) as campaign_id,
        cast(channel as {{ S }}) as channel,
        cast(campaign_name as {{ S }}) as campaign_name,
        cast(reporting_currency as {{ S }}) as reporting_currency,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(spend_reporting as {{ F }}) as spend_reporting,
        cast(video_starts as {{ dbt.type_bigint() }}) as video_starts,
        cast(video_views as {{ dbt.type_bigint() }}) as video_views,
        cast(video_views / nullif(cast(impressions as {{ F }}), 0) as {{ F }}) as view_rate,
        cast(spend_reporting / nullif(video_views, 0) as {{ F }}) as cost_per_view,
        cast(video_completions as {{ dbt.type_bigint() }}) as video_completions,
        cast(
            video_completions / nullif(cast(completion_impressions as {{ F }}), 0) as {{ F }}
        ) as completion_rate,
        cast(video_view_definition as {{ S }}) as video_view_definition,
        cast(video_completion_definition as {{ S }}) as video_completion_definition

    from with_definitions

)

select * from final
