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
    Grain: report_date × platform × account × campaign × ad group × ad (email: campaign,
    ad_group_id / ad_id NULL). Incremental by report_date: an incremental run replaces the
    window [min_date, max_date) (see macros/incremental_window.sql); a full refresh builds
    everything.

    Channel: seed channel_mapping (platform_campaign rows): exact campaign_type match first,
    else the platform's fallback row. FX: seed fx_rates, latest rate on or before the
    report date and at most fx_max_staleness_days old, for the account currency and for the
    reporting currency; fx_rate = rate_to_usd(currency) / rate_to_usd(reporting). A missing
    rate leaves fx_rate / spend_reporting NULL, which the tests on this model turn into a
    failed build (never a silent 1.0).
-#}

{%- set reporting_currency = adwh_reporting_currency() -%}
{%- set max_staleness = var('fx_max_staleness_days') | int -%}

with

performance as (

    select * from {{ ref('int_ad_performance__platforms_unioned') }}
    {% if is_incremental() -%}
    where {{ adwh_window_predicate('report_date') }}
    {%- endif %}

),

channel_mapping as (

    select * from {{ ref('channel_mapping') }}
    where mapping_type = 'platform_campaign'

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

currency_days as (

    select distinct
        report_date,
        currency
    from performance
    where currency is not null

    union

    select distinct
        report_date,
        '{{ reporting_currency }}' as currency
    from performance

),

rate_candidates as (

    select
        currency_days.report_date,
        currency_days.currency,
        fx_rates.rate_to_usd,
        row_number() over (
            partition by currency_days.report_date, currency_days.currency
            order by fx_rates.rate_date desc
        ) as recency_rank

    from currency_days
    inner join fx_rates
        on fx_rates.currency_code = currency_days.currency
        and fx_rates.rate_date <= currency_days.report_date
        and fx_rates.rate_date >= {{ dbt.dateadd('day', -max_staleness, 'currency_days.report_date') }}

),

rates as (

    select
        report_date,
        currency,
        rate_to_usd
    from rate_candidates
    where recency_rank = 1

),

enriched as (

    select
        performance.*,
        coalesce(exact_channel.channel, fallback_channel.channel) as channel,
        reporting_rate.rate_to_usd as reporting_rate_to_usd,
        account_rate.rate_to_usd / nullif(reporting_rate.rate_to_usd, 0) as fx_rate

    from performance
    left join channel_mapping as exact_channel
        on performance.platform = exact_channel.platform
        and performance.campaign_type = exact_channel.campaign_type
    left join channel_mapping as fallback_channel
        on performance.platform = fallback_channel.platform
        and fallback_channel.campaign_type is null
    left join rates as account_rate
        on performance.report_date = account_rate.report_date
        and performance.currency = account_rate.currency
    left join rates as reporting_rate
        on performance.report_date = reporting_rate.report_date
        and reporting_rate.currency = '{{ reporting_currency }}'

),

final as (

    select
        report_date,
        platform,
        channel,
        account_id,
        account_name,
        account_timezone,
        campaign_id,
        campaign_name,
        campaign_type,
        ad_group_id,
        ad_group_name,
        ad_id,
        currency,
        cast('{{ reporting_currency }}' as {{ dbt.type_string() }}) as reporting_currency,
        cast(fx_rate as {{ adwh_type_double() }}) as fx_rate,
        spend,
        cast(
            case
                -- email: no currency and no spend; 0 is 0 in every currency
                when currency is null and spend = 0 then 0
                else spend * fx_rate
            end
            as {{ adwh_type_double() }}
        ) as spend_reporting,
        impressions,
        clicks,
        all_clicks,
        deliveries,
        conversions_click_through,
        conversions_view_through,
        conversion_value_click_through,
        conversion_value_view_through,
        conversions_unsplit,
        conversion_value_unsplit,
        video_starts,
        video_views,
        video_completions

    from enriched

)

select * from final
