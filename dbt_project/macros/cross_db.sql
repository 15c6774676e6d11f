{#- Engine-specific expressions, behind adapter.dispatch (docs/architecture.md, portability). -#}

{#- A UTC instant as a plain (zone-less) timestamp holding the UTC wall-clock time. -#}
{% macro adwh_utc_timestamp(column_name) -%}
    {{ return(adapter.dispatch('adwh_utc_timestamp', 'adwh')(column_name)) }}
{%- endmacro %}

{% macro default__adwh_utc_timestamp(column_name) -%}
    cast({{ column_name }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__adwh_utc_timestamp(column_name) -%}
    {#- a plain cast of TIMESTAMPTZ would use the session time zone -#}
    timezone('UTC', {{ column_name }})
{%- endmacro %}

{% macro spark__adwh_utc_timestamp(column_name) -%}
    {#- Spark reads Parquet UTC-adjusted timestamps as instants; render them in UTC -#}
    to_utc_timestamp({{ column_name }}, current_timezone())
{%- endmacro %}

{#-
    8-byte floating point for money and fractional conversions. dbt.type_float() is a
    4-byte REAL on DuckDB (and FLOAT on Spark), which would round money: not used.
-#}
{% macro adwh_type_double() -%}
    {{ return(adapter.dispatch('adwh_type_double', 'adwh')()) }}
{%- endmacro %}

{% macro default__adwh_type_double() -%}
    {{ return('double') }}
{%- endmacro %}

