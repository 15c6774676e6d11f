"""Deterministic sample exports in the native shapes (the demo, the tests and the benchmark use them)."""
