{{
    config(
        enabled=var('ga4_enabled', true),
        materialized='table'
    )
}}

{#-
    Grain: report_date × platform. What each platform claims (its default windows, from
    mart_conversions_by_touch_type) next to the de-duplicated first-party (GA4)
    conversions that the last_non_direct model credits to a touch of that platform, and
    the day's total first-party conversions (one truth, against the sum of all claims).

    Rows: every (day, platform) the platform reported (fct_ad_performance_daily) or GA4
    credited conversions to. Claimed columns are NULL where the platform lacks the
    metric (Google / Meta / LinkedIn: no unsplit; Klaviyo: only unsplit; Mailchimp: none) or did
    not report that day (platform_reported = false); 0 where it reported and claimed none.

    Known limitation: a platform's report_date is the click / impression date in the
    account time zone; GA4's conversion_date is the purchase date in the property time
    zone, so a day's numbers are close, not identical (sum a few weeks to compare).
    Full rebuild (table): the inputs are small (GA4 conversions, daily claims), and the
    first-party side of past days moves when a later purchase changes a path.
-#}

{%- set F = adwh_type_double() -%}

with

performance as (

    select * from {{ ref('fct_ad_performance_daily') }}

),

touch_type_conversions as (

    select * from {{ ref('mart_conversions_by_touch_type') }}
    where is_default_window

),

credits as (

    select * from {{ ref('int_attribution__credits_rule_based') }}
    where model = 'last_non_direct'

),

reported as (

    select distinct
        report_date,
        platform
    from performance

),

claims as (

    select
        report_date,
        platform,
        sum(case when touch_type = 'click_through' then conversions end) as click_through,
        sum(case when touch_type = 'view_through' then conversions end) as view_through,
        sum(case when touch_type = 'unsplit' then conversions end) as unsplit

    from touch_type_conversions
    group by
        report_date,
        platform

),

first_party as (

    select
        conversion_date as report_date,
        platform,
        sum(credit) as conversions,
        sum(attributed_revenue) as revenue

    from credits
    where platform is not null
    group by
        conversion_date,
        platform

),

first_party_daily as (

    select
        conversion_date as report_date,
        sum(credit) as conversions,
        sum(attributed_revenue) as revenue

    from credits
    group by conversion_date

),

spine as (

    select report_date, platform from reported
    union
    select report_date, platform from first_party

),

joined as (

    select
        spine.report_date,
        spine.platform,
        reported.platform is not null as platform_reported,
        case
            when reported.platform is not null and spine.platform in ('google_ads', 'meta_ads', 'linkedin_ads')
                then coalesce(claims.click_through, 0)
        end as claimed_conversions_click_through,
        case
            when reported.platform is not null and spine.platform in ('google_ads', 'meta_ads', 'linkedin_ads')
                then coalesce(claims.view_through, 0)
        end as claimed_conversions_view_through,
        case
            when reported.platform is not null and spine.platform = 'klaviyo'
                then coalesce(claims.unsplit, 0)
        end as claimed_conversions_unsplit,
        coalesce(first_party.conversions, 0) as first_party_conversions,
        coalesce(first_party.revenue, 0) as first_party_revenue,
        coalesce(first_party_daily.conversions, 0) as total_first_party_conversions,
        coalesce(first_party_daily.revenue, 0) as total_first_party_revenue

    from spine
    left join reported
        on spine.report_date = reported.report_date
        and spine.platform = reported.platform
    left join claims
        on spine.report_date = claims.report_date
        and spine.platform = claims.platform
    left join first_party
        on spine.report_date = first_party.report_date
        and spine.platform = first_party.platform
    left join first_party_daily
        on spine.report_date = first_party_daily.report_date

),

totals as (

    select
        *,
        case
            when platform in ('google_ads', 'meta_ads', 'linkedin_ads') and platform_reported
                then claimed_conversions_click_through + claimed_conversions_view_through
            when platform = 'klaviyo' and platform_reported
                then claimed_conversions_unsplit
        end as claimed_conversions_total

    from joined

),

final as (

    select
        report_date,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(platform_reported as {{ dbt.type_boolean() }}) as platform_reported,
        cast(claimed_conversions_click_through as {{ F }}) as claimed_conversions_click_through,
        cast(claimed_conversions_view_through as {{ F }}) as claimed_conversions_view_through,
        cast(claimed_conversions_unsplit as {{ F }}) as claimed_conversions_unsplit,
        cast(claimed_conversions_total as {{ F }}) as claimed_conversions_total,
        cast(first_party_conversions as {{ F }}) as first_party_conversions,
        cast(first_party_revenue as {{ F }}) as first_party_revenue,
        cast(claimed_conversions_total / nullif(first_party_conversions, 0) as {{ F }}) as over_claim_ratio,
        cast(total_first_party_conversions as {{ F }}) as total_first_party_conversions,
        cast(total_first_party_revenue as {{ F }}) as total_first_party_revenue

    from totals

)

select * from final
