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
    Grain: report_date × platform × account_id × campaign_id × touch_type ×
    attribution_window — the conversions each platform claims, as the platform counts
    them (docs/architecture.md). Incremental by report_date like the fact.

      google_ads  click_through / 'click' = metrics.conversions (+ conversions_value);
                  view_through / 'view'   = metrics.view_through_conversions (no value).
                  The windows are set per conversion action in Google Ads and are not in
                  the report: the labels say only "Google's click / view window".
      meta_ads    one row per window in the export: click_through 1d_click, 7d_click,
                  28d_click; view_through 1d_view (purchase types counted once, see
                  int_meta_ads__conversions_aggregated_by_window). Meta rows exist only where Meta
                  reported a configured action.
      linkedin_ads  click_through / 'linkedin_post_click_window' =
                  externalWebsitePostClickConversions; view_through /
                  'linkedin_post_view_window' = externalWebsitePostViewConversions. LinkedIn's
                  windows are set per conversion in Campaign Manager (defaults 30 days
                  post-click, 7 days post-view) and are not in the report. No value: LinkedIn's
                  conversionValueInLocalCurrency is not split by touch.
      klaviyo     unsplit / 'klaviyo_attribution_window' = Klaviyo's conversions (its own
                  open-or-click window; daily difference of lifetime totals).
      mailchimp   reports no conversions: no rows.

    Windows overlap (Meta 28d_click contains 7d_click): sum only is_default_window rows
    (Meta var meta_click_window / meta_view_window, default 7d_click / 1d_view — the
    windows of fct_ad_performance_daily; every Google and Klaviyo row). Values are in the
    account currency (`currency`; NULL for Klaviyo, whose report carries no currency).
-#}

{%- set meta_ads_enabled = var('meta_ads_enabled', true) -%}
{%- set click_window = var('meta_click_window') -%}
{%- set view_window = var('meta_view_window') -%}
{%- set S = dbt.type_string() -%}
{%- set F = adwh_type_double() -%}

with

performance as (

    select * from {{ ref('fct_ad_performance_daily') }}
    {% if is_incremental() -%}
    where {{ adwh_window_predicate('report_date') }}
    {%- endif %}

),

{% if meta_ads_enabled -%}
meta_windows as (

    select * from {{ ref('int_meta_ads__conversions_aggregated_by_window') }}
    {% if is_incremental() -%}
    where {{ adwh_window_predicate('report_date') }}
    {%- endif %}

),

meta_currencies as (

    select
        report_date,
        account_id,
        max(currency) as currency
    from performance
    where platform = 'meta_ads'
    group by
        report_date,
        account_id

),

{% endif -%}
google_campaigns as (

    select
        report_date,
        account_id,
        campaign_id,
        max(currency) as currency,
        sum(conversions_click_through) as conversions_click_through,
        sum(conversion_value_click_through) as conversion_value_click_through,
        sum(conversions_view_through) as conversions_view_through

    from performance
    where platform = 'google_ads'
    group by
        report_date,
        account_id,
        campaign_id

),

linkedin_campaigns as (

    select
        report_date,
        account_id,
        campaign_id,
        max(currency) as currency,
        sum(conversions_click_through) as conversions_click_through,
        sum(conversions_view_through) as conversions_view_through

    from performance
    where platform = 'linkedin_ads'
    group by
        report_date,
        account_id,
        campaign_id

),

klaviyo_campaigns as (

    select
        report_date,
        account_id,
        campaign_id,
        sum(conversions_unsplit) as conversions,
        sum(conversion_value_unsplit) as conversion_value

    from performance
    where platform = 'klaviyo'
        and conversions_unsplit is not null
    group by
        report_date,
        account_id,
        campaign_id

),

unioned as (

    select
        report_date,
        'google_ads' as platform,
        account_id,
        campaign_id,
        'click_through' as touch_type,
        'click' as attribution_window,
        true as is_default_window,
        conversions_click_through as conversions,
        conversion_value_click_through as conversion_value,
        currency
    from google_campaigns

    union all

    select
        report_date,
        'google_ads' as platform,
        account_id,
        campaign_id,
        'view_through' as touch_type,
        'view' as attribution_window,
        true as is_default_window,
        conversions_view_through as conversions,
        cast(null as {{ F }}) as conversion_value,
        currency
    from google_campaigns

    union all

    select
        report_date,
        'linkedin_ads' as platform,
        account_id,
        campaign_id,
        'click_through' as touch_type,
        'linkedin_post_click_window' as attribution_window,
        true as is_default_window,
        conversions_click_through as conversions,
        cast(null as {{ F }}) as conversion_value,
        currency
    from linkedin_campaigns

    union all

    select
        report_date,
        'linkedin_ads' as platform,
        account_id,
        campaign_id,
        'view_through' as touch_type,
        'linkedin_post_view_window' as attribution_window,
        true as is_default_window,
        conversions_view_through as conversions,
        cast(null as {{ F }}) as conversion_value,
        currency
    from linkedin_campaigns

    union all

    {% if meta_ads_enabled -%}
    select
        meta_windows.report_date,
        'meta_ads' as platform,
        meta_windows.account_id,
        meta_windows.campaign_id,
        case
            when meta_windows.attribution_window like '%click' then 'click_through'
            when meta_windows.attribution_window like '%view' then 'view_through'
            else 'unsplit'
        end as touch_type,
        meta_windows.attribution_window,
        meta_windows.attribution_window in ('{{ click_window }}', '{{ view_window }}') as is_default_window,
        meta_windows.conversions,
        meta_windows.conversion_value,
        meta_currencies.currency
    from meta_windows
    left join meta_currencies
        on meta_windows.report_date = meta_currencies.report_date
        and meta_windows.account_id = meta_currencies.account_id

    union all

    {% endif -%}
    select
        report_date,
        'klaviyo' as platform,
        account_id,
        campaign_id,
        'unsplit' as touch_type,
        'klaviyo_attribution_window' as attribution_window,
        true as is_default_window,
        conversions,
        conversion_value,
        cast(null as {{ S }}) as currency
    from klaviyo_campaigns

),

final as (

    select
        report_date,
        cast(platform as {{ S }}) as platform,
        cast(account_id as {{ S }}) as account_id,
        cast(campaign_id as {{ S }}) as campaign_id,
        cast(touch_type as {{ S }}) as touch_type,
        cast(attribution_window as {{ S }}) as attribution_window,
        cast(is_default_window as {{ dbt.type_boolean() }}) as is_default_window,
        cast(conversions as {{ F }}) as conversions,
        cast(conversion_value as {{ F }}) as conversion_value,
        cast(currency as {{ S }}) as currency

    from unioned

)

select * from final
