{{ config(enabled=var('ga4_enabled', true)) }}

{#-
    Multi-touch attribution next to spend (docs/architecture.md). Grain: conversion_date ×
    channel × campaign_id × model.

    * Credits per touch: the rule-based models (first_touch … time_decay) from
      int_attribution__credits_rule_based, markov / shapley from
      int_attribution__credits_data_driven (each conversion's credit split among the
      channels on its path in proportion to their shares), summed here per day × channel
      × campaign × model.
    * Spend: fct_ad_performance_daily summed per report_date × channel × campaign_id, FULL
      OUTER joined (for every model) on conversion_date = report_date, channel and
      campaign_id (GA4's campaign id is the platform's). A row exists when the model
      attributed a conversion to it or when it had non-zero spend; spend without
      attributed conversions shows 0 conversions. Attributed rows without a campaign
      (Direct, organic) carry NULL spend; with no ad platform switched on the fact is empty
      and so is all spend.
    So every model's attributed conversions of a day sum to that day's conversions.
-#}

with

rule_based_credits as (

    select * from {{ ref('int_attribution__credits_rule_based') }}

),

data_driven_credits as (

    select * from {{ ref('int_attribution__credits_data_driven') }}

),

performance as (

    select * from {{ ref('fct_ad_performance_daily') }}

),

all_models as (

    {% for name in adwh_attribution_models() -%}
    select '{{ name }}' as model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

credits as (

    select
        model,
        conversion_date,
        channel,
        campaign_id,
        cast(credit as {{ adwh_type_double() }}) as credit,
        cast(attributed_revenue as {{ adwh_type_double() }}) as attributed_revenue

    from rule_based_credits

    union all

    select
        model,
        conversion_date,
        channel,
        campaign_id,
        cast(credit as {{ adwh_type_double() }}) as credit,
        cast(attributed_revenue as {{ adwh_type_double() }}) as attributed_revenue

    from data_driven_credits

),

attributed as (

    select
        conversion_date,
        channel,
        campaign_id,
        model,
        sum(credit) as attributed_conversions,
        sum(attributed_revenue) as attributed_revenue

    from credits
    group by
        conversion_date,
        channel,
        campaign_id,
        model

),

spend_by_campaign as (

    select
        report_date,
        channel,
        campaign_id,
        sum(spend_reporting) as spend_reporting

    from performance
    group by
        report_date,
        channel,
        campaign_id

),

spend as (

    select
        spend_by_campaign.report_date,
        spend_by_campaign.channel,
        spend_by_campaign.campaign_id,
        all_models.model,
        spend_by_campaign.spend_reporting

    from spend_by_campaign
    cross join all_models

),

joined as (

    select
        coalesce(attributed.conversion_date, spend.report_date) as conversion_date,
        coalesce(attributed.channel, spend.channel) as channel,
        coalesce(attributed.campaign_id, spend.campaign_id) as campaign_id,
        coalesce(attributed.model, spend.model) as model,
        coalesce(attributed.attributed_conversions, 0) as attributed_conversions,
        coalesce(attributed.attributed_revenue, 0) as attributed_revenue,
        spend.spend_reporting,
        attributed.model as attributed_model

    from attributed
    full outer join spend
        on spend.report_date = attributed.conversion_date
        and spend.channel = attributed.channel
        and spend.campaign_id = attributed.campaign_id
        and spend.model = attributed.model

),

final as (

    select
        cast(conversion_date as date) as conversion_date,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(attributed_conversions as {{ adwh_type_double() }}) as attributed_conversions,
        cast(attributed_revenue as {{ adwh_type_double() }}) as attributed_revenue,
        cast(spend_reporting as {{ adwh_type_double() }}) as spend_reporting,
        cast(attributed_revenue / nullif(spend_reporting, 0) as {{ adwh_type_double() }}) as roas

    from joined
    where attributed_model is not null
        or spend_reporting <> 0

)

select * from final
