{{ config(enabled=var('ga4_enabled', true)) }}

{#-
    The published per-channel weights of the data-driven attribution models (docs/architecture.md):
    the exact solve's output (int_attribution__channel_weights_solved), typed for the
    contract. Grain: model × channel.
-#}

with

weights as (

    select * from {{ ref('int_attribution__channel_weights_solved') }}

),

final as (

    select
        cast(model as {{ dbt.type_string() }}) as model,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(removal_effect as {{ adwh_type_double() }}) as removal_effect,
        cast(shapley_value as {{ adwh_type_double() }}) as shapley_value,
        cast(share as {{ adwh_type_double() }}) as share,
        cast(window_start as date) as window_start,
        cast(window_end as date) as window_end

    from weights

)

select * from final
