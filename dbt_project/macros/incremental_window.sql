{#-
    Incremental window, half-open: report_date >= min_date and report_date < max_date (ISO
    dates). The orchestration layer passes it in the environment, ADWH_DBT_MIN_DATE /
    ADWH_DBT_MAX_DATE (orchestration/warehouse/dbt_args.py), read only while executing:
    dbt compares its vars (and every env_var read while parsing) to decide whether its
    partial parse still holds, and every night has a new window - as --vars it would
    re-parse the whole project every run. --vars '{"min_date": ..., "max_date": ...}'
    still works for a hand-run dbt and wins over the environment; with neither, the window
    is everything (1900-01-01 .. 9999-12-31).

    On an incremental run the window is REPLACED: every row of the window is deleted, then
    the window is re-inserted, so a restated day replaces its rows and rows that disappeared
    from a restated day disappear too. A full refresh (or the first run) builds everything.

    Engine differences are dispatched:
      * duckdb / default: `append` strategy + a pre-hook `delete ... where <window>`
        (the pre-hook runs inside the model's transaction, so a failed insert rolls the
        delete back);
      * spark: `insert_overwrite` of the report_date partitions (partition_by report_date),
        after a pre-hook that drops every partition of the window: a day whose restatement
        has zero rows writes no partition, so insert_overwrite alone would keep its old rows.
-#}

{% macro adwh_min_date() -%}
    {%- set value = var('min_date', none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('ADWH_DBT_MIN_DATE', '1900-01-01') -%}
    {%- endif -%}
    {{ return((value or '1900-01-01') | string) }}
{%- endmacro %}

{% macro adwh_max_date() -%}
    {%- set value = var('max_date', none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('ADWH_DBT_MAX_DATE', '9999-12-31') -%}
    {%- endif -%}
    {{ return((value or '9999-12-31') | string) }}
{%- endmacro %}

{#-
    Data tests with a `where` config (dbt_project.yml: the staging views' tests) may write
    __adwh_min_date__ for the run window's first day: dbt renders a `where` config while
    parsing, before the window is known, so the placeholder is replaced here, at execution.
    Otherwise dbt's own get_where_subquery.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__adwh_min_date__', "cast('" ~ adwh_min_date() ~ "' as date)") -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#-
    The replaced window is the partition window plus ONE trailing day: the e-mail
    platforms' daily figures are differences of consecutive lifetime snapshots, so a
    restated snapshot of day D also changes day D+1. Rebuilding D+1 from the current raw
    layer is idempotent for every platform (same inputs, same rows).
-#}
{% macro adwh_window_end() -%}
    {%- set max_date = adwh_max_date() -%}
    {%- if max_date >= '9999-12-31' -%}
        {{ return(max_date) }}
    {%- endif -%}
    {%- set day = modules.datetime.datetime.strptime(max_date, '%Y-%m-%d') + modules.datetime.timedelta(days=1) -%}
    {{ return(day.strftime('%Y-%m-%d')) }}
{%- endmacro %}

{% macro adwh_window_predicate(column_name='report_date') -%}
    {{ column_name }} >= cast('{{ adwh_min_date() }}' as date)
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
        {%- set first = modules.datetime.datetime.strptime(adwh_min_date(), '%Y-%m-%d') -%}
        {%- set last = modules.datetime.datetime.strptime(adwh_window_end(), '%Y-%m-%d') -%}
        {%- set days = [] -%}
        {%- for offset in range((last - first).days) -%}
            {%- do days.append((first + modules.datetime.timedelta(days=offset)).strftime('%Y-%m-%d')) -%}
        {%- endfor -%}
        {{ adwh_spark_drop_partitions(column_name, days) }}
    {%- endif -%}
{%- endmacro %}

{#- `alter table <this> drop if exists partition (<column> = '<day>'), ...`; nothing without days. -#}
{% macro adwh_spark_drop_partitions(column_name, days) -%}
    {%- set specs = [] -%}
    {%- for day in days -%}
        {%- do specs.append("partition (" ~ column_name ~ " = '" ~ day ~ "')") -%}
    {%- endfor -%}
    {%- if specs -%}
        alter table {{ this }} drop if exists {{ specs | join(', ') }}
    {%- endif -%}
{%- endmacro %}


{#-
    The open-ended window, for the GA4 models that de-duplicate across days (a session or a
    transaction is kept once, on the first day it was reported): everything from the window's
    first day on is replaced, with no upper bound. In a nightly run nothing lies after the
    window, so it costs the same; in a backfill of old days behind days already built, the
    newer days are rebuilt too, so a duplicate reported later than the backfilled days is
    dropped again and a key that left a restated old day comes back on its later day.
-#}
{% macro adwh_from_window_start_predicate(column_name) -%}
    {{ column_name }} >= cast('{{ adwh_min_date() }}' as date)
{%- endmacro %}

{% macro adwh_delete_from_window_start(column_name) -%}
    {{ return(adapter.dispatch('adwh_delete_from_window_start', 'adwh')(column_name)) }}
{%- endmacro %}

{% macro default__adwh_delete_from_window_start(column_name) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ adwh_from_window_start_predicate(column_name) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__adwh_delete_from_window_start(column_name) -%}
    {#- Every partition from the window's first day on is dropped (as spark__adwh_delete_window
        drops the window's): they are listed from the table itself, there being no last day. -#}
    {%- if is_incremental() and execute -%}
        {%- set listed = run_query(
            "select distinct cast(" ~ column_name ~ " as string) as day from " ~ this
            ~ " where " ~ adwh_from_window_start_predicate(column_name)
        ) -%}
        {{ adwh_spark_drop_partitions(column_name, listed.columns[0].values() | sort) }}
    {%- endif -%}
{%- endmacro %}


{#-
    The rule-based attribution credits (int_attribution__credits_rule_based) are rebuilt for
    the conversions reported from ONE day before the window on. Why one day is enough: a
    GA4 export's report date is its events' local date, or the next day for an event GA4
    re-sent just after midnight; so every session or conversion the run changed (reported
    on or after the window's first day W) happened on local day W - 1 or later, and a
    conversion reported on W - 2 or earlier happened before all of them: its path (its
    user's sessions up to the conversion, after the previous conversion) can neither
    contain nor be cut by any of them, so its credits stay as they are. No upper bound, as
    for the GA4 models (a backfill of old days rebuilds the newer conversions too).
-#}
{% macro adwh_attribution_rebuild_from() -%}
    {%- set first = modules.datetime.datetime.strptime(adwh_min_date(), '%Y-%m-%d') -%}
    {{ return((first - modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d')) }}
{%- endmacro %}
