with

source as (

    select * from {{ source('google_ads', 'ad_stats') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(segment_date as date) as segment_date,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(customer_name as {{ dbt.type_string() }}) as customer_name,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(time_zone as {{ dbt.type_string() }}) as time_zone,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(advertising_channel_type as {{ dbt.type_string() }}) as advertising_channel_type,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(ad_group_name as {{ dbt.type_string() }}) as ad_group_name,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(interactions as {{ dbt.type_bigint() }}) as interactions,
        cast(cost_micros as {{ dbt.type_bigint() }}) as cost_micros,
        cast(conversions as {{ adwh_type_double() }}) as conversions,
        cast(conversions_value as {{ adwh_type_double() }}) as conversions_value,
        cast(view_through_conversions as {{ dbt.type_bigint() }}) as view_through_conversions,
        cast(video_trueview_views as {{ dbt.type_bigint() }}) as video_trueview_views,
        cast(video_quartile_p100_rate as {{ adwh_type_double() }}) as video_quartile_p100_rate,
        cast(source_format as {{ dbt.type_string() }}) as source_format,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
