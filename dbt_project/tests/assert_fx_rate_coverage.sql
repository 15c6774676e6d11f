{#-
    Every (currency, report_date) of the fact that spends money has an FX rate to the
    reporting currency (latest rate on or before the date, at most fx_max_staleness_days
    old) — and so has the reporting currency itself. Lists what is missing; any row fails
    the build. A missing rate is an error, never a silent 1.0: add the rates to the
    fx_rates seed (the treasury's daily rates) and re-run.
-#}

select
    currency as missing_currency,
    reporting_currency,
    report_date,
    count(*) as affected_rows,
    sum(spend) as unconverted_spend

from {{ ref('fct_ad_performance_daily') }}
where currency is not null
    and (fx_rate is null or spend_reporting is null)
group by
    currency,
    reporting_currency,
    report_date
