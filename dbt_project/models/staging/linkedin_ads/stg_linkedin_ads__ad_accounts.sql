with

source as (

    select * from {{ source('linkedin_ads', 'ad_accounts') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(account_name as {{ dbt.type_string() }}) as account_name,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(account_type as {{ dbt.type_string() }}) as account_type,
        cast(account_status as {{ dbt.type_string() }}) as account_status,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
