{#-
    Incremental window: the orchestration layer passes --vars {"min_date": ..., "max_date": ...}
    (ISO dates, half-open: report_date >= min_date and report_date < max_date). On an
    incremental run the window is REPLACED: every row of the window is deleted, then the
    window is re-inserted, so a restated day replaces its rows and rows that disappeared
    from a restated day disappear too. A full refresh (or the first run) builds everything.

    Engine differences are dispatched:
      * duckdb / default: `append` strategy + a pre-hook `delete ... where <window>`
        (the pre-hook runs inside the model's transaction, so a failed insert rolls the
        delete back);
      * spark: `insert_overwrite` of the report_date partitions (partition_by report_date),
        after a pre-hook that drops every partition of the window: a day whose restatement
        has zero rows writes no partition, so insert_overwrite alone would keep its old rows.
-#}

{#-
    The replaced window is the partition window plus ONE trailing day: the e-mail
    platforms' daily figures are differences of consecutive lifetime snapshots, so a
    restated snapshot of day D also changes day D+1. Rebuilding D+1 from the current raw
    layer is idempotent for every platform (same inputs, same rows).
-#}
{% macro adwh_window_end() -%}
    {%- set max_date = var("max_date") -%}
    {%- if max_date >= '9999-12-31' -%}
        {{ return(max_date) }}
    {%- endif -%}
    {%- set day = modules.datetime.datetime.strptime(max_date, '%Y-%m-%d') + modules.datetime.timedelta(days=1) -%}
    {{ return(day.strftime('%Y-%m-%d')) }}
{%- endmacro %}

{% macro adwh_window_predicate(column_name='report_date') -%}
    {{ column_name }} >= cast('{{ var("min_date") }}' as date)
    and {{ column_name }} < cast('{{ adwh_window_end() }}' as date)
{%- endmacro %}


{% macro adwh_incremental_strategy() -%}
    {{ return(adapter.dispatch('adwh_incremental_strategy', 'adwh')()) }}
{%- endmacro %}

{% macro default__adwh_incremental_strategy() -%}
    {{ return('append') }}
{%- endmacro %}

{% macro spark__adwh_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro adwh_delete_window(column_name='report_date') -%}
    {{ return(adapter.dispatch('adwh_delete_window', 'adwh')(column_name)) }}
{%- endmacro %}

{% macro default__adwh_delete_window(column_name) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ adwh_window_predicate(column_name) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__adwh_delete_window(column_name) -%}
    {#-
        insert_overwrite replaces only the report_date partitions the new rows have: a day of
        the window that is now EMPTY (restated to zero rows) would keep its old rows. So every
        day of the window is dropped first (a metastore partition operation; the dropped
        partitions' files of the managed table are deleted), then the window is inserted.
    -#}
    {%- if is_incremental() -%}
        {%- set first = modules.datetime.datetime.strptime(var('min_date'), '%Y-%m-%d') -%}
        {%- set last = modules.datetime.datetime.strptime(adwh_window_end(), '%Y-%m-%d') -%}
        {%- set days = (last - first).days -%}
        {%- set specs = [] -%}
        {%- for offset in range(days) -%}
            {%- do specs.append("partition (" ~ column_name ~ " = '"
                ~ (first + modules.datetime.timedelta(days=offset)).strftime('%Y-%m-%d') ~ "')") -%}
        {%- endfor -%}
        {%- if specs -%}
            alter table {{ this }} drop if exists {{ specs | join(', ') }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
