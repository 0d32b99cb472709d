"""The resolution policy: pure functions over domain models (no I/O, no Prefect)."""
