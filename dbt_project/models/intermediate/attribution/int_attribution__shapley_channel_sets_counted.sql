{{
    config(
        enabled=var('ga4_enabled', true),
        materialized='table'
    )
}}

{#-
    Conversions per channel set over the paths of the model window (docs/architecture.md): the
    input of the exact Shapley solve. Grain: channel_set, the sorted distinct channels of
    a path joined with '|' (e.g. 'Direct|Email|Paid Search'; sorted aggregation is
    dispatched: macro adwh_sorted_string_agg). At most 2^channels rows.
-#}

with

window_bounds as (

    {#- the paths relation is named twice, not through one import CTE: DuckDB would
        materialise a CTE read twice (int_attribution__markov_transitions_counted) -#}
    {{ adwh_attribution_window_bounds(ref('int_attribution__paths_built')) }}

),

path_channels as (

    select distinct
        paths.path_id,
        paths.channel,
        case when paths.is_converting then 1 else 0 end as is_converting

    from {{ ref('int_attribution__paths_built') }} as paths
    cross join window_bounds
    where paths.path_end_date >= window_bounds.window_start
        and paths.path_end_date < window_bounds.window_end

),

path_sets as (

    select
        path_id,
        {{ adwh_sorted_string_agg('channel', "'|'") }} as channel_set,
        max(is_converting) as is_converting

    from path_channels
    group by path_id

),

counted as (

    select
        channel_set,
        sum(is_converting) as conversions,
        count(*) as paths

    from path_sets
    group by channel_set

),

final as (

    select
        counted.channel_set,
        cast(counted.conversions as {{ dbt.type_bigint() }}) as conversions,
        cast(counted.paths as {{ dbt.type_bigint() }}) as paths,
        window_bounds.window_start,
        window_bounds.window_end

    from counted
    cross join window_bounds

)

select * from final
