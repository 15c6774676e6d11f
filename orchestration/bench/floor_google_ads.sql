-- The DuckDB-SQL floor of `adwh bench` (benchmark only, never the product): the Google Ads rows
-- of the unified fact fct_ad_performance_daily, straight from the landing files with DuckDB's own
-- JSON and CSV readers. No Python parsing, no dbt, no Dagster, no validation or quarantine.
-- Placeholders (filled by orchestration/bench/floor.py): {landing}, {seeds}, {reporting_currency},
-- {max_staleness}.

create or replace table floor_api as
with batches as (
    select
        filename,
        unnest(results) as r
    from read_json(
        '{landing}/google_ads/*/search_stream_*.json',
        format = 'array',
        filename = true,
        columns = {
            results: 'STRUCT(
                customer STRUCT(id VARCHAR, descriptiveName VARCHAR, currencyCode VARCHAR, timeZone VARCHAR),
                campaign STRUCT(id VARCHAR, name VARCHAR, advertisingChannelType VARCHAR),
                adGroup STRUCT(id VARCHAR, name VARCHAR),
                adGroupAd STRUCT(ad STRUCT(id VARCHAR)),
                metrics STRUCT(
                    impressions VARCHAR, clicks VARCHAR, interactions VARCHAR, costMicros VARCHAR,
                    conversions DOUBLE, conversionsValue DOUBLE, viewThroughConversions VARCHAR
                )
            )[]'
        }
    )
)
select
    cast(regexp_extract(filename, '/(\d{4}-\d{2}-\d{2})/[^/]*$', 1) as date) as report_date,
    r.customer.id as account_id,
    r.customer.descriptiveName as account_name,
    r.customer.timeZone as account_timezone,
    r.campaign.id as campaign_id,
    r.campaign.name as campaign_name,
    r.campaign.advertisingChannelType as campaign_type,
    r.adGroup.id as ad_group_id,
    r.adGroup.name as ad_group_name,
    r.adGroupAd.ad.id as ad_id,
    r.customer.currencyCode as currency,
    coalesce(cast(r.metrics.costMicros as bigint), 0) / 1000000.0 as spend,
    coalesce(cast(r.metrics.impressions as bigint), 0) as impressions,
    coalesce(cast(r.metrics.clicks as bigint), 0) as clicks,
    coalesce(cast(r.metrics.interactions as bigint), 0) as all_clicks,
    coalesce(r.metrics.conversions, 0) as conversions_click_through,
    cast(coalesce(cast(r.metrics.viewThroughConversions as bigint), 0) as double) as conversions_view_through,
    coalesce(r.metrics.conversionsValue, 0) as conversion_value_click_through
from batches;

create or replace table floor_csv as
with lines as (
    select *
    from read_csv(
        '{landing}/google_ads/*/ui_report.csv',
        skip = 2,
        header = true,
        all_varchar = true,
        filename = true
    )
    where "Day" not like 'Total%'
),

numbers as (
    select
        * replace (
            case when "Impr." = '--' then '0' else replace("Impr.", ',', '') end as "Impr.",
            case when "Clicks" = '--' then '0' else replace("Clicks", ',', '') end as "Clicks",
            case when "Interactions" = '--' then '0' else replace("Interactions", ',', '') end as "Interactions",
            case when "Cost" = '--' then '0' else replace("Cost", ',', '') end as "Cost",
            case when "Conversions" = '--' then '0' else replace("Conversions", ',', '') end as "Conversions",
            case when "Conv. value" = '--' then '0' else replace("Conv. value", ',', '') end as "Conv. value",
            case
                when "View-through conv." = '--' then '0' else replace("View-through conv.", ',', '')
            end as "View-through conv."
        )
    from lines
)

select
    cast(regexp_extract(filename, '/(\d{4}-\d{2}-\d{2})/[^/]*$', 1) as date) as report_date,
    replace("Customer ID", '-', '') as account_id,
    nullif("Account", '--') as account_name,
    cast(null as varchar) as account_timezone,
    "Campaign ID" as campaign_id,
    nullif("Campaign", '--') as campaign_name,
    upper("Campaign type") as campaign_type,
    "Ad group ID" as ad_group_id,
    nullif("Ad group", '--') as ad_group_name,
    "Ad ID" as ad_id,
    "Currency code" as currency,
    cast(round(cast("Cost" as decimal(38, 6)) * 1000000) as bigint) / 1000000.0 as spend,
    cast("Impr." as bigint) as impressions,
    cast("Clicks" as bigint) as clicks,
    cast("Interactions" as bigint) as all_clicks,
    cast("Conversions" as double) as conversions_click_through,
    cast(cast("View-through conv." as bigint) as double) as conversions_view_through,
    cast("Conv. value" as double) as conversion_value_click_through
from numbers;

create or replace table floor_fact as
with performance as (
    select * from floor_api
    union all
    select * from floor_csv
),

channel_mapping as (
    select platform, nullif(campaign_type, '') as campaign_type, channel
    from read_csv('{seeds}/channel_mapping.csv', header = true, all_varchar = true)
    where mapping_type = 'platform_campaign' and platform = 'google_ads'
),

fx_rates as (
    select cast(rate_date as date) as rate_date, currency_code, cast(rate_to_usd as double) as rate_to_usd
    from read_csv('{seeds}/fx_rates.csv', header = true, all_varchar = true)
),

currency_days as (
    select distinct report_date, currency from performance
    union
    select distinct report_date, '{reporting_currency}' as currency from performance
),

rates as (
    select report_date, currency, rate_to_usd
    from (
        select
            currency_days.report_date,
            currency_days.currency,
            fx_rates.rate_to_usd,
            row_number() over (
                partition by currency_days.report_date, currency_days.currency order by fx_rates.rate_date desc
            ) as recency_rank
        from currency_days
        inner join fx_rates
            on fx_rates.currency_code = currency_days.currency
            and fx_rates.rate_date <= currency_days.report_date
            and fx_rates.rate_date >= currency_days.report_date - {max_staleness}
    )
    where recency_rank = 1
)

select
    performance.report_date,
    'google_ads' as platform,
    coalesce(exact_channel.channel, fallback_channel.channel) as channel,
    performance.account_id,
    performance.account_name,
    performance.account_timezone,
    performance.campaign_id,
    performance.campaign_name,
    performance.campaign_type,
    performance.ad_group_id,
    performance.ad_group_name,
    performance.ad_id,
    performance.currency,
    performance.spend,
    performance.spend * (account_rate.rate_to_usd / nullif(reporting_rate.rate_to_usd, 0)) as spend_reporting,
    performance.impressions,
    performance.clicks,
    performance.all_clicks,
    performance.conversions_click_through,
    performance.conversions_view_through,
    performance.conversion_value_click_through
from performance
left join channel_mapping as exact_channel
    on performance.campaign_type = exact_channel.campaign_type
left join channel_mapping as fallback_channel
    on fallback_channel.campaign_type is null
left join rates as account_rate
    on performance.report_date = account_rate.report_date and performance.currency = account_rate.currency
left join rates as reporting_rate
    on performance.report_date = reporting_rate.report_date and reporting_rate.currency = '{reporting_currency}';
