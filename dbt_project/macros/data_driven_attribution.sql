{#-
    Data-driven attribution (markov, shapley): the model window and engine-specific string
    aggregation (docs/architecture.md).
-#}

{#- The attribution models of mart_attribution, in display order. -#}
{% macro adwh_attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'last_non_direct', 'linear', 'position_based', 'time_decay',
               'markov', 'shapley']) }}
{%- endmacro %}

{% macro adwh_data_driven_attribution_models() -%}
    {{ return(['markov', 'shapley']) }}
{%- endmacro %}

{#-
    One row (window_start, window_end): the data-driven models' window, half-open
    (path_end_date >= window_start and path_end_date < window_end), with
    window_start = window_end - attribution_model_window_days (default 90) days.

    window_end is the run's max_date (already exclusive: the run window is half-open), or,
    when there is no run window (max_date = '9999-12-31', the default), the day after the
    latest path_end_date of `paths_relation` (so a full build covers the trailing 90 days
    of the data). NULL bounds (no paths at all) select nothing.
-#}
{% macro adwh_attribution_window_bounds(paths_relation) -%}
    {%- set days = var('attribution_model_window_days', 90) | int -%}
    {%- set max_date = adwh_max_date() -%}
    {%- if max_date >= '9999-12-31' -%}
        {%- set window_end -%}
            cast({{ dbt.dateadd('day', 1, 'max(path_end_date)') }} as date)
        {%- endset -%}
        {%- set window_start -%}
            cast({{ dbt.dateadd('day', 1 - days, 'max(path_end_date)') }} as date)
        {%- endset -%}
    {%- else -%}
        {%- set window_end -%}
            cast('{{ max_date }}' as date)
        {%- endset -%}
        {%- set window_start -%}
            cast({{ dbt.dateadd('day', -days, "cast('" ~ max_date ~ "' as date)") }} as date)
        {%- endset -%}
    {%- endif -%}
    select
        {{ window_start }} as window_start,
        {{ window_end }} as window_end
    {%- if max_date >= '9999-12-31' %}
    from {{ paths_relation }}
    {%- endif %}
{%- endmacro %}


{#-
    String aggregation in sorted order (an aggregate function): the canonical channel set
    'Direct|Email|Paid Search'. dbt.listagg's order_by is not supported on every engine
    (dbt-spark ignores it), so it is dispatched.
-#}
{% macro adwh_sorted_string_agg(measure, delimiter_text="'|'") -%}
    {{ return(adapter.dispatch('adwh_sorted_string_agg', 'adwh')(measure, delimiter_text)) }}
{%- endmacro %}

{% macro default__adwh_sorted_string_agg(measure, delimiter_text) -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ measure) }}
{%- endmacro %}

{% macro spark__adwh_sorted_string_agg(measure, delimiter_text) -%}
    array_join(array_sort(collect_list({{ measure }})), {{ delimiter_text }})
{%- endmacro %}
