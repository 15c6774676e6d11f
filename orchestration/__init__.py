"""adwh: a batch ELT marketing data warehouse (Dagster + dbt + DuckDB)."""

__version__ = "0.1.0"
