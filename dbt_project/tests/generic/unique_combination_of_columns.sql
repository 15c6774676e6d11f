{#-
    The combination of `combination_of_columns` is unique across the model.
    Null-safe: GROUP BY puts NULLs in one group, so two rows that differ only by a NULL
    in the same column are reported as duplicates (unlike a `concat` surrogate key, which
    turns any NULL part into a NULL key and skips the row). Email rows of the fact carry
    ad_group_id / ad_id NULL and are still checked.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as n_rows
from {{ model }}
group by
    {{ combination_of_columns | join(',\n    ') }}
having count(*) > 1

{% endtest %}
