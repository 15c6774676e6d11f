{#-
    Invariant (docs/architecture.md): for every rule-based model, each conversion's credits sum to 1
    (tolerance 1e-9), and every de-duplicated conversion is credited by every model.
    Lists the offending (model, conversion); any row fails the build. Checks the conversions
    reported since the run window's first day (all of them without a window): the rule-based
    credits are incremental, a run rebuilds only those.
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
    where conversion_date >= cast('{{ adwh_min_date() }}' as date)

),

conversions as (

    select * from {{ ref('int_ga4__conversions_deduplicated') }}
    where conversion_date >= cast('{{ adwh_min_date() }}' as date)

),

models as (

    select distinct model from credits

),

per_conversion as (

    select
        model,
        conversion_id,
        sum(credit) as credit_sum

    from credits
    group by
        model,
        conversion_id

),

expected as (

    select
        models.model,
        conversions.conversion_id

    from conversions
    cross join models

)

select
    expected.model,
    expected.conversion_id,
    per_conversion.credit_sum

from expected
left join per_conversion
    on expected.model = per_conversion.model
    and expected.conversion_id = per_conversion.conversion_id
where per_conversion.credit_sum is null
    or abs(per_conversion.credit_sum - 1) > 1e-9
