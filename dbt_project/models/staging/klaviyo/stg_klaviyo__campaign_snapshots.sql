with

source as (

    select * from {{ source('klaviyo', 'campaign_snapshots') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(send_channel as {{ dbt.type_string() }}) as send_channel,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_message_id as {{ dbt.type_string() }}) as campaign_message_id,
        cast(recipients as {{ dbt.type_bigint() }}) as recipients,
        cast(delivered as {{ dbt.type_bigint() }}) as delivered,
        cast(bounced as {{ dbt.type_bigint() }}) as bounced,
        cast(opens as {{ dbt.type_bigint() }}) as opens,
        cast(opens_unique as {{ dbt.type_bigint() }}) as opens_unique,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(clicks_unique as {{ dbt.type_bigint() }}) as clicks_unique,
        cast(unsubscribes as {{ dbt.type_bigint() }}) as unsubscribes,
        cast(conversions as {{ adwh_type_double() }}) as conversions,
        cast(conversion_value as {{ adwh_type_double() }}) as conversion_value,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
