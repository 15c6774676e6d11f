{#- The reporting currency of spend_reporting and the FX conversion (env ADWH_REPORTING_CURRENCY, default USD). -#}
{% macro adwh_reporting_currency() %}
    {{ return(env_var('ADWH_REPORTING_CURRENCY', 'USD') | upper) }}
{% endmacro %}
