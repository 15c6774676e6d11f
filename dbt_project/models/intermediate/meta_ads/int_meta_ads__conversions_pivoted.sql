{{
    config(
        enabled=var('meta_ads_enabled', true),
        materialized='incremental',
        incremental_strategy=adwh_incremental_strategy(),
        partition_by=(['report_date'] if target.type == 'spark' else none),
        file_format=('parquet' if target.type == 'spark' else none),
        on_schema_change='fail',
        pre_hook="{{ adwh_delete_window() }}"
    )
}}

{#-
    Meta conversions per ad and day, from the long actions table and the
    meta_conversion_action_types seed.

    Types of one conversion_group describe the same events (purchase, omni_purchase and
    offsite_conversion.fb_pixel_purchase are the same purchases): per ad/day and kind
    (count or value) only the present type with the best (lowest) priority is counted, so
    a purchase is counted once. Then: click-through = that type in the click window
    (var meta_click_window, default 7d_click), view-through = in the view window
    (var meta_view_window, default 1d_view); groups are added up.

    Incremental by report_date like the fact (macros/incremental_window.sql): a day's rows
    come from that day's actions only, so a nightly run rebuilds just its window.
-#}

{%- set click_window = var('meta_click_window') -%}
{%- set view_window = var('meta_view_window') -%}

with

actions as (

    select * from {{ ref('stg_meta_ads__ad_actions') }}
    {% if is_incremental() -%}
    where {{ adwh_window_predicate('report_date') }}
    {%- endif %}

),

action_types as (

    select * from {{ ref('meta_conversion_action_types') }}

),

{{ adwh_meta_chosen_actions_ctes('actions', 'action_types') }},

pivoted as (

    select
        report_date,
        account_id,
        ad_id,
        max(campaign_id) as campaign_id,
        max(ad_set_id) as ad_set_id,
        sum(case when kind = 'action' and attribution_window = '{{ click_window }}' then value else 0 end)
            as conversions_click_through,
        sum(case when kind = 'action' and attribution_window = '{{ view_window }}' then value else 0 end)
            as conversions_view_through,
        sum(case when kind = 'action_value' and attribution_window = '{{ click_window }}' then value else 0 end)
            as conversion_value_click_through,
        sum(case when kind = 'action_value' and attribution_window = '{{ view_window }}' then value else 0 end)
            as conversion_value_view_through

    from chosen_actions
    group by
        report_date,
        account_id,
        ad_id

),

final as (

    select
        report_date,
        account_id,
        campaign_id,
        ad_set_id,
        ad_id,
        cast(conversions_click_through as {{ adwh_type_double() }}) as conversions_click_through,
        cast(conversions_view_through as {{ adwh_type_double() }}) as conversions_view_through,
        cast(conversion_value_click_through as {{ adwh_type_double() }}) as conversion_value_click_through,
        cast(conversion_value_view_through as {{ adwh_type_double() }}) as conversion_value_view_through

    from pivoted

)

select * from final
