with

source as (

    select * from {{ source('meta_ads', 'ad_insights') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(date_start as date) as date_start,
        cast(date_stop as date) as date_stop,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(account_name as {{ dbt.type_string() }}) as account_name,
        cast(account_currency as {{ dbt.type_string() }}) as account_currency,
        cast(account_timezone as {{ dbt.type_string() }}) as account_timezone,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(adset_id as {{ dbt.type_string() }}) as ad_set_id,
        cast(adset_name as {{ dbt.type_string() }}) as ad_set_name,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(ad_name as {{ dbt.type_string() }}) as ad_name,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(inline_link_clicks as {{ dbt.type_bigint() }}) as inline_link_clicks,
        cast(spend as {{ adwh_type_double() }}) as spend,
        cast(reach as {{ dbt.type_bigint() }}) as reach,
        cast(attribution_setting as {{ dbt.type_string() }}) as attribution_setting,
        cast(video_play_actions as {{ dbt.type_bigint() }}) as video_play_actions,
        cast(video_thruplay_watched_actions as {{ dbt.type_bigint() }}) as video_thruplay_watched_actions,
        cast(video_p100_watched_actions as {{ dbt.type_bigint() }}) as video_p100_watched_actions,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
