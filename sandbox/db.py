"""SQLite schema and engine for the sandbox: one table per entity plus idempotency and meta."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import Session, sessionmaker

from onetouch.sqllog import hide_row_values

metadata = MetaData()

FILTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "drivers": (),
    "stores": ("zone",),
    "orders": ("status",),
    "offers": (
        "driver_id",
        "order_id",
        "reissued_from",
        "status",
        "accepted_at",
        "export_at",
    ),
    "earnings": (
        "driver_id",
        "offer_id",
        "incentive_id",
        "kind",
        "source",
        "created_at",
        "idempotency_key",
    ),
    "incentives": ("zone", "ends_at"),
    "deposits": ("driver_id", "status", "created_at"),
    "notifications": ("driver_id", "reference", "created_at", "idempotency_key"),
}
UNIQUE_COLUMNS = frozenset({"idempotency_key"})


def _entity_table(name: str, columns: tuple[str, ...]) -> Table:
    """Declare one entity table: id, filter columns and the full JSON document."""
    cols = [
        Column(c, String, unique=c in UNIQUE_COLUMNS, index=c not in UNIQUE_COLUMNS)
        for c in columns
    ]
    return Table(
        name, metadata, Column("id", String, primary_key=True), *cols, Column("data", Text)
    )


ENTITY_TABLES: dict[str, Table] = {
    name: _entity_table(name, cols) for name, cols in FILTER_COLUMNS.items()
}

enrollments = Table(
    "incentive_enrollments",
    metadata,
    Column("incentive_id", String, primary_key=True),
    Column("driver_id", String, primary_key=True, index=True),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String, primary_key=True),
    Column("route", String, nullable=False),
    Column("body_hash", String, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)


def make_engine(path: str | Path) -> Engine:
    """An engine on a SQLite file whose writers wait on each other instead of failing."""
    engine = create_engine(
        f"sqlite:///{Path(path)}",
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=10,
        max_overflow=40,
        hide_parameters=True,  # drivers' phones and emails never in SQL logs or errors
    )
    hide_row_values()  # nor in the rows logged at DEBUG (onetouch/sqllog.py)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: atomic, fsync at checkpoints
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@dataclass(frozen=True)
class Database:
    """An engine with a session factory for reads and one for writes (BEGIN IMMEDIATE)."""

    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]

    @classmethod
    def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) the database file at path."""
        engine = make_engine(path)
        metadata.create_all(engine)
        writer_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        return cls(
            engine=engine,
            reader=sessionmaker(engine, expire_on_commit=False),
            writer=sessionmaker(writer_engine, expire_on_commit=False),
        )

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()
