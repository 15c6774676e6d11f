{#-
    Which sources are switched on.

    ADWH_SOURCES (comma-separated, default all five) switches sources on. The staging
    folders and their sources are enabled in dbt_project.yml with the same expression
    (dbt_project.yml is rendered before macros exist, so it repeats it inline); the
    intermediate models and the union call these macros.
-#}

{% macro adwh_all_sources() %}
    {{ return(['google_ads', 'meta_ads', 'mailchimp', 'klaviyo', 'ga4']) }}
{% endmacro %}

{% macro adwh_ad_platforms() %}
    {#- the platforms that feed fct_ad_performance_daily (GA4 is first-party web analytics) -#}
    {{ return(['google_ads', 'meta_ads', 'mailchimp', 'klaviyo']) }}
{% endmacro %}

{% macro adwh_enabled_sources() %}
    {%- set raw = env_var('ADWH_SOURCES', 'google_ads,meta_ads,mailchimp,klaviyo,ga4') -%}
    {%- set enabled = [] -%}
    {%- for name in raw.split(',') -%}
        {%- if name.strip() and name.strip() not in enabled -%}
            {%- do enabled.append(name.strip()) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(enabled) }}
{% endmacro %}

{% macro adwh_source_enabled(source_name) %}
    {{ return(source_name in adwh_enabled_sources()) }}
{% endmacro %}

{% macro adwh_any_source_enabled(source_names) %}
    {%- set enabled = adwh_enabled_sources() -%}
    {%- for name in source_names -%}
        {%- if name in enabled -%}{{ return(true) }}{%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{% endmacro %}

{% macro adwh_enabled_ad_platforms() %}
    {%- set enabled = adwh_enabled_sources() -%}
    {%- set platforms = [] -%}
    {%- for name in adwh_ad_platforms() -%}
        {%- if name in enabled -%}{%- do platforms.append(name) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(platforms) }}
{% endmacro %}

{% macro adwh_reporting_currency() %}
    {{ return(env_var('ADWH_REPORTING_CURRENCY', 'USD') | upper) }}
{% endmacro %}
