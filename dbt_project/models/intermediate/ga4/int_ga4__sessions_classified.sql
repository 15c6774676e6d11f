{{
    config(
        enabled=var('ga4_enabled', true),
        materialized='incremental',
        incremental_strategy=adwh_incremental_strategy(),
        partition_by=(['session_date'] if target.type == 'spark' else none),
        file_format=('parquet' if target.type == 'spark' else none),
        on_schema_change='fail',
        pre_hook="{{ adwh_delete_from_window_start('session_date') }}"
    )
}}

{#-
    One row per GA4 session (docs/architecture.md touchpoint): the session_start event of
    user_pseudo_id + ga_session_id (session_key = user_pseudo_id || '-' || ga_session_id).
    If GA4 sent session_start twice for one session, the first reported is kept (earliest
    report date, then event time, file, line: in a GA4 export the report date is the
    event's date, so this is the earliest event); a session_start without ga_session_id
    cannot be keyed and is dropped.

    Traffic source: collected_traffic_source first, else the landing URL's UTMs:
      source = manual_source / utm_source, medium = manual_medium / utm_medium,
      campaign_id = manual_campaign_id / utm_campaign / utm_id (the platforms' URL
      templates put the platform campaign id there), gclid = URL gclid / collected gclid.

    Channel: the channel_mapping seed's `ga4_session` rules; a rule matches when all its
    non-NULL conditions hold (click id present, lower(source) LIKE source_pattern,
    lower(medium) LIKE medium_pattern; a missing source / medium is '' for LIKE), the
    matching rule with the lowest priority wins (ties: the rule's description, for
    determinism). A Google click (Paid Search by rule) whose campaign_id is a known
    Google Ads campaign takes the channel of that campaign's type from the seed's
    `platform_campaign` rows (DISPLAY -> Display, VIDEO -> Video, DEMAND_GEN -> Display);
    Google Ads must be switched on for that lookup (else Paid Search stays).

    Incremental by session_date from the window's first day on (macros/incremental_window.sql,
    adwh_delete_from_window_start): a run re-reads the events reported since that day and
    replaces every session dated since then (open-ended, so a backfill of old days behind
    newer ones rebuilds the newer sessions too). A session_start reported again inside the
    window for a session already dated before it is a duplicate of that stored session and
    is dropped, as the full build drops it. The Google campaign lookup reads every day of
    Google Ads (a campaign's type is fixed at creation, so the sessions kept from before
    the window keep the channel they were given). A full refresh classifies everything.

    Platform: the ad / email platform the session can be credited to (so first-party
    credit can meet the platform's own claims): Paid Search / Display / Video with a gclid
    or google / cpc -> google_ads; Paid Social (fbclid, facebook|instagram paid) ->
    meta_ads; Paid Social (li_fat_id, linkedin paid) -> linkedin_ads; Email with mc_cid or utm_source mailchimp -> mailchimp, utm_source klaviyo ->
    klaviyo; anything else NULL.
-#}

{%- set google_enabled = var('google_ads_enabled', true) -%}
{%- if google_enabled -%}
{%- set google_channel = 'coalesce(google_campaign_channels.channel, session_channels.channel)' -%}
{%- else -%}
{%- set google_channel = 'session_channels.channel' -%}
{%- endif -%}

with

events as (

    select * from {{ ref('stg_ga4__events') }}
    {% if is_incremental() -%}
    where {{ adwh_from_window_start_predicate('report_date') }}
    {%- endif %}

),

channel_mapping as (

    select * from {{ ref('channel_mapping') }}

),

{% if google_enabled -%}
google_ads_stats as (

    select * from {{ ref('stg_google_ads__ad_stats') }}

),

{% endif -%}
session_starts as (

    select
        user_pseudo_id,
        ga_session_id,
        {{ dbt.concat(["user_pseudo_id", "'-'", "cast(ga_session_id as " ~ dbt.type_string() ~ ")"]) }} as session_key,
        event_ts_utc as session_start_ts,
        report_date as session_date,
        coalesce(traffic_source, url_utm_source) as source,
        coalesce(traffic_medium, url_utm_medium) as medium,
        coalesce(traffic_campaign_id, url_utm_campaign, url_utm_id) as campaign_id,
        coalesce(url_gclid, traffic_gclid) as gclid,
        url_fbclid as fbclid,
        url_li_fat_id as li_fat_id,
        url_mc_cid as mc_cid,
        row_number() over (
            partition by user_pseudo_id, ga_session_id
            order by report_date, event_timestamp_us, source_file, record_number
        ) as start_rank

    from events
    where event_name = 'session_start'
        and ga_session_id is not null

),

{% if is_incremental() -%}
sessions_before_window as (

    select session_key from {{ this }}
    where session_date < cast('{{ adwh_min_date() }}' as date)

),

{% endif -%}
sessions as (

    select session_starts.* from session_starts
    {% if is_incremental() -%}
    left join sessions_before_window
        on session_starts.session_key = sessions_before_window.session_key
    {%- endif %}
    where session_starts.start_rank = 1
    {% if is_incremental() -%}
        and sessions_before_window.session_key is null
    {%- endif %}

),

session_rules as (

    -- rule_order: the rules in precedence order (priority, then description), so that the
    -- winning rule of a session is a min() of an integer, not a sort of its matches
    select
        *,
        row_number() over (order by priority, rule_description) as rule_order

    from channel_mapping
    where mapping_type = 'ga4_session'

),

session_match_keys as (

    -- what the rules compare, computed once per session rather than once per (session, rule)
    select
        session_key,
        gclid is not null as has_gclid,
        fbclid is not null as has_fbclid,
        li_fat_id is not null as has_li_fat_id,
        mc_cid is not null as has_mc_cid,
        lower(coalesce(source, '')) as source_lower,
        lower(coalesce(medium, '')) as medium_lower

    from sessions

),

rule_matches as (

    select
        session_match_keys.session_key,
        min(session_rules.rule_order) as rule_order

    from session_match_keys
    inner join session_rules
        on (
            session_rules.click_id_param is null
            or (session_rules.click_id_param = 'gclid' and session_match_keys.has_gclid)
            or (session_rules.click_id_param = 'fbclid' and session_match_keys.has_fbclid)
            or (session_rules.click_id_param = 'li_fat_id' and session_match_keys.has_li_fat_id)
            or (session_rules.click_id_param = 'mc_cid' and session_match_keys.has_mc_cid)
        )
        and (
            session_rules.source_pattern is null
            or session_match_keys.source_lower like session_rules.source_pattern
        )
        and (
            session_rules.medium_pattern is null
            or session_match_keys.medium_lower like session_rules.medium_pattern
        )
    group by session_match_keys.session_key

),

session_channels as (

    select
        rule_matches.session_key,
        session_rules.channel
    from rule_matches
    inner join session_rules
        on rule_matches.rule_order = session_rules.rule_order

),

{% if google_enabled -%}
google_campaign_days as (

    select
        campaign_id,
        advertising_channel_type,
        row_number() over (
            partition by campaign_id
            order by report_date desc, advertising_channel_type
        ) as recency_rank

    from google_ads_stats
    where campaign_id is not null
        and advertising_channel_type is not null

),

google_campaign_channels as (

    -- the campaign's latest known type, mapped like the fact maps it (exact type rows)
    select
        google_campaign_days.campaign_id,
        platform_rules.channel

    from google_campaign_days
    inner join channel_mapping as platform_rules
        on platform_rules.mapping_type = 'platform_campaign'
        and platform_rules.platform = 'google_ads'
        and platform_rules.campaign_type = google_campaign_days.advertising_channel_type
    where google_campaign_days.recency_rank = 1

),

{% endif -%}
classified as (

    select
        sessions.*,
        case
            when session_channels.channel = 'Paid Search'
                and (
                    sessions.gclid is not null
                    or (lower(sessions.source) = 'google' and lower(sessions.medium) = 'cpc')
                )
                then {{ google_channel }}
            else coalesce(session_channels.channel, 'Direct')
        end as channel

    from sessions
    left join session_channels
        on sessions.session_key = session_channels.session_key
    {% if google_enabled -%}
    left join google_campaign_channels
        on sessions.campaign_id = google_campaign_channels.campaign_id
    {%- endif %}

),

with_platform as (

    select
        *,
        case
            when channel in ('Paid Search', 'Display', 'Video')
                and (gclid is not null or (lower(source) = 'google' and lower(medium) = 'cpc'))
                then 'google_ads'
            when channel = 'Paid Social'
                and (fbclid is not null or lower(source) in ('facebook', 'instagram'))
                then 'meta_ads'
            when channel = 'Paid Social'
                and (li_fat_id is not null or lower(source) = 'linkedin')
                then 'linkedin_ads'
            when channel = 'Email'
                and (mc_cid is not null or lower(source) = 'mailchimp')
                then 'mailchimp'
            when channel = 'Email' and lower(source) = 'klaviyo'
                then 'klaviyo'
        end as platform

    from classified

),

final as (

    select
        cast(session_key as {{ dbt.type_string() }}) as session_key,
        cast(user_pseudo_id as {{ dbt.type_string() }}) as user_pseudo_id,
        cast(ga_session_id as {{ dbt.type_bigint() }}) as ga_session_id,
        cast(session_start_ts as {{ dbt.type_timestamp() }}) as session_start_ts,
        cast(session_date as date) as session_date,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(medium as {{ dbt.type_string() }}) as medium,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(gclid as {{ dbt.type_string() }}) as gclid,
        cast(fbclid as {{ dbt.type_string() }}) as fbclid,
        cast(li_fat_id as {{ dbt.type_string() }}) as li_fat_id,
        cast(mc_cid as {{ dbt.type_string() }}) as mc_cid,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(platform as {{ dbt.type_string() }}) as platform

    from with_platform

)

select * from final
