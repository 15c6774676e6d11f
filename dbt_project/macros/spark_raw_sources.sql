{#-
    The lake's raw tables on Spark (on-run-start; a no-op on other engines).

    Each declared source table `raw_<source>.<table>` becomes an external Parquet table over
    `$ADWH_LAKE_DIR/raw/<source>/`, reading only the files named `<table>.parquet`
    (pathGlobFilter: the tables of a source share the report_date=YYYY-MM-DD folders) with
    partition discovery (`report_date` from the folder names) and merged file schemas (like
    DuckDB's union_by_name). Re-created on every run, so new partitions and new columns are
    seen; dropping an external table never deletes the lake's files. With ADWH_LAKE_DIR on
    object storage (s3a://, abfss://, gs://) a cluster runs the same statements.
-#}
{% macro adwh_register_raw_sources() -%}
    {{ return(adapter.dispatch('adwh_register_raw_sources', 'adwh')()) }}
{%- endmacro %}

{% macro default__adwh_register_raw_sources() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__adwh_register_raw_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('ADWH_LAKE_DIR') -%}
        {%- set schemas = [] -%}
        {#- created without catalog-tracked partitions: read through a file index that honours
            pathGlobFilter and discovers report_date at query time (a catalog-tracked table
            would list whole partition folders, every table's files) -#}
        {%- do run_query('set spark.sql.hive.manageFilesourcePartitions=false') -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if node.schema not in schemas -%}
                {%- do schemas.append(node.schema) -%}
                {%- do run_query('create schema if not exists ' ~ node.schema) -%}
            {%- endif -%}
            {%- set relation = node.schema ~ '.' ~ node.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                "create table " ~ relation ~ " using parquet options ("
                ~ "path '" ~ lake ~ "/raw/" ~ node.source_name ~ "', "
                ~ "pathGlobFilter '" ~ node.identifier ~ ".parquet', "
                ~ "mergeSchema 'true')"
            ) -%}
        {%- endfor -%}
        {#- the models' partitioned tables track their partitions (alter table drop partition) -#}
        {%- do run_query('set spark.sql.hive.manageFilesourcePartitions=true') -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
