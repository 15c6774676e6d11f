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

paths as (

    select * from {{ ref('int_attribution__paths_built') }}

),

window_bounds as (

    {{ adwh_attribution_window_bounds('paths') }}

),

windowed as (

    select
        paths.path_id,
        paths.touch_index,
        paths.n_touches,
        paths.channel,
        paths.is_converting

    from paths
    cross join window_bounds
    where paths.path_end_date >= window_bounds.window_start
        and paths.path_end_date < window_bounds.window_end

),

steps as (

    {#-
        One pass, no window function: a path's touches are numbered 1..n_touches
        (int_attribution__paths_built), so the collapsed path's transitions are
        start -> touch 1, every pair of consecutive touches whose channels differ (found by
        an equi-join on touch_index - 1; a repeat of one channel is no transition), and
        touch n -> the absorbing state. A sort-based lag/lead over every touch took about
        twice as long (docs/benchmarks.md, attribution).
    -#}
    select
        'start' as from_state,
        channel as to_state

    from windowed
    where touch_index = 1

    union all

    select
        previous_touch.channel as from_state,
        this_touch.channel as to_state

    from windowed as this_touch
    inner join windowed as previous_touch
        on this_touch.path_id = previous_touch.path_id
        and this_touch.touch_index - 1 = previous_touch.touch_index
    where this_touch.channel <> previous_touch.channel

    union all

    select
        channel as from_state,
        case when is_converting then 'conversion' else 'null' end as to_state

    from windowed
    where touch_index = n_touches

),

counted as (

    select
        from_state,
        to_state,
        count(*) as transitions

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
