"""Alembic environment: migrates the case store at the URL it is given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from onetouch.casestore.store import VERSION_TABLE
from onetouch.casestore.tables import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True,
                      version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
