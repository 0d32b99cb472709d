"""The dry run's outbox: what would have been sent to the platform, kept once per key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onetouch.casestore.audit import json_row
from onetouch.casestore.tables import dry_run_actions


class DryRunLog:
    """Each would-be action once per (kind, idempotency key), as the platform keeps them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, kind: str, key: str, request: dict[str, Any], result: dict[str, Any],
               at: datetime) -> tuple[dict[str, Any], bool]:
        """Keep an action; the result kept for its key, and whether it was kept before."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(dry_run_actions).values(
                    at=at, kind=kind, idempotency_key=key, driver_id=request.get("driver_id", ""),
                    reference=request.get("reference"), request=request, result=result))
        except IntegrityError:
            return self.find(kind, key) or result, True
        return result, False

    def find(self, kind: str, key: str) -> dict[str, Any] | None:
        """The result kept for an action's key, if any."""
        with self.engine.connect() as conn:
            return conn.execute(select(dry_run_actions.c.result).where(
                dry_run_actions.c.kind == kind,
                dry_run_actions.c.idempotency_key == key)).scalar()

    def actions(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every kept action, in the order they were kept."""
        query = select(dry_run_actions).order_by(dry_run_actions.c.id)
        if kind:
            query = query.where(dry_run_actions.c.kind == kind)
        with self.engine.connect() as conn:
            return [json_row(dict(r)) for r in conn.execute(query).mappings()]
