{%- set mailchimp_enabled = var('mailchimp_enabled', true) -%}
{%- set klaviyo_enabled = var('klaviyo_enabled', true) -%}
{{
    config(
        enabled=(mailchimp_enabled or klaviyo_enabled),
        materialized='incremental',
        incremental_strategy=adwh_incremental_strategy(),
        partition_by=(['report_date'] if target.type == 'spark' else none),
        file_format=('parquet' if target.type == 'spark' else none),
        on_schema_change='fail',
        pre_hook="{{ adwh_delete_window() }}"
    )
}}

{#-
    Mailchimp and Klaviyo report LIFETIME totals per campaign as of each export. Daily
    figures = snapshot(D) − the previous snapshot of the same campaign. A campaign's first
    snapshot is its first day (the whole lifetime total so far). Differences can be
    negative when a platform corrects a lifetime total (e.g. late bounces or reclassified
    proxy opens); they are kept, so sums over any period equal the latest lifetime total.

    Klaviyo reports per campaign message and send channel: messages are added up to the
    campaign first. Its report carries no account: account_id = 'klaviyo'.

    Incremental by report_date like the fact (macros/incremental_window.sql): a nightly run
    reads only the window's snapshots. The previous snapshot of a campaign usually lies
    before the window, so every row also keeps the lifetime totals it was differenced from
    (<metric>_lifetime): the campaign's latest row before the window in this table stands
    in for its last earlier snapshot, however long ago it was. The window ends one day
    after the partitions (adwh_window_end), so the day after a restated snapshot is
    differenced again. A full refresh differences every snapshot.
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
    {% if is_incremental() -%}
    where {{ adwh_window_predicate('report_date') }}
    {%- endif %}

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
    {% if is_incremental() -%}
    where {{ adwh_window_predicate('report_date') }}
    {%- endif %}

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
    select
        *,
        true as in_window
    from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

{% if is_incremental() -%}
rows_before_window as (

    select
        *,
        row_number() over (
            partition by platform, account_id, campaign_id
            order by report_date desc
        ) as recency_rank

    from {{ this }}
    where report_date < cast('{{ adwh_min_date() }}' as date)

),

snapshots as (

    select * from lifetime

    union all

    -- each campaign's last snapshot before the window, to difference the window against
    -- (the columns of mailchimp_lifetime / klaviyo_lifetime, in their order)
    select
        report_date,
        platform,
        account_id,
        campaign_id,
        campaign_name,
        campaign_type,
        {% for metric in metrics -%}
        {{ metric }}_lifetime as {{ metric }},
        {% endfor -%}
        false as in_window

    from rows_before_window
    where recency_rank = 1

),

{% else -%}
snapshots as (

    select * from lifetime

),

{% endif -%}
differenced as (

    select
        report_date,
        platform,
        account_id,
        campaign_id,
        campaign_name,
        campaign_type,
        in_window,
        {% for metric in metrics -%}
        {{ metric }} as {{ metric }}_lifetime,
        case
            when row_number() over (partition by platform, account_id, campaign_id order by report_date) = 1
                then {{ metric }}
            else {{ metric }}
                - lag({{ metric }}) over (partition by platform, account_id, campaign_id order by report_date)
        end as {{ metric }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from snapshots

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
        cast(conversion_value_unsplit as {{ adwh_type_double() }}) as conversion_value_unsplit,
        cast(impressions_lifetime as {{ dbt.type_bigint() }}) as impressions_lifetime,
        cast(clicks_lifetime as {{ dbt.type_bigint() }}) as clicks_lifetime,
        cast(all_clicks_lifetime as {{ dbt.type_bigint() }}) as all_clicks_lifetime,
        cast(deliveries_lifetime as {{ dbt.type_bigint() }}) as deliveries_lifetime,
        cast(conversions_unsplit_lifetime as {{ adwh_type_double() }}) as conversions_unsplit_lifetime,
        cast(conversion_value_unsplit_lifetime as {{ adwh_type_double() }}) as conversion_value_unsplit_lifetime

    from differenced
    where in_window

)

select * from final
