"""Dagster definitions only, autoloaded by ``dg.load_from_defs_folder`` (see
``orchestration/definitions.py``): every module exposes its own ``@dg.definitions`` function,
built from ``orchestration.settings.current_settings()``. The logic they call lives in the
Dagster-free packages (``ingestion``, ``warehouse``)."""
