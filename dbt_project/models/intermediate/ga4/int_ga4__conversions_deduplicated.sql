{{
    config(
        enabled=var('ga4_enabled', true),
        materialized='incremental',
        incremental_strategy=adwh_incremental_strategy(),
        partition_by=(['conversion_date'] if target.type == 'spark' else none),
        file_format=('parquet' if target.type == 'spark' else none),
        on_schema_change='fail',
        pre_hook="{{ adwh_delete_from_window_start('conversion_date') }}"
    )
}}

{#-
    Attribution conversions (docs/architecture.md): one row per GA4 purchase transaction_id. GA4 may send a
    purchase more than once (page reload): the first reported event of a transaction_id is
    kept (earliest report date, then event time, file, line: in a GA4 export the report date
    is the event's date, so this is the earliest event). Revenue = ecommerce.purchase_revenue, assumed to be in
    the reporting currency (the property's currency; no FX is applied — GA4 exports report
    in the property currency, set it to the reporting currency). A purchase without
    revenue counts as a conversion with revenue 0.

    session_key = the converting session (same user_pseudo_id + ga_session_id of the
    purchase event); NULL when the purchase carries no ga_session_id.
    conversion_date = the GA4 report date (event_date, property time zone).

    Incremental by conversion_date from the window's first day on, like
    int_ga4__sessions_classified: a run re-reads the events reported since that day and
    replaces every conversion dated since then; a purchase re-sent inside the window for a
    transaction already dated before it (a reload just after midnight) is dropped, as the
    full build drops it.
-#}

with

events as (

    select * from {{ ref('stg_ga4__events') }}
    {% if is_incremental() -%}
    where {{ adwh_from_window_start_predicate('report_date') }}
    {%- endif %}

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
            order by report_date, event_timestamp_us, source_file, record_number
        ) as event_rank

    from events
    where event_name = 'purchase'
        and transaction_id is not null

),

{% if is_incremental() -%}
conversions_before_window as (

    select conversion_id from {{ this }}
    where conversion_date < cast('{{ adwh_min_date() }}' as date)

),

{% endif -%}
first_purchases as (

    select purchases.* from purchases
    {% if is_incremental() -%}
    left join conversions_before_window
        on purchases.transaction_id = conversions_before_window.conversion_id
    {%- endif %}
    where purchases.event_rank = 1
    {% if is_incremental() -%}
        and conversions_before_window.conversion_id is null
    {%- endif %}

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

    from first_purchases

)

select * from final
