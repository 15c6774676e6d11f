"""Benchmarks of adwh (not part of the warehouse)."""
