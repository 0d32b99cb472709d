"""The project's own tables: every case's outcome and every escalation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onetouch.models import format_utc, utc_now
from onetouch.outcomes import ContactOutcome

metadata = MetaData()

cases = Table(
    "cases", metadata,
    Column("case_id", String(220), primary_key=True),
    Column("contact_id", String(200), nullable=False, unique=True),
    Column("driver_id", String(200), nullable=False),
    Column("intent", String(40)),
    Column("outcome", String(20), nullable=False),
    Column("queue", String(40)),
    Column("policy_version", String(60)),
    Column("record", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

escalations = Table(
    "escalations", metadata,
    Column("id", String(220), primary_key=True),
    Column("case_id", String(220), nullable=False, unique=True),
    Column("driver_id", String(200), nullable=False),
    Column("queue", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("recommended_actions", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class CaseStore:
    """Outcomes and escalations over SQLAlchemy (SQLite by default)."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, connect_args=_connect_args(url))
        metadata.create_all(self.engine)

    def outcome_for(self, contact_id: str) -> ContactOutcome | None:
        """The recorded outcome of a contact, if it has one."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(cases.c.record).where(cases.c.contact_id == contact_id)).first()
        return None if row is None else ContactOutcome.model_validate(_as_dict(row.record))

    def record(self, outcome: ContactOutcome, now: datetime | None = None) -> bool:
        """Store a case's outcome (and its escalation) once; False if it was already there."""
        recorded_at = now or utc_now()
        try:
            with self.engine.begin() as conn:
                conn.execute(cases.insert().values(
                    case_id=outcome.case_id, contact_id=outcome.contact_id,
                    driver_id=outcome.driver_id or "", intent=outcome.intent,
                    outcome=outcome.outcome, queue=outcome.queue,
                    policy_version=outcome.policy_version, record=outcome.line(),
                    recorded_at=recorded_at))
                if outcome.outcome == "escalated":
                    conn.execute(escalations.insert().values(
                        id=f"esc-{outcome.contact_id}", case_id=outcome.case_id,
                        driver_id=outcome.driver_id, queue=outcome.queue, status="pending",
                        reasons=outcome.reasons,
                        recommended_actions=outcome.recommended_actions,
                        created_at=recorded_at))
        except IntegrityError:
            return False
        return True

    def escalations(self) -> list[dict]:
        """Every escalation, oldest first, as plain JSON-able dicts."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(escalations).order_by(escalations.c.created_at,
                                                             escalations.c.id)).mappings()
            return [_escalation_view(dict(row)) for row in rows]


def _escalation_view(row: dict) -> dict:
    created = row["created_at"]
    row["created_at"] = format_utc(created if created.tzinfo else created.replace(tzinfo=UTC))
    return row


def _as_dict(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value)  # type: ignore[arg-type]


def _connect_args(url: str) -> dict:
    return {"timeout": 30} if url.startswith("sqlite") else {}
