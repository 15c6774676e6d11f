with

source as (

    select * from {{ source('ga4', 'events') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(event_date as date) as event_date,
        cast(event_timestamp_us as {{ dbt.type_bigint() }}) as event_timestamp_us,
        {{ adwh_utc_timestamp('event_ts') }} as event_ts_utc,
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(user_pseudo_id as {{ dbt.type_string() }}) as user_pseudo_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(ga_session_id as {{ dbt.type_bigint() }}) as ga_session_id,
        cast(page_location as {{ dbt.type_string() }}) as page_location,
        cast(page_referrer as {{ dbt.type_string() }}) as page_referrer,
        cast(traffic_source as {{ dbt.type_string() }}) as traffic_source,
        cast(traffic_medium as {{ dbt.type_string() }}) as traffic_medium,
        cast(traffic_campaign_id as {{ dbt.type_string() }}) as traffic_campaign_id,
        cast(traffic_campaign_name as {{ dbt.type_string() }}) as traffic_campaign_name,
        cast(traffic_gclid as {{ dbt.type_string() }}) as traffic_gclid,
        cast(url_gclid as {{ dbt.type_string() }}) as url_gclid,
        cast(url_fbclid as {{ dbt.type_string() }}) as url_fbclid,
        cast(url_li_fat_id as {{ dbt.type_string() }}) as url_li_fat_id,
        cast(url_mc_cid as {{ dbt.type_string() }}) as url_mc_cid,
        cast(url_mc_eid as {{ dbt.type_string() }}) as url_mc_eid,
        cast(url_utm_source as {{ dbt.type_string() }}) as url_utm_source,
        cast(url_utm_medium as {{ dbt.type_string() }}) as url_utm_medium,
        cast(url_utm_campaign as {{ dbt.type_string() }}) as url_utm_campaign,
        cast(url_utm_id as {{ dbt.type_string() }}) as url_utm_id,
        cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
        cast(purchase_revenue as {{ adwh_type_double() }}) as purchase_revenue,
        cast(currency as {{ dbt.type_string() }}) as currency_code,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
