{{
    config(
        enabled=var('ga4_enabled', true),
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="
            {%- if is_incremental() -%}
            delete from {{ this }}
            where conversion_date >= cast('{{ adwh_attribution_rebuild_from() }}' as date)
            {%- endif -%}
        "
    )
}}

{#-
    The rule-based models (docs/architecture.md) over the converting paths: one row per
    (model, conversion_id, touch_index) — every touch of every converting path appears
    once per model, zero-credit touches included — with credit (a fraction; each
    conversion's credits sum to 1 per model) and attributed_revenue = credit × revenue.

      first_touch      1 to touch 1
      last_touch       1 to touch n
      last_non_direct  1 to the last touch whose channel is not Direct, else to touch n
      linear           1 / n each
      position_based   n = 1: 1; n = 2: 0.5 each; n >= 3: 0.4 first, 0.4 last,
                       0.2 / (n − 2) each middle touch
      time_decay       weight 2^(−Δt / h), Δt = conversion_ts − touch_ts in fractional
                       days (microsecond exact), h = var time_decay_half_life_days
                       (default 7); credit = weight / Σ weights of the conversion

    Incremental on DuckDB (a table on Spark, rebuilt every run): a conversion's credits
    depend on its path alone, and only the paths of conversions reported from one day
    before the window on can have changed (macros/incremental_window.sql,
    adwh_attribution_rebuild_from, says why), so a run deletes and rebuilds the credits of
    those conversions and keeps the rest.
-#}

{%- set half_life = var('time_decay_half_life_days') | float -%}
{%- set F = adwh_type_double() -%}

with

paths as (

    select * from {{ ref('int_attribution__paths_built') }}
    where is_converting
    {% if is_incremental() -%}
        and conversion_date >= cast('{{ adwh_attribution_rebuild_from() }}' as date)
    {%- endif %}

),

touch_weights as (

    select
        *,
        max(case when channel <> 'Direct' then touch_index end) over (partition by conversion_id)
            as last_non_direct_index,
        power(
            cast(2 as {{ F }}),
            -1.0 * {{ adwh_fractional_days_between('touch_ts', 'conversion_ts') }} / {{ half_life }}
        ) as decay_weight

    from paths

),

weighted as (

    select
        *,
        sum(decay_weight) over (partition by conversion_id) as decay_weight_total

    from touch_weights

),

models as (

    select 'first_touch' as model
    union all
    select 'last_touch'
    union all
    select 'last_non_direct'
    union all
    select 'linear'
    union all
    select 'position_based'
    union all
    select 'time_decay'

),

credited as (

    select
        models.model,
        weighted.*,
        case models.model
            when 'first_touch' then case when touch_index = 1 then 1.0 else 0.0 end
            when 'last_touch' then case when touch_index = n_touches then 1.0 else 0.0 end
            when 'last_non_direct'
                then case when touch_index = coalesce(last_non_direct_index, n_touches) then 1.0 else 0.0 end
            when 'linear' then 1.0 / n_touches
            when 'position_based'
                then
                    case
                        when n_touches = 1 then 1.0
                        when n_touches = 2 then 0.5
                        when touch_index = 1 or touch_index = n_touches then 0.4
                        else 0.2 / (n_touches - 2)
                    end
            when 'time_decay' then decay_weight / decay_weight_total
        end as credit

    from weighted
    cross join models

),

final as (

    select
        cast(model as {{ dbt.type_string() }}) as model,
        cast(conversion_id as {{ dbt.type_string() }}) as conversion_id,
        cast(conversion_date as date) as conversion_date,
        cast(revenue as {{ F }}) as revenue,
        cast(touch_index as {{ dbt.type_int() }}) as touch_index,
        cast(n_touches as {{ dbt.type_int() }}) as n_touches,
        cast(session_key as {{ dbt.type_string() }}) as session_key,
        cast(touch_ts as {{ dbt.type_timestamp() }}) as touch_ts,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(credit as {{ F }}) as credit,
        cast(credit * revenue as {{ F }}) as attributed_revenue

    from credited

)

select * from final
