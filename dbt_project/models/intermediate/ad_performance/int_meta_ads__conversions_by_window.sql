{{ config(enabled=adwh_source_enabled('meta_ads')) }}

{#-
    Meta conversions per campaign, day and attribution window — every window the export
    carries (1d_click, 7d_click, 28d_click, 1d_view), not only the two the fact uses.
    Sibling of int_meta_ads__conversions_pivoted with the SAME de-duplication: per
    ad/day, kind (count or value) and conversion_group only the present action type with
    the best (lowest) priority of the meta_conversion_action_types seed is counted (so
    purchase / omni_purchase / fb_pixel_purchase count once), then groups are added up.
    The `default` pseudo-window (the account's attribution_setting, a combination of the
    others) is left out: it would double count.
-#}

with

actions as (

    select * from {{ ref('stg_meta_ads__ad_actions') }}

),

action_types as (

    select * from {{ ref('meta_conversion_action_types') }}

),

conversion_actions as (

    select
        actions.report_date,
        actions.account_id,
        actions.campaign_id,
        actions.ad_id,
        actions.kind,
        actions.action_type,
        actions.attribution_window,
        actions.value,
        action_types.conversion_group,
        action_types.priority

    from actions
    inner join action_types
        on actions.action_type = action_types.action_type
    where action_types.is_conversion

),

types_present as (

    select distinct
        report_date,
        account_id,
        ad_id,
        kind,
        conversion_group,
        action_type,
        priority

    from conversion_actions

),

types_ranked as (

    select
        *,
        row_number() over (
            partition by report_date, account_id, ad_id, kind, conversion_group
            order by priority, action_type
        ) as type_rank

    from types_present

),

chosen_actions as (

    select conversion_actions.*

    from conversion_actions
    inner join types_ranked
        on conversion_actions.report_date = types_ranked.report_date
        and conversion_actions.account_id = types_ranked.account_id
        and conversion_actions.ad_id = types_ranked.ad_id
        and conversion_actions.kind = types_ranked.kind
        and conversion_actions.conversion_group = types_ranked.conversion_group
        and conversion_actions.action_type = types_ranked.action_type
    where types_ranked.type_rank = 1
        and conversion_actions.attribution_window <> 'default'

),

aggregated as (

    select
        report_date,
        account_id,
        campaign_id,
        attribution_window,
        sum(case when kind = 'action' then value else 0 end) as conversions,
        sum(case when kind = 'action_value' then value else 0 end) as conversion_value

    from chosen_actions
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
