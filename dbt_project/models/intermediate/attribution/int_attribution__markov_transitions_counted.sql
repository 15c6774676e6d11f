{{
    config(
        enabled=var('ga4_enabled', true),
        materialized='table'
    )
}}

{#-
    First-order Markov transition counts over the paths of the model window (docs/architecture.md).
    Grain: from_state × to_state. Per path (touches in time order), consecutive repeats of
    one channel collapse into one state; then start -> first channel, channel -> next
    channel, last channel -> 'conversion' (converting path) or 'null' (non-converting).
    The model window: path_end_date >= window_start and < window_end (macro
    adwh_attribution_window_bounds). Tiny (<= (channels + 1) × (channels + 2) rows): the
    exact solve reads it in int_attribution__channel_weights_solved.
-#}

with

window_bounds as (

    {#-
        The paths relation is named here and in `windowed` rather than through one import CTE:
        DuckDB materialises a CTE that is read twice, and copying every column of the paths
        took longer than the whole count (docs/decisions.md entry 46).
    -#}
    {{ adwh_attribution_window_bounds(ref('int_attribution__paths_built')) }}

),

windowed as (

    select
        paths.touch_index,
        paths.n_touches,
        paths.channel,
        paths.previous_channel,
        paths.is_converting

    from {{ ref('int_attribution__paths_built') }} as paths
    cross join window_bounds
    where paths.path_end_date >= window_bounds.window_start
        and paths.path_end_date < window_bounds.window_end

),

touches_counted as (

    {#-
        One scan, no join and no window function: int_attribution__paths_built carries each
        touch's previous_channel (computed with its touch_index), so the touches are counted
        by (previous channel, channel, last touch?, converting?) — at most
        (channels + 1) × channels × 4 rows — and the transitions are read off those counts.
        It replaced a self-join on touch_index - 1, which took about twice as long on the
        benchmark's million journeys (docs/decisions.md entry 46).
    -#}
    select
        previous_channel,
        channel,
        touch_index = n_touches as is_last_touch,
        is_converting,
        count(*) as touches

    from windowed
    group by
        previous_channel,
        channel,
        touch_index = n_touches,
        is_converting

),

steps as (

    {#-
        The collapsed path's transitions: start -> touch 1 (no previous channel), every touch
        whose channel differs from the previous touch's (a repeat of one channel is no
        transition), and the last touch -> the absorbing state.
    -#}
    select
        coalesce(previous_channel, 'start') as from_state,
        channel as to_state,
        touches

    from touches_counted
    where previous_channel is null
        or previous_channel <> channel

    union all

    select
        channel as from_state,
        case when is_converting then 'conversion' else 'null' end as to_state,
        touches

    from touches_counted
    where is_last_touch

),

counted as (

    select
        from_state,
        to_state,
        sum(touches) as transitions

    from steps
    group by
        from_state,
        to_state

),

final as (

    select
        counted.from_state,
        counted.to_state,
        cast(counted.transitions as {{ dbt.type_bigint() }}) as transitions,
        window_bounds.window_start,
        window_bounds.window_end

    from counted
    cross join window_bounds

)

select * from final
