{{ config(materialized='table') }}

{#-
    MetricFlow's daily time spine (the `time_spine` config in _semantic__models.yml): one row
    per day from 2020-01-01 to 2030-12-31 (4,018 rows, rebuilt in milliseconds; the macro's
    end date is exclusive). Built with dbt's portable date_spine macro (DuckDB and Spark).
    MetricFlow joins metrics to it only for time-spine features (join_to_timespine,
    cumulative and offset metrics). Extend the range before data reaches 2031.
-#}

with

days as (

    {{ dbt.date_spine('day', "cast('2020-01-01' as date)", "cast('2031-01-01' as date)") }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
