with

source as (

    select * from {{ source('mailchimp', 'campaign_snapshots') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_title as {{ dbt.type_string() }}) as campaign_title,
        cast(list_id as {{ dbt.type_string() }}) as list_id,
        cast(subject_line as {{ dbt.type_string() }}) as subject_line,
        cast(campaign_type as {{ dbt.type_string() }}) as campaign_type,
        {{ adwh_utc_timestamp('send_time') }} as send_time_utc,
        cast(emails_sent as {{ dbt.type_bigint() }}) as emails_sent,
        cast(hard_bounces as {{ dbt.type_bigint() }}) as hard_bounces,
        cast(soft_bounces as {{ dbt.type_bigint() }}) as soft_bounces,
        cast(syntax_errors as {{ dbt.type_bigint() }}) as syntax_errors,
        cast(opens_total as {{ dbt.type_bigint() }}) as opens_total,
        cast(unique_opens as {{ dbt.type_bigint() }}) as unique_opens,
        cast(proxy_excluded_opens as {{ dbt.type_bigint() }}) as proxy_excluded_opens,
        cast(proxy_excluded_unique_opens as {{ dbt.type_bigint() }}) as proxy_excluded_unique_opens,
        cast(clicks_total as {{ dbt.type_bigint() }}) as clicks_total,
        cast(unique_clicks as {{ dbt.type_bigint() }}) as unique_clicks,
        cast(unique_subscriber_clicks as {{ dbt.type_bigint() }}) as unique_subscriber_clicks,
        cast(unsubscribed as {{ dbt.type_bigint() }}) as unsubscribed,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(record_number as {{ dbt.type_bigint() }}) as record_number

    from source

),

final as (

    select * from renamed

)

select * from final
