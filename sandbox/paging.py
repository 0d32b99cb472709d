"""Keyset paging by id with opaque cursors, and batched NDJSON export streams."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from .errors import ApiError
from .store import time_key

CURSOR_PREFIX = "after:"
EXPORT_BATCH = 5000


def encode_cursor(last_id: str) -> str:
    """An opaque cursor pointing after last_id."""
    raw = (CURSOR_PREFIX + last_id).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a cursor points after; 422 when the cursor is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(CURSOR_PREFIX):
        raise ApiError(422, "invalid_cursor", "cursor is not a cursor this service issued")
    return raw[len(CURSOR_PREFIX) :]


def time_range(
    column: ColumnElement, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """Clauses for since <= column < until (either bound optional)."""
    clauses = []
    if since is not None:
        clauses.append(column >= time_key(since))
    if until is not None:
        clauses.append(column < time_key(until))
    return clauses


def unindexed(column: ColumnElement) -> ColumnElement:
    """`+column`: the same value, but SQLite will not pick the column's index for it.

    An export reads in id order, a batch at a time after the last id. Given a usable index on
    its time column, SQLite ranges over that index and sorts the whole window for every batch
    (quadratic in the window); kept off it, SQLite walks the id index, each batch from where
    the last one stopped, and checks the time on the way (linear).
    """
    return UnaryExpression(column, operator=custom_op("+"))


def equal_to(table: Table, **values: str | None) -> list[ColumnElement[bool]]:
    """Equality clauses for every value that is set."""
    return [table.c[name] == value for name, value in values.items() if value is not None]


def page_json(
    session: Session,
    table: Table,
    where: Sequence[ColumnElement[bool]],
    cursor: str | None,
    limit: int,
) -> str:
    """One page as JSON text: {"items": [...], "next_cursor": ...}."""
    stmt = select(table.c.id, table.c.data).where(*where).order_by(table.c.id).limit(limit + 1)
    if cursor:
        stmt = stmt.where(table.c.id > decode_cursor(cursor))
    rows = session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id) if more else None
    items = ",".join(row.data for row in rows)
    return f'{{"items":[{items}],"next_cursor":{json.dumps(next_cursor)}}}'


def export_lines(
    sessions: sessionmaker[Session], table: Table, where: Sequence[ColumnElement[bool]]
) -> Iterator[str]:
    """Every matching document as one NDJSON line, read in batches ordered by id."""
    last_id = ""
    while True:
        with sessions() as session:
            stmt = select(table.c.id, table.c.data).where(*where, table.c.id > last_id)
            rows = session.execute(stmt.order_by(table.c.id).limit(EXPORT_BATCH)).all()
        if rows:
            yield "".join(row.data + "\n" for row in rows)
        if len(rows) < EXPORT_BATCH:
            return
        last_id = rows[-1].id
