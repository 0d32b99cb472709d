"""A fresh PostgreSQL database per test module, on the machine's server (trust auth)."""

from __future__ import annotations

import psycopg

SERVER = "postgres@127.0.0.1:5432"


def fresh_database(name: str) -> str:
    """Drop and re-create `name`; its SQLAlchemy URL for the case store."""
    with psycopg.connect(f"postgresql://{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://{SERVER}/{name}"


def drop_database(name: str) -> None:
    """Drop `name` if it is there."""
    with psycopg.connect(f"postgresql://{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
