"""Dagster-free ingestion: landing files -> parsers -> the Parquet lake (raw + quarantine)."""
