"""Prefect flows: thin adapters that call tasks and the pure policy."""
