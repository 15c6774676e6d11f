with

source as (

    select * from {{ source('linkedin_ads', 'ad_campaigns') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(campaign_group_id as {{ dbt.type_string() }}) as campaign_group_id,
        cast(campaign_type as {{ dbt.type_string() }}) as campaign_type,
        cast(campaign_format as {{ dbt.type_string() }}) as campaign_format,
        cast(objective_type as {{ dbt.type_string() }}) as objective_type,
        cast(campaign_status as {{ dbt.type_string() }}) as campaign_status,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
