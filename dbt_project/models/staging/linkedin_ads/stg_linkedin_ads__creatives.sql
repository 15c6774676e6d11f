with

source as (

    select * from {{ source('linkedin_ads', 'creatives') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(creative_id as {{ dbt.type_string() }}) as creative_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(creative_name as {{ dbt.type_string() }}) as creative_name,
        cast(intended_status as {{ dbt.type_string() }}) as intended_status,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
