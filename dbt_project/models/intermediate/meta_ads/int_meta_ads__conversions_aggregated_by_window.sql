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
    Meta conversions per campaign, day and attribution window — every window the export
    carries (1d_click, 7d_click, 28d_click, 1d_view), not only the two the fact uses.
    Sibling of int_meta_ads__conversions_pivoted with the SAME de-duplication (macro
    adwh_meta_chosen_actions_ctes): per ad/day, kind (count or value) and conversion_group
    only the present action type with the best (lowest) priority of the
    meta_conversion_action_types seed is counted (so purchase / omni_purchase /
    fb_pixel_purchase count once), then groups are added up.
    The `default` pseudo-window (the account's attribution_setting, a combination of the
    others) is left out: it would double count.

    Incremental by report_date like the fact (macros/incremental_window.sql): a day's rows
    come from that day's actions only, so a nightly run rebuilds just its window.
-#}

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

aggregated as (

    select
        report_date,
        account_id,
        campaign_id,
        attribution_window,
        sum(case when kind = 'action' then value else 0 end) as conversions,
        sum(case when kind = 'action_value' then value else 0 end) as conversion_value

    from chosen_actions
    -- Meta's `default` pseudo-window combines the others: it would double count
    where attribution_window <> 'default'
    group by
        report_date,
        account_id,
        campaign_id,
        attribution_window

),

final as (

    select
        report_date,
        account_id,
        campaign_id,
        cast(attribution_window as {{ dbt.type_string() }}) as attribution_window,
        cast(conversions as {{ adwh_type_double() }}) as conversions,
        cast(conversion_value as {{ adwh_type_double() }}) as conversion_value

    from aggregated

)

select * from final
