{{ config(enabled=adwh_source_enabled('ga4')) }}

{#-
    Multi-touch attribution next to spend (DESIGN §5, §5a). Grain: conversion_date ×
    channel × campaign_id × model.

    * Rule-based models (first_touch … time_decay): int_attribution__credits_rule_based.
    * markov / shapley: each conversion's credit (1) is split among the distinct channels
      on ITS path in proportion to the channels' shares (mart_attribution_channel_weights),
      normalised over the channels present on that path; a channel's credit within the
      path is split equally among that channel's touches (which carry the campaign).
      Fallback: when every channel on the path has share 0 (or no weight, e.g. a channel
      not seen in the model window) the path is credited linearly (1 / n_touches per touch).
      The weights come from the model window; they are applied to every conversion.
    * Spend: fct_ad_performance_daily summed per report_date × channel × campaign_id, FULL
      OUTER joined (for every model) on conversion_date = report_date, channel and
      campaign_id (GA4's campaign id is the platform's). A row exists when the model
      attributed a conversion to it or when it had non-zero spend; spend without
      attributed conversions shows 0 conversions. Attributed rows without a campaign
      (Direct, organic) carry NULL spend.
    So every model's attributed conversions of a day sum to that day's conversions.
-#}

with

paths as (

    select * from {{ ref('int_attribution__paths_built') }}

),

rule_based_credits as (

    select * from {{ ref('int_attribution__credits_rule_based') }}

),

weights as (

    select * from {{ ref('mart_attribution_channel_weights') }}

),

{% if adwh_any_source_enabled(adwh_ad_platforms()) -%}
performance as (

    select * from {{ ref('fct_ad_performance_daily') }}

),
{%- endif %}

data_driven_models as (

    {% for name in adwh_data_driven_attribution_models() -%}
    select '{{ name }}' as model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

all_models as (

    {% for name in adwh_attribution_models() -%}
    select '{{ name }}' as model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

converting_touches as (

    select
        path_id,
        conversion_id,
        conversion_date,
        revenue,
        touch_index,
        channel,
        campaign_id

    from paths
    where is_converting

),

path_channels as (

    select
        path_id,
        channel,
        count(*) as channel_touches

    from converting_touches
    group by
        path_id,
        channel

),

path_channel_shares as (

    select
        path_channels.path_id,
        data_driven_models.model,
        path_channels.channel,
        path_channels.channel_touches,
        coalesce(weights.share, 0) as share

    from path_channels
    cross join data_driven_models
    left join weights
        on weights.model = data_driven_models.model
        and weights.channel = path_channels.channel

),

path_totals as (

    select
        path_id,
        model,
        sum(share) as total_share,
        sum(channel_touches) as n_touches

    from path_channel_shares
    group by
        path_id,
        model

),

channel_credits as (

    select
        path_channel_shares.path_id,
        path_channel_shares.model,
        path_channel_shares.channel,
        path_channel_shares.channel_touches,
        case
            when path_totals.total_share > 0
                then path_channel_shares.share / path_totals.total_share
            {# every channel of the path has share 0: linear fallback #}
            else cast(path_channel_shares.channel_touches as {{ adwh_type_double() }}) / path_totals.n_touches
        end as channel_credit

    from path_channel_shares
    inner join path_totals
        on path_totals.path_id = path_channel_shares.path_id
        and path_totals.model = path_channel_shares.model

),

data_driven_credits as (

    select
        channel_credits.model,
        converting_touches.conversion_date,
        converting_touches.channel,
        converting_touches.campaign_id,
        channel_credits.channel_credit / channel_credits.channel_touches as credit,
        channel_credits.channel_credit / channel_credits.channel_touches * converting_touches.revenue
            as attributed_revenue

    from converting_touches
    inner join channel_credits
        on channel_credits.path_id = converting_touches.path_id
        and channel_credits.channel = converting_touches.channel

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

    {% if adwh_any_source_enabled(adwh_ad_platforms()) -%}
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
    {%- else -%}
    {#- no ad platform switched on: no spend -#}
    select
        cast(null as date) as report_date,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ adwh_type_double() }}) as spend_reporting
    where 1 = 0
    {%- endif %}

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
