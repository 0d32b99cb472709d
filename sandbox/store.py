"""Entity storage: rows from models, lookups, the clock, and whole-world load and dump."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as upsert
from sqlalchemy.orm import Session

from onetouch.models import ENTITY_MODELS, Entity, Offer, World, format_utc, utc_now

from .db import ENTITY_TABLES, FILTER_COLUMNS, Database, enrollments, idempotency, meta

ENTITY_NAMES: tuple[str, ...] = tuple(ENTITY_TABLES)
KEYED_ENTITIES = ("earnings", "notifications")


def time_key(value: datetime) -> str:
    """A fixed-width UTC text form of a time, so text order is time order."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def export_time(offer: Offer) -> datetime:
    """The latest of an offer's accepted, delivered and cancelled times."""
    times = (offer.accepted_at, offer.delivered_at, offer.cancelled_at)
    return max(t for t in times if t is not None)


def entity_row(name: str, model: Entity) -> dict[str, object]:
    """The table row for one entity: id, filter columns and the JSON document."""
    row: dict[str, object] = {"id": model.id, "data": model.model_dump_json()}  # type: ignore[attr-defined]
    for col in FILTER_COLUMNS[name]:
        value = export_time(model) if col == "export_at" else getattr(model, col)  # type: ignore[arg-type]
        row[col] = time_key(value) if isinstance(value, datetime) else value
    return row


def insert_entities(session: Session, name: str, models: Iterable[Entity]) -> None:
    """Insert entities of one kind (and incentive enrollments)."""
    models = list(models)
    if not models:
        return
    session.execute(insert(ENTITY_TABLES[name]), [entity_row(name, m) for m in models])
    if name == "incentives":
        pairs = {(m.id, d) for m in models for d in m.enrolled_driver_ids}  # type: ignore[attr-defined]
        if pairs:
            rows = [{"incentive_id": i, "driver_id": d} for i, d in sorted(pairs)]
            session.execute(insert(enrollments), rows)


def replace_entity(session: Session, name: str, model: Entity) -> None:
    """Overwrite a stored entity with a changed version of it."""
    table = ENTITY_TABLES[name]
    row = entity_row(name, model)
    session.execute(update(table).where(table.c.id == row["id"]).values(**row))


def get_entity(session: Session, name: str, entity_id: str) -> Entity | None:
    """One entity by id, or None."""
    data = get_entity_json(session, name, entity_id)
    return None if data is None else ENTITY_MODELS[name].model_validate_json(data)


def get_entity_json(session: Session, name: str, entity_id: str) -> str | None:
    """One entity's JSON document by id, or None."""
    table = ENTITY_TABLES[name]
    return session.scalar(select(table.c.data).where(table.c.id == entity_id))


def find_by_key(session: Session, name: str, key: str) -> Entity | None:
    """The earning or notification recorded with an idempotency key, or None."""
    table = ENTITY_TABLES[name]
    data = session.scalar(select(table.c.data).where(table.c.idempotency_key == key))
    return None if data is None else ENTITY_MODELS[name].model_validate_json(data)


def get_clock(session: Session) -> datetime:
    """The sandbox clock."""
    value = session.scalar(select(meta.c.value).where(meta.c.key == "now"))
    return datetime.fromisoformat(value) if value else utc_now().replace(microsecond=0)


def set_clock(session: Session, now: datetime) -> None:
    """Set the sandbox clock."""
    stmt = upsert(meta).values(key="now", value=format_utc(now))
    session.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
    )


def ensure_clock(session: Session) -> None:
    """Start the clock at the real time when the database has none yet."""
    if session.scalar(select(meta.c.value).where(meta.c.key == "now")) is None:
        set_clock(session, get_clock(session))


