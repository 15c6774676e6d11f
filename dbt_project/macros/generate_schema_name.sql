{#-
    Custom schemas are used literally: `+schema: marts` builds into the schema `marts`
    (not dbt's default `<target_schema>_marts`), so analysts query marts.<model> on every
    target. Models without a custom schema go to the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
