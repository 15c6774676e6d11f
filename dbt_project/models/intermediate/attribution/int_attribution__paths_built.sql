{{ config(enabled=var('ga4_enabled', true), materialized='table') }}

{#-
    Attribution paths (docs/architecture.md): one row per touch of a path.

    Converting path (path_id = conversion_id): the user's sessions that started
      * after the previous conversion of the same user (strictly later than its
        conversion_ts; conversions ordered by conversion_ts, then conversion_id),
      * and not earlier than the lookback limit, conversion_ts − var attribution_lookback_days
        (default 30) days,
      * up to and including the conversion (session_start_ts <= conversion_ts),
    plus the converting session itself (the purchase's user + ga_session_id) whenever it
    started at or before the conversion — "up to and including the converting session"
    also holds for a second purchase within one session (that session started before
    the first purchase; without it the path would be empty).
    A conversion with no such session gets ONE synthetic touch: channel 'Direct',
    platform / campaign_id / session_key NULL, touch_ts = conversion_ts (it was not
    reached through any tracked session: GA4 treats that as direct).

    Non-converting path (path_id = 'nc-' || user_pseudo_id, for markov / shapley): every
    session of the user after the user's last conversion (all sessions if the user never
    converted); not bounded by the lookback (the model window of the data-driven models
    selects paths by path_end_date).

    Touches are numbered 1..n_touches in time order (ties: session_key); previous_channel is
    the channel of touch touch_index - 1 (NULL on touch 1), computed over the same window so
    that the Markov transition counts are one scan, not a self-join.
    path_end_date = conversion_date (converting) or the session_date of the last touch
    (non-converting): the date the data-driven models' window is applied to.

    A table rebuilt every run, not incremental: a user's non-converting tail reaches back to
    their last conversion however old, and at a year of medium-scale history the tails of
    the users active in a nightly window were 5.5 of the 9.1 million rows, so an
    incremental build cost as much as this one (docs/decisions.md entry 45). The rule-based
    credits, which depend on the converting paths alone, are incremental.
-#}

{%- set lookback_days = var('attribution_lookback_days') | int -%}

with

conversions as (

    select * from {{ ref('int_ga4__conversions_deduplicated') }}

),

sessions as (

    -- only the columns a path carries: DuckDB materialises this CTE (it is read three
    -- times), and the sessions' source / medium / click-id strings would double its size
    select
        session_key,
        user_pseudo_id,
        session_start_ts,
        session_date,
        channel,
        platform,
        campaign_id

    from {{ ref('int_ga4__sessions_classified') }}

),

conversion_windows as (

    select
        conversion_id,
        user_pseudo_id,
        conversion_ts,
        conversion_date,
        revenue,
        session_key as converting_session_key,
        lag(conversion_ts) over (
            partition by user_pseudo_id
            order by conversion_ts, conversion_id
        ) as previous_conversion_ts,
        {{ dbt.dateadd('day', -lookback_days, 'conversion_ts') }} as lookback_start_ts

    from conversions

),

window_touches as (

    select
        conversion_windows.conversion_id,
        sessions.session_key,
        sessions.session_start_ts as touch_ts,
        sessions.session_date as touch_date,
        sessions.channel,
        sessions.platform,
        sessions.campaign_id

    from conversion_windows
    inner join sessions
        on sessions.user_pseudo_id = conversion_windows.user_pseudo_id
        and sessions.session_start_ts <= conversion_windows.conversion_ts
        and sessions.session_start_ts >= conversion_windows.lookback_start_ts
        and (
            conversion_windows.previous_conversion_ts is null
            or sessions.session_start_ts > conversion_windows.previous_conversion_ts
        )

),

converting_session_touches as (

    select
        conversion_windows.conversion_id,
        sessions.session_key,
        sessions.session_start_ts as touch_ts,
        sessions.session_date as touch_date,
        sessions.channel,
        sessions.platform,
        sessions.campaign_id

    from conversion_windows
    inner join sessions
        on sessions.session_key = conversion_windows.converting_session_key
        and sessions.session_start_ts <= conversion_windows.conversion_ts

),

session_touches as (

    -- union (distinct): the converting session is usually also a window touch
    select * from window_touches
    union
    select * from converting_session_touches

),

conversions_without_touch as (

    select conversion_windows.*
    from conversion_windows
    left join (select distinct conversion_id from session_touches) as touched
        on conversion_windows.conversion_id = touched.conversion_id
    where touched.conversion_id is null

),

converting_touches as (

    select
        conversion_windows.conversion_id as path_id,
        conversion_windows.user_pseudo_id,
        true as is_converting,
        conversion_windows.conversion_id,
        conversion_windows.conversion_ts,
        conversion_windows.conversion_date,
        conversion_windows.revenue,
        session_touches.session_key,
        session_touches.touch_ts,
        session_touches.touch_date,
        session_touches.channel,
        session_touches.platform,
        session_touches.campaign_id

    from session_touches
    inner join conversion_windows
        on session_touches.conversion_id = conversion_windows.conversion_id

    union all

    select
        conversion_id as path_id,
        user_pseudo_id,
        true as is_converting,
        conversion_id,
        conversion_ts,
        conversion_date,
        revenue,
        cast(null as {{ dbt.type_string() }}) as session_key,
        conversion_ts as touch_ts,
        conversion_date as touch_date,
        'Direct' as channel,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id

    from conversions_without_touch

),

user_last_conversions as (

    select
        user_pseudo_id,
        max(conversion_ts) as last_conversion_ts
    from conversions
    group by user_pseudo_id

),

non_converting_touches as (

    select
        {{ dbt.concat(["'nc-'", "sessions.user_pseudo_id"]) }} as path_id,
        sessions.user_pseudo_id,
        false as is_converting,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        cast(null as {{ dbt.type_timestamp() }}) as conversion_ts,
        cast(null as date) as conversion_date,
        cast(null as {{ adwh_type_double() }}) as revenue,
        sessions.session_key,
        sessions.session_start_ts as touch_ts,
        sessions.session_date as touch_date,
        sessions.channel,
        sessions.platform,
        sessions.campaign_id

    from sessions
    left join user_last_conversions
        on sessions.user_pseudo_id = user_last_conversions.user_pseudo_id
    where user_last_conversions.last_conversion_ts is null
        or sessions.session_start_ts > user_last_conversions.last_conversion_ts

),

touches as (

    select * from converting_touches
    union all
    select * from non_converting_touches

),

numbered as (

    select
        *,
        row_number() over (partition by path_id order by touch_ts, session_key) as touch_index,
        -- the same window (one sort): the Markov transitions are read off each row alone
        lag(channel) over (partition by path_id order by touch_ts, session_key) as previous_channel,
        count(*) over (partition by path_id) as n_touches,
        max(touch_date) over (partition by path_id) as last_touch_date

    from touches

),

final as (

    select
        cast(path_id as {{ dbt.type_string() }}) as path_id,
        cast(user_pseudo_id as {{ dbt.type_string() }}) as user_pseudo_id,
        cast(is_converting as {{ dbt.type_boolean() }}) as is_converting,
        cast(conversion_id as {{ dbt.type_string() }}) as conversion_id,
        cast(conversion_ts as {{ dbt.type_timestamp() }}) as conversion_ts,
        cast(conversion_date as date) as conversion_date,
        cast(revenue as {{ adwh_type_double() }}) as revenue,
        cast(
            case when is_converting then conversion_date else last_touch_date end
            as date
        ) as path_end_date,
        cast(touch_index as {{ dbt.type_int() }}) as touch_index,
        cast(n_touches as {{ dbt.type_int() }}) as n_touches,
        cast(session_key as {{ dbt.type_string() }}) as session_key,
        cast(touch_ts as {{ dbt.type_timestamp() }}) as touch_ts,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(previous_channel as {{ dbt.type_string() }}) as previous_channel,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id

    from numbered

)

select * from final
