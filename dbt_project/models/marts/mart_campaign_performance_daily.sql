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
    Grain: report_date × platform × account_id × campaign_id. Every rate is a ratio of
    sums over the grouped fact rows (never an average of ratios), with nullif() on every
    denominator. conversions = click-through conversions; conversion_value = their value
    in the reporting currency.
-#}

with

performance as (

    select * from {{ ref('fct_ad_performance_daily') }}
    {% if is_incremental() -%}
    where {{ adwh_window_predicate('report_date') }}
    {%- endif %}

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
        sum(clicks) as clicks,
        sum(spend_reporting) as spend_reporting,
        sum(conversions_click_through) as conversions,
        sum(conversion_value_click_through * fx_rate) as conversion_value

    from performance
    group by
        report_date,
        platform,
        account_id,
        campaign_id

),

final as (

    select
        report_date,
        platform,
        account_id,
        campaign_id,
        channel,
        campaign_name,
        reporting_currency,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(cast(clicks as {{ adwh_type_double() }}) / nullif(impressions, 0) as {{ adwh_type_double() }}) as ctr,
        cast(spend_reporting as {{ adwh_type_double() }}) as spend_reporting,
        cast(spend_reporting / nullif(clicks, 0) as {{ adwh_type_double() }}) as cpc,
        cast(1000 * spend_reporting / nullif(impressions, 0) as {{ adwh_type_double() }}) as cpm,
        cast(conversions as {{ adwh_type_double() }}) as conversions,
        cast(conversion_value as {{ adwh_type_double() }}) as conversion_value,
        cast(conversions / nullif(clicks, 0) as {{ adwh_type_double() }}) as cvr,
        cast(spend_reporting / nullif(conversions, 0) as {{ adwh_type_double() }}) as cpa,
        cast(conversion_value / nullif(spend_reporting, 0) as {{ adwh_type_double() }}) as roas

    from aggregated

)

select * from final
