{#-
    The Meta conversion actions that count, per ad / day / kind (count or value) / conversion
    group: the action types of one conversion_group describe the same events (purchase,
    omni_purchase and offsite_conversion.fb_pixel_purchase are the same purchases), so only the
    present type with the best (lowest) priority of the meta_conversion_action_types seed is
    kept. Renders the CTEs `conversion_actions`, `types_present`, `types_ranked` and
    `chosen_actions` (one row per kept action row, every attribution window incl. Meta's
    `default` pseudo-window) from two relations the calling model imports itself (its own
    `ref()`s, so the lineage stays in the model): `actions` (stg_meta_ads__ad_actions) and
    `action_types` (the meta_conversion_action_types seed). Shared by
    int_meta_ads__conversions_pivoted (the fact's two windows) and
    int_meta_ads__conversions_aggregated_by_window (every real window).
-#}
{% macro adwh_meta_chosen_actions_ctes(actions, action_types) -%}
conversion_actions as (

    select
        {{ actions }}.report_date,
        {{ actions }}.account_id,
        {{ actions }}.campaign_id,
        {{ actions }}.ad_set_id,
        {{ actions }}.ad_id,
        {{ actions }}.kind,
        {{ actions }}.action_type,
        {{ actions }}.attribution_window,
        {{ actions }}.value,
        {{ action_types }}.conversion_group,
        {{ action_types }}.priority

    from {{ actions }}
    inner join {{ action_types }}
        on {{ actions }}.action_type = {{ action_types }}.action_type
    where {{ action_types }}.is_conversion

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

)
{%- endmacro %}
