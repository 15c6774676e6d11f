{#- Attribution helpers (docs/architecture.md), engine specifics behind adapter.dispatch. -#}

{#-
    Fractional days from start_ts to end_ts (end − start), exact to the microsecond, as a
    double. dbt.datediff(..., 'second') truncates to whole seconds and, on some engines,
    counts boundaries crossed rather than elapsed time: too coarse for time_decay.
-#}
{% macro adwh_fractional_days_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('adwh_fractional_days_between', 'adwh')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__adwh_fractional_days_between(start_ts, end_ts) -%}
    {#- portable fallback: whole seconds -#}
    (cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ adwh_type_double() }}) / 86400.0)
{%- endmacro %}

{% macro duckdb__adwh_fractional_days_between(start_ts, end_ts) -%}
    (cast(epoch_us({{ end_ts }}) - epoch_us({{ start_ts }}) as {{ adwh_type_double() }}) / 86400000000.0)
{%- endmacro %}

{% macro spark__adwh_fractional_days_between(start_ts, end_ts) -%}
    (cast(unix_micros({{ end_ts }}) - unix_micros({{ start_ts }}) as double) / 86400000000.0)
{%- endmacro %}