def world_problems(world: World) -> list[str]:
    """Duplicate ids and duplicate idempotency keys in a world, one message each."""
    problems = []
    for name in ENTITY_NAMES:
        items = getattr(world, name)
        for key, count in Counter(i.id for i in items).items():
            if count > 1:
                problems.append(f"{name}: duplicate id {key!r}")
        if name in KEYED_ENTITIES:
            keys = Counter(i.idempotency_key for i in items if i.idempotency_key is not None)
            problems += [
                f"{name}: duplicate idempotency_key {k!r}" for k, c in keys.items() if c > 1
            ]
    return problems


def load_world(session: Session, world: World) -> None:
    """Replace every entity, forget idempotency keys and set the clock to the world's now."""
    for table in (*ENTITY_TABLES.values(), enrollments, idempotency, meta):
        session.execute(delete(table))
    for name in ENTITY_NAMES:
        insert_entities(session, name, getattr(world, name))
    set_clock(session, world.now)


def row_columns(name: str) -> tuple[str, ...]:
    """The columns of one entity's table, in the order `bulk_load` takes a prepared row."""
    return ("id", *FILTER_COLUMNS[name], "data")


def bulk_load(
    db: Database,
    now: datetime,
    rows: Mapping[str, Iterable[Sequence[object]]],
    enrolled: Iterable[tuple[str, str]] = (),
    chunk: int = 50_000,
) -> dict[str, int]:
    """Replace all state with prepared rows, as load_world does, without building models.

    A row of entity `name` holds `row_columns(name)`: the id, the filter columns (times as
    `time_key` text, offers' `export_at` as `export_time`) and the entity's JSON document, exactly
    as `entity_row` makes them; `enrolled` holds (incentive_id, driver_id) pairs. For worlds too
    big to validate as one World (benchmarks): the caller vouches for the rows. One transaction,
    without fsync while it runs; the counts inserted come back by entity.
    """
    unknown = sorted(set(rows) - set(ENTITY_TABLES))
    if unknown:
        raise ValueError(f"no entity table for {unknown}")
    counts = dict.fromkeys(ENTITY_NAMES, 0)
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    saved = {p: cursor.execute(f"PRAGMA {p}").fetchone()[0] for p in ("synchronous", "cache_size")}
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA cache_size=-262144")
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            for table in (*ENTITY_TABLES.values(), enrollments, idempotency, meta):
                cursor.execute(f"DELETE FROM {table.name}")
            indexes = cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ).fetchall()
            for name, _ in indexes:  # rebuilt once at the end: faster than row by row
                cursor.execute(f'DROP INDEX "{name}"')
            for name, table in ENTITY_TABLES.items():
                counts[name] = _insert_chunks(cursor, table.name, row_columns(name),
                                              rows.get(name, ()), chunk)
            _insert_chunks(cursor, enrollments.name, ("incentive_id", "driver_id"),
                           sorted(set(enrolled)), chunk)
            cursor.execute(f"INSERT INTO {meta.name} (key, value) VALUES ('now', ?)",
                           (format_utc(now),))
            for _, sql in indexes:
                cursor.execute(sql)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        for pragma, value in saved.items():
            cursor.execute(f"PRAGMA {pragma}={int(value)}")
        cursor.close()
        raw.close()
    return counts


def _insert_chunks(cursor, table: str, columns: tuple[str, ...],
                   rows: Iterable[Sequence[object]], chunk: int) -> int:
    """executemany over rows, `chunk` at a time; how many were inserted."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    rows, total = iter(rows), 0
    while batch := list(islice(rows, chunk)):
        cursor.executemany(sql, batch)
        total += len(batch)
    return total


def dump_state_json(session: Session) -> str:
    """The whole state as World-shaped JSON: now plus every entity list ordered by id."""
    parts = [f'"now":{json.dumps(format_utc(get_clock(session)))}']
    for name in ENTITY_NAMES:
        table = ENTITY_TABLES[name]
        rows = session.scalars(select(table.c.data).order_by(table.c.id))
        parts.append(f'"{name}":[{",".join(rows)}]')
    return "{" + ",".join(parts) + "}"
