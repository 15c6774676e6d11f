{{ config(enabled=var('ga4_enabled', true), materialized='table') }}

{#-
    The data-driven models (markov, shapley; docs/architecture.md) over the converting
    paths, the twin of int_attribution__credits_rule_based: one row per
    (model, conversion_id, touch_index) with credit (a fraction; each conversion's credits
    sum to 1 per model) and attributed_revenue = credit × revenue.

    Each conversion's credit (1) is split among the distinct channels on ITS path in
    proportion to the channels' shares (int_attribution__channel_weights_solved),
    normalised over the channels present on that path; a channel's credit within the path
    is split equally among that channel's touches (which carry the campaign). Fallback:
    when every channel on the path has share 0 (or no weight, e.g. a channel not seen in
    the model window) the path is credited linearly (1 / n_touches per touch). The weights
    come from the model window; they are applied to every conversion.

    A table, not a view: its twelve data tests and mart_attribution would otherwise each
    re-run the join of every converting path with the weights (about 40 s of tests per
    nightly at a year of medium-scale history, docs/decisions.md entry 45).
-#}

{%- set F = adwh_type_double() -%}

with

paths as (

    -- the columns a credit row carries: DuckDB materialises this CTE (it is read twice)
    select
        path_id,
        conversion_id,
        conversion_date,
        revenue,
        touch_index,
        n_touches,
        session_key,
        touch_ts,
        channel,
        platform,
        campaign_id

    from {{ ref('int_attribution__paths_built') }}
    where is_converting

),

weights as (

    select * from {{ ref('int_attribution__channel_weights_solved') }}

),

data_driven_models as (

    {% for name in adwh_data_driven_attribution_models() -%}
    select '{{ name }}' as model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

path_channels as (

    select
        path_id,
        channel,
        count(*) as channel_touches

    from paths
    group by
        path_id,
        channel

),

path_channel_shares as (

    select
        path_channels.path_id,
        data_driven_models.model,
        path_channels.channel,
        path_channels.channel_touches,
        coalesce(weights.share, 0) as share

    from path_channels
    cross join data_driven_models
    left join weights
        on data_driven_models.model = weights.model
        and path_channels.channel = weights.channel

),

path_totals as (

    select
        path_id,
        model,
        sum(share) as total_share,
        sum(channel_touches) as n_touches

    from path_channel_shares
    group by
        path_id,
        model

),

channel_credits as (

    select
        path_channel_shares.path_id,
        path_channel_shares.model,
        path_channel_shares.channel,
        path_channel_shares.channel_touches,
        case
            when path_totals.total_share > 0
                then path_channel_shares.share / path_totals.total_share
            {#- every channel of the path has share 0: linear fallback #}
            else cast(path_channel_shares.channel_touches as {{ F }}) / path_totals.n_touches
        end as channel_credit

    from path_channel_shares
    inner join path_totals
        on path_channel_shares.path_id = path_totals.path_id
        and path_channel_shares.model = path_totals.model

),

credited as (

    select
        channel_credits.model,
        paths.*,
        channel_credits.channel_credit / channel_credits.channel_touches as credit

    from paths
    inner join channel_credits
        on paths.path_id = channel_credits.path_id
        and paths.channel = channel_credits.channel

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
