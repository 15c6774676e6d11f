{#-
    One row per platform row with the unified columns of fct_ad_performance_daily, mapped
    per docs/architecture.md (the same mapping is the seed metric_definitions). Metrics a
    platform lacks are NULL, never 0. Money stays in the account currency here; channel and
    FX are applied in the fact.

    This model is the one place that names the platforms of the fact: it unions the
    platforms whose var `<source>_enabled` is true (default true). It is always enabled —
    with no ad or e-mail platform switched on it is an empty relation with the unified
    columns — so the fact and the marts downstream need no "is any platform on" switch.
-#}

{%- set google_ads_enabled = var('google_ads_enabled', true) -%}
{%- set meta_ads_enabled = var('meta_ads_enabled', true) -%}
{%- set linkedin_ads_enabled = var('linkedin_ads_enabled', true) -%}
{#- int_email__snapshots_differenced is enabled with either e-mail platform -#}
{%- set email_enabled = var('mailchimp_enabled', true) or var('klaviyo_enabled', true) -%}
{%- set parts = [] -%}
{%- if google_ads_enabled -%}{%- do parts.append('google_ads') -%}{%- endif -%}
{%- if meta_ads_enabled -%}{%- do parts.append('meta_ads') -%}{%- endif -%}
{%- if linkedin_ads_enabled -%}{%- do parts.append('linkedin_ads') -%}{%- endif -%}
{%- if email_enabled -%}{%- do parts.append('email') -%}{%- endif -%}
{%- set S = dbt.type_string() -%}
{%- set B = dbt.type_bigint() -%}
{%- set F = adwh_type_double() -%}

with

{% if google_ads_enabled -%}
google_ads_stats as (

    select * from {{ ref('stg_google_ads__ad_stats') }}

),

google_ads as (

    select
        report_date,
        'google_ads' as platform,
        customer_id as account_id,
        customer_name as account_name,
        time_zone as account_timezone,
        campaign_id,
        campaign_name,
        advertising_channel_type as campaign_type,
        ad_group_id,
        ad_group_name,
        ad_id,
        currency_code as currency,
        cast(cost_micros as {{ F }}) / 1000000.0 as spend,
        impressions,
        clicks,
        interactions as all_clicks,
        cast(null as {{ B }}) as deliveries,
        cast(conversions as {{ F }}) as conversions_click_through,
        cast(view_through_conversions as {{ F }}) as conversions_view_through,
        conversions_value as conversion_value_click_through,
        cast(null as {{ F }}) as conversion_value_view_through,
        cast(null as {{ F }}) as conversions_unsplit,
        cast(null as {{ F }}) as conversion_value_unsplit,
        -- video (seed metric_definitions): no start count; views = TrueView views; completions
        -- = impressions x video_quartile_p100_rate rounded half away from zero (the API reports
        -- only the rate). VIDEO campaigns measure video; elsewhere a 0 means "no video": NULL.
        -- NULL in the raw layer (not selected by the query, UI downloads) stays NULL.
        cast(null as {{ B }}) as video_starts,
        case
            when advertising_channel_type = 'VIDEO' or video_trueview_views > 0
                then video_trueview_views
        end as video_views,
        case
            when advertising_channel_type = 'VIDEO' or video_quartile_p100_rate > 0
                then cast(round(impressions * video_quartile_p100_rate, 0) as {{ B }})
        end as video_completions

    from google_ads_stats

),

{% endif -%}
{% if meta_ads_enabled -%}
meta_ads_insights as (

    select * from {{ ref('stg_meta_ads__ad_insights') }}

),

meta_ads_conversions as (

    select * from {{ ref('int_meta_ads__conversions_pivoted') }}

),

{#-
    Meta's 3-second video views are the action type video_view of `actions`, under the
    account's attribution setting (window `default`, the plain `value`).
-#}
meta_ads_video_views as (

    select
        report_date,
        account_id,
        ad_id,
        sum(value) as video_views
    from {{ ref('stg_meta_ads__ad_actions') }}
    where
        kind = 'action'
        and action_type = 'video_view'
        and attribution_window = 'default'
    group by
        report_date,
        account_id,
        ad_id

),

meta_ads as (

    select
        meta_ads_insights.report_date,
        'meta_ads' as platform,
        meta_ads_insights.account_id,
        meta_ads_insights.account_name,
        meta_ads_insights.account_timezone,
        meta_ads_insights.campaign_id,
        meta_ads_insights.campaign_name,
        cast(null as {{ S }}) as campaign_type,
        meta_ads_insights.ad_set_id as ad_group_id,
        meta_ads_insights.ad_set_name as ad_group_name,
        meta_ads_insights.ad_id,
        meta_ads_insights.account_currency as currency,
        meta_ads_insights.spend,
        meta_ads_insights.impressions,
        meta_ads_insights.inline_link_clicks as clicks,
        meta_ads_insights.clicks as all_clicks,
        cast(null as {{ B }}) as deliveries,
        -- Meta has conversions: an ad/day without a configured action type had none (0)
        coalesce(meta_ads_conversions.conversions_click_through, 0) as conversions_click_through,
        coalesce(meta_ads_conversions.conversions_view_through, 0) as conversions_view_through,
        coalesce(meta_ads_conversions.conversion_value_click_through, 0) as conversion_value_click_through,
        coalesce(meta_ads_conversions.conversion_value_view_through, 0) as conversion_value_view_through,
        cast(null as {{ F }}) as conversions_unsplit,
        cast(null as {{ F }}) as conversion_value_unsplit,
        -- video (seed metric_definitions): starts = video_play_actions, views = 3-second plays
        -- (actions video_view), completions = video_p100_watched_actions. Meta omits a video
        -- field for an ad without video and for a zero count: an ad with plays is a video ad,
        -- so there an absent view / completion count is 0; without plays all stay NULL.
        meta_ads_insights.video_play_actions as video_starts,
        case
            when meta_ads_insights.video_play_actions is not null
                then coalesce(cast(meta_ads_video_views.video_views as {{ B }}), 0)
            else cast(meta_ads_video_views.video_views as {{ B }})
        end as video_views,
        case
            when meta_ads_insights.video_play_actions is not null
                then coalesce(meta_ads_insights.video_p100_watched_actions, 0)
            else meta_ads_insights.video_p100_watched_actions
        end as video_completions

    from meta_ads_insights
    left join meta_ads_conversions
        on meta_ads_insights.report_date = meta_ads_conversions.report_date
        and meta_ads_insights.account_id = meta_ads_conversions.account_id
        and meta_ads_insights.ad_id = meta_ads_conversions.ad_id
    left join meta_ads_video_views
        on meta_ads_insights.report_date = meta_ads_video_views.report_date
        and meta_ads_insights.account_id = meta_ads_video_views.account_id
        and meta_ads_insights.ad_id = meta_ads_video_views.ad_id

),

{% endif -%}
{% if linkedin_ads_enabled -%}
{#-
    LinkedIn: adAnalytics per creative and day, joined to the lookups saved beside it. The
    lookups are the state at pull time (not as of the report date), so the latest saved
    version of each account / campaign / creative is the best knowledge of it. Mapping (seed
    metric_definitions): clicks = landingPageClicks, all_clicks = clicks, spend =
    costInLocalCurrency, click-/view-through = externalWebsitePostClickConversions /
    externalWebsitePostViewConversions. conversionValueInLocalCurrency covers post-click and
    post-view together, so it is in neither split value column (NULL there). Video metrics
    are measured only in video campaigns (format SINGLE_VIDEO): elsewhere LinkedIn's 0 means
    "no video", NULL here.
-#}
linkedin_ads_analytics as (

    select * from {{ ref('stg_linkedin_ads__ad_analytics') }}

),

linkedin_ads_creatives_versions as (

    select
        *,
        row_number() over (
            partition by creative_id
            order by report_date desc, source_file desc, record_number desc
        ) as version_rank
    from {{ ref('stg_linkedin_ads__creatives') }}

),

linkedin_ads_creatives as (

    select * from linkedin_ads_creatives_versions
    where version_rank = 1

),

linkedin_ads_campaigns_versions as (

    select
        *,
        row_number() over (
            partition by campaign_id
            order by report_date desc, source_file desc, record_number desc
        ) as version_rank
    from {{ ref('stg_linkedin_ads__ad_campaigns') }}

),

linkedin_ads_campaigns as (

    select * from linkedin_ads_campaigns_versions
    where version_rank = 1

),

linkedin_ads_accounts_versions as (

    select
        *,
        row_number() over (
            partition by account_id
            order by report_date desc, source_file desc, record_number desc
        ) as version_rank
    from {{ ref('stg_linkedin_ads__ad_accounts') }}

),

linkedin_ads_accounts as (

    select * from linkedin_ads_accounts_versions
    where version_rank = 1

),

linkedin_ads as (

    select
        linkedin_ads_analytics.report_date,
        'linkedin_ads' as platform,
        linkedin_ads_campaigns.account_id,
        linkedin_ads_accounts.account_name,
        -- adAnalytics days are UTC
        'UTC' as account_timezone,
        linkedin_ads_creatives.campaign_id,
        linkedin_ads_campaigns.campaign_name,
        linkedin_ads_campaigns.campaign_type,
        cast(null as {{ S }}) as ad_group_id,
        cast(null as {{ S }}) as ad_group_name,
        linkedin_ads_analytics.creative_id as ad_id,
        linkedin_ads_accounts.currency,
        linkedin_ads_analytics.cost_in_local_currency as spend,
        linkedin_ads_analytics.impressions,
        linkedin_ads_analytics.landing_page_clicks as clicks,
        linkedin_ads_analytics.clicks as all_clicks,
        cast(null as {{ B }}) as deliveries,
        cast(linkedin_ads_analytics.external_website_post_click_conversions as {{ F }})
            as conversions_click_through,
        cast(linkedin_ads_analytics.external_website_post_view_conversions as {{ F }})
            as conversions_view_through,
        cast(null as {{ F }}) as conversion_value_click_through,
        cast(null as {{ F }}) as conversion_value_view_through,
        cast(null as {{ F }}) as conversions_unsplit,
        cast(null as {{ F }}) as conversion_value_unsplit,
        case
            when linkedin_ads_campaigns.campaign_format = 'SINGLE_VIDEO'
                then linkedin_ads_analytics.video_starts
        end as video_starts,
        case
            when linkedin_ads_campaigns.campaign_format = 'SINGLE_VIDEO'
                then linkedin_ads_analytics.video_views
        end as video_views,
        case
            when linkedin_ads_campaigns.campaign_format = 'SINGLE_VIDEO'
                then linkedin_ads_analytics.video_completions
        end as video_completions

    from linkedin_ads_analytics
    left join linkedin_ads_creatives
        on linkedin_ads_analytics.creative_id = linkedin_ads_creatives.creative_id
    left join linkedin_ads_campaigns
        on linkedin_ads_creatives.campaign_id = linkedin_ads_campaigns.campaign_id
    left join linkedin_ads_accounts
        on linkedin_ads_campaigns.account_id = linkedin_ads_accounts.account_id

),

{% endif -%}
{% if email_enabled -%}
email_daily as (

    select * from {{ ref('int_email__snapshots_differenced') }}

),

email as (

    select
        report_date,
        platform,
        account_id,
        cast(null as {{ S }}) as account_name,
        cast(null as {{ S }}) as account_timezone,
        campaign_id,
        campaign_name,
        campaign_type,
        cast(null as {{ S }}) as ad_group_id,
        cast(null as {{ S }}) as ad_group_name,
        cast(null as {{ S }}) as ad_id,
        cast(null as {{ S }}) as currency,
        cast(0 as {{ F }}) as spend,
        impressions,
        clicks,
        all_clicks,
        deliveries,
        cast(null as {{ F }}) as conversions_click_through,
        cast(null as {{ F }}) as conversions_view_through,
        cast(null as {{ F }}) as conversion_value_click_through,
        cast(null as {{ F }}) as conversion_value_view_through,
        conversions_unsplit,
        conversion_value_unsplit,
        cast(null as {{ B }}) as video_starts,
        cast(null as {{ B }}) as video_views,
        cast(null as {{ B }}) as video_completions

    from email_daily

),

{% endif -%}
unioned as (

    {% for part in parts -%}
    select * from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% else -%}
    {#- no ad or e-mail platform switched on: no rows (the final CTE types the columns) -#}
    select
        cast(null as date) as report_date,
        null as platform,
        null as account_id,
        null as account_name,
        null as account_timezone,
        null as campaign_id,
        null as campaign_name,
        null as campaign_type,
        null as ad_group_id,
        null as ad_group_name,
        null as ad_id,
        null as currency,
        null as spend,
        null as impressions,
        null as clicks,
        null as all_clicks,
        null as deliveries,
        null as conversions_click_through,
        null as conversions_view_through,
        null as conversion_value_click_through,
        null as conversion_value_view_through,
        null as conversions_unsplit,
        null as conversion_value_unsplit,
        null as video_starts,
        null as video_views,
        null as video_completions
    where 1 = 0
    {% endfor %}

),

final as (

    select
        report_date,
        cast(platform as {{ S }}) as platform,
        cast(account_id as {{ S }}) as account_id,
        cast(account_name as {{ S }}) as account_name,
        cast(account_timezone as {{ S }}) as account_timezone,
        cast(campaign_id as {{ S }}) as campaign_id,
        cast(campaign_name as {{ S }}) as campaign_name,
        cast(campaign_type as {{ S }}) as campaign_type,
        cast(ad_group_id as {{ S }}) as ad_group_id,
        cast(ad_group_name as {{ S }}) as ad_group_name,
        cast(ad_id as {{ S }}) as ad_id,
        cast(currency as {{ S }}) as currency,
        cast(spend as {{ F }}) as spend,
        cast(impressions as {{ B }}) as impressions,
        cast(clicks as {{ B }}) as clicks,
        cast(all_clicks as {{ B }}) as all_clicks,
        cast(deliveries as {{ B }}) as deliveries,
        cast(conversions_click_through as {{ F }}) as conversions_click_through,
        cast(conversions_view_through as {{ F }}) as conversions_view_through,
        cast(conversion_value_click_through as {{ F }}) as conversion_value_click_through,
        cast(conversion_value_view_through as {{ F }}) as conversion_value_view_through,
        cast(conversions_unsplit as {{ F }}) as conversions_unsplit,
        cast(conversion_value_unsplit as {{ F }}) as conversion_value_unsplit,
        cast(video_starts as {{ B }}) as video_starts,
        cast(video_views as {{ B }}) as video_views,
        cast(video_completions as {{ B }}) as video_completions

    from unioned

)

select * from final
