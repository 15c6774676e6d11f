with

source as (

    select * from {{ source('ga4', 'event_params') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(event_timestamp_us as {{ dbt.type_bigint() }}) as event_timestamp_us,
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(user_pseudo_id as {{ dbt.type_string() }}) as user_pseudo_id,
        cast(key as {{ dbt.type_string() }}) as param_key,
        cast(string_value as {{ dbt.type_string() }}) as string_value,
        cast(int_value as {{ dbt.type_bigint() }}) as int_value,
        cast(double_value as {{ adwh_type_double() }}) as double_value,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
