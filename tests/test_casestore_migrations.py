"""The case store's schema: its own version table, and stores made before it keep working."""

from __future__ import annotations

import sqlalchemy as sa

from onetouch.casestore import CaseStore
from onetouch.casestore.store import VERSION_TABLE


def _version(engine, table):
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT version_num FROM {table}")).scalar()


def test_the_revision_lives_apart_from_prefects_alembic_version(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    tables = set(sa.inspect(store.engine).get_table_names())
    assert VERSION_TABLE in tables and "alembic_version" not in tables


def test_a_store_versioned_in_alembic_version_is_adopted_not_recreated(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    engine = CaseStore(url).engine
    head = _version(engine, VERSION_TABLE)
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {VERSION_TABLE} RENAME TO alembic_version"))
    CaseStore(url)
    assert _version(engine, VERSION_TABLE) == head
