{#-
    The shares of each data-driven attribution model sum to 1 (within 1e-9); a model
    without any row (no paths in the window) is not checked. Lists the models that differ.
-#}
{{ config(enabled=var('ga4_enabled', true)) }}

select
    model,
    sum(share) as total_share,
    count(*) as channels

from {{ ref('mart_attribution_channel_weights') }}
group by model
having abs(sum(share) - 1) > 1e-9
