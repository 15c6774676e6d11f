{{ config(enabled=var('ga4_enabled', true)) }}

{#-
    Attribution conversions (docs/architecture.md): one row per GA4 purchase transaction_id. GA4 may send a
    purchase more than once (page reload): the earliest event of a transaction_id is kept
    (ties: report date, file, line). Revenue = ecommerce.purchase_revenue, assumed to be in
    the reporting currency (the property's currency; no FX is applied — GA4 exports report
    in the property currency, set it to the reporting currency). A purchase without
    revenue counts as a conversion with revenue 0.

    session_key = the converting session (same user_pseudo_id + ga_session_id of the
    purchase event); NULL when the purchase carries no ga_session_id.
    conversion_date = the GA4 report date (event_date, property time zone).
-#}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

purchases as (

    select
        transaction_id,
        user_pseudo_id,
        ga_session_id,
        event_ts_utc,
        report_date,
        purchase_revenue,
        row_number() over (
            partition by transaction_id
            order by event_timestamp_us, report_date, source_file, record_number
        ) as event_rank

    from events
    where event_name = 'purchase'
        and transaction_id is not null

),

final as (

    select
        cast(transaction_id as {{ dbt.type_string() }}) as conversion_id,
        cast(user_pseudo_id as {{ dbt.type_string() }}) as user_pseudo_id,
        cast(event_ts_utc as {{ dbt.type_timestamp() }}) as conversion_ts,
        cast(report_date as date) as conversion_date,
        cast(coalesce(purchase_revenue, 0) as {{ adwh_type_double() }}) as revenue,
        cast(
            case
                when ga_session_id is not null
                    then {{ dbt.concat(["user_pseudo_id", "'-'", "cast(ga_session_id as " ~ dbt.type_string() ~ ")"]) }}
            end
            as {{ dbt.type_string() }}
        ) as session_key

    from purchases
    where event_rank = 1

)

select * from final
