with

source as (

    select * from {{ source('meta_ads', 'ad_actions') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(date_start as date) as date_start,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(adset_id as {{ dbt.type_string() }}) as ad_set_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(action_type as {{ dbt.type_string() }}) as action_type,
        cast(attribution_window as {{ dbt.type_string() }}) as attribution_window,
        cast(value as {{ adwh_type_double() }}) as value,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
