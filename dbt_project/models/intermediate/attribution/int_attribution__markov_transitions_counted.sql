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
        paths.channel,
        paths.is_converting

    from paths
    cross join window_bounds
    where paths.path_end_date >= window_bounds.window_start
        and paths.path_end_date < window_bounds.window_end

),

flagged as (

    select
        path_id,
        touch_index,
        channel,
        is_converting,
        lag(channel) over (partition by path_id order by touch_index) as previous_channel

    from windowed

),

collapsed as (

    {#- window functions run after WHERE: step / next_channel see the collapsed path -#}
    select
        path_id,
        channel,
        is_converting,
        row_number() over (partition by path_id order by touch_index) as step,
        lead(channel) over (partition by path_id order by touch_index) as next_channel

    from flagged
    where previous_channel is null
        or previous_channel <> channel

),

steps as (

    select
        'start' as from_state,
        channel as to_state

    from collapsed
    where step = 1

    union all

    select
        channel as from_state,
        coalesce(
            next_channel,
            case when is_converting then 'conversion' else 'null' end
        ) as to_state

    from collapsed

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
