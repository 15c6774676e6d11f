with

source as (

    select * from {{ source('linkedin_ads', 'ad_analytics') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(date_start as date) as date_start,
        cast(creative_id as {{ dbt.type_string() }}) as creative_id,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(landing_page_clicks as {{ dbt.type_bigint() }}) as landing_page_clicks,
        cast(cost_in_local_currency as {{ adwh_type_double() }}) as cost_in_local_currency,
        cast(cost_in_usd as {{ adwh_type_double() }}) as cost_in_usd,
        cast(external_website_conversions as {{ dbt.type_bigint() }}) as external_website_conversions,
        cast(external_website_post_click_conversions as {{ dbt.type_bigint() }})
            as external_website_post_click_conversions,
        cast(external_website_post_view_conversions as {{ dbt.type_bigint() }})
            as external_website_post_view_conversions,
        cast(conversion_value_in_local_currency as {{ adwh_type_double() }})
            as conversion_value_in_local_currency,
        cast(video_starts as {{ dbt.type_bigint() }}) as video_starts,
        cast(video_views as {{ dbt.type_bigint() }}) as video_views,
        cast(video_completions as {{ dbt.type_bigint() }}) as video_completions,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
