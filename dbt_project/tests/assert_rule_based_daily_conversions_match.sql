{#-
    Invariant (docs/architecture.md): for every rule-based model, the attributed conversions of a day
    (sum of credits by conversion_date) equal that day's de-duplicated GA4 conversions,
    and the attributed revenue equals the day's revenue. Tolerance: 1e-9 per conversion
    (floating-point sums).
-#}
{#- several parents: dagster-dbt attaches the check to the model in meta.dagster.ref -#}
{{
    config(
        enabled=var('ga4_enabled', true),
        meta={'dagster': {'ref': {'name': 'int_attribution__credits_rule_based'}}}
    )
}}

with

credits as (

    select * from {{ ref('int_attribution__credits_rule_based') }}

),

conversions as (

    select * from {{ ref('int_ga4__conversions_deduplicated') }}

),

model_names as (

    select 'first_touch' as model
    union all
    select 'last_touch'
    union all
    select 'last_non_direct'
    union all
    select 'linear'
    union all
    select 'position_based'
    union all
    select 'time_decay'

),

daily_conversions as (

    select
        conversion_date,
        count(*) as conversions,
        sum(revenue) as revenue

    from conversions
    group by conversion_date

),

expected as (

    select
        model_names.model,
        daily_conversions.*

    from daily_conversions
    cross join model_names

),

attributed as (

    select
        model,
        conversion_date,
        sum(credit) as conversions,
        sum(attributed_revenue) as revenue

    from credits
    group by
        model,
        conversion_date

)

select
    coalesce(expected.model, attributed.model) as model,
    coalesce(expected.conversion_date, attributed.conversion_date) as conversion_date,
    expected.conversions as expected_conversions,
    attributed.conversions as attributed_conversions,
    expected.revenue as expected_revenue,
    attributed.revenue as attributed_revenue

from expected
full outer join attributed
    on expected.model = attributed.model
    and expected.conversion_date = attributed.conversion_date
where expected.model is null
    or attributed.model is null
    or abs(expected.conversions - attributed.conversions) > 1e-9 * expected.conversions
    or abs(expected.revenue - attributed.revenue) > 1e-9 * (expected.revenue + 1)
