{%- set mailchimp_enabled = var('mailchimp_enabled', true) -%}
{%- set klaviyo_enabled = var('klaviyo_enabled', true) -%}
{{ config(enabled=(mailchimp_enabled or klaviyo_enabled)) }}

{#-
    Mailchimp and Klaviyo report LIFETIME totals per campaign as of each export. Daily
    figures = snapshot(D) − the previous snapshot of the same campaign (lag() over ALL
    snapshots, not only the incremental window: the table is tiny and the previous
    snapshot usually lies before the window). A campaign's first snapshot is its first
    day (the whole lifetime total so far). Differences can be negative when a platform
    corrects a lifetime total (e.g. late bounces or reclassified proxy opens); they are
    kept, so sums over any period equal the latest lifetime total.

    Klaviyo reports per campaign message and send channel: messages are added up to the
    campaign first. Its report carries no account: account_id = 'klaviyo'.
-#}

{%- set metrics = [
    'impressions', 'clicks', 'all_clicks', 'deliveries', 'conversions_unsplit', 'conversion_value_unsplit'
] -%}
{%- set parts = [] -%}
{%- if mailchimp_enabled -%}{%- do parts.append('mailchimp_lifetime') -%}{%- endif -%}
{%- if klaviyo_enabled -%}{%- do parts.append('klaviyo_lifetime') -%}{%- endif -%}

with

{% if mailchimp_enabled -%}
mailchimp_snapshots as (

    select * from {{ ref('stg_mailchimp__campaign_snapshots') }}

),

mailchimp_lifetime as (

    select
        report_date,
        'mailchimp' as platform,
        list_id as account_id,
        campaign_id,
        campaign_title as campaign_name,
        campaign_type,
        proxy_excluded_unique_opens as impressions,
        unique_subscriber_clicks as clicks,
        clicks_total as all_clicks,
        emails_sent - hard_bounces - soft_bounces as deliveries,
        cast(null as {{ adwh_type_double() }}) as conversions_unsplit,
        cast(null as {{ adwh_type_double() }}) as conversion_value_unsplit

    from mailchimp_snapshots

),

{% endif -%}
{% if klaviyo_enabled -%}
klaviyo_snapshots as (

    select * from {{ ref('stg_klaviyo__campaign_snapshots') }}

),

klaviyo_lifetime as (

    select
        report_date,
        'klaviyo' as platform,
        'klaviyo' as account_id,
        campaign_id,
        cast(null as {{ dbt.type_string() }}) as campaign_name,
        max(send_channel) as campaign_type,
        sum(opens_unique) as impressions,
        sum(clicks_unique) as clicks,
        sum(clicks) as all_clicks,
        sum(delivered) as deliveries,
        sum(conversions) as conversions_unsplit,
        sum(conversion_value) as conversion_value_unsplit

    from klaviyo_snapshots
    group by
        report_date,
        campaign_id

),

{% endif -%}
lifetime as (

    {% for part in parts -%}
    select * from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

differenced as (

    select
        report_date,
        platform,
        account_id,
        campaign_id,
        campaign_name,
        campaign_type,
        {% for metric in metrics -%}
        case
            when row_number() over (partition by platform, account_id, campaign_id order by report_date) = 1
                then {{ metric }}
            else {{ metric }}
                - lag({{ metric }}) over (partition by platform, account_id, campaign_id order by report_date)
        end as {{ metric }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from lifetime

),

final as (

    select
        report_date,
        platform,
        account_id,
        campaign_id,
        campaign_name,
        campaign_type,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(all_clicks as {{ dbt.type_bigint() }}) as all_clicks,
        cast(deliveries as {{ dbt.type_bigint() }}) as deliveries,
        cast(conversions_unsplit as {{ adwh_type_double() }}) as conversions_unsplit,
        cast(conversion_value_unsplit as {{ adwh_type_double() }}) as conversion_value_unsplit

    from differenced

)

select * from final
