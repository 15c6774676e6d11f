{#-
    For every attribution model and every day: Σ attributed_conversions in mart_attribution
    = the day's de-duplicated conversions (distinct conversion_id of the converting paths),
    within 1e-6. Lists the (model, day) pairs that differ; any row fails.
-#}
{#- several parents: dagster-dbt attaches the check to the model in meta.dagster.ref -#}
{{
    config(
        enabled=var('ga4_enabled', true),
        meta={'dagster': {'ref': {'name': 'mart_attribution'}}}
    )
}}

with

paths as (

    select * from {{ ref('int_attribution__paths_built') }}

),

attribution as (

    select * from {{ ref('mart_attribution') }}

),

all_models as (

    {% for name in adwh_attribution_models() -%}
    select '{{ name }}' as model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

conversions_by_day as (

    select
        conversion_date,
        count(distinct conversion_id) as conversions

    from paths
    where is_converting
    group by conversion_date

),

expected as (

    select
        all_models.model,
        conversions_by_day.conversion_date,
        conversions_by_day.conversions

    from conversions_by_day
    cross join all_models

),

attributed as (

    select
        model,
        conversion_date,
        sum(attributed_conversions) as attributed_conversions

    from attribution
    group by
        model,
        conversion_date

),

compared as (

    select
        coalesce(expected.model, attributed.model) as model,
        coalesce(expected.conversion_date, attributed.conversion_date) as conversion_date,
        coalesce(expected.conversions, 0) as expected_conversions,
        coalesce(attributed.attributed_conversions, 0) as attributed_conversions

    from expected
    full outer join attributed
        on attributed.model = expected.model
        and attributed.conversion_date = expected.conversion_date

)

select * from compared
where abs(attributed_conversions - expected_conversions) > 1e-6
