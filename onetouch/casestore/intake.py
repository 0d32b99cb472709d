"""The case store's intake records: signatures seen, and contacts handed to a flow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onetouch.casestore.audit import json_row
from onetouch.casestore.tables import cases, contacts, escalations, intake_signatures
from policy.case import case_id_for


class IntakeRecords:
    """Mixed into the case store: replay protection and the sweep's bookkeeping."""

    engine: Engine

    def remember_signature(self, signature: str, at: datetime, keep_s: int) -> bool:
        """Note a request's signature; False when it was seen before (a replayed request)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(intake_signatures).where(
                    intake_signatures.c.seen_at < at - timedelta(seconds=2 * keep_s)))
                conn.execute(insert(intake_signatures).values(signature=signature, seen_at=at))
        except IntegrityError:
            return False
        return True

    def mark_dispatched(self, contact_id: str, at: datetime) -> None:
        """The contact was handed to a flow (an event emitted or a run started)."""
        with self.engine.begin() as conn:
            conn.execute(update(contacts).where(contacts.c.id == contact_id).values(
                dispatched_at=at, dispatches=contacts.c.dispatches + 1))

    def contact_as_received(self, contact_id: str) -> dict[str, Any] | None:
        """A stored contact as it was received, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(contacts.c.raw).where(contacts.c.id == contact_id)).first()
        return None if row is None else dict(row.raw)

    def stranded_contacts(self, dispatched_before: datetime, limit: int = 500
                          ) -> list[dict[str, Any]]:
        """Stored contacts with no case yet, never handed on or handed on too long ago."""
        query = (select(contacts.c.id, contacts.c.raw).where(
            contacts.c.id.not_in(select(cases.c.contact_id)),
            (contacts.c.dispatched_at.is_(None)) | (contacts.c.dispatched_at < dispatched_before))
            .order_by(contacts.c.received_at, contacts.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [dict(row.raw) for row in conn.execute(query)]

    def case_status(self, case_id: str) -> dict[str, Any] | None:
        """A case as the intake reports it: received, or its outcome and escalation status."""
        with self.engine.connect() as conn:
            case = conn.execute(select(cases.c.record).where(
                cases.c.case_id == case_id)).first()
            contact = conn.execute(select(contacts.c.id, contacts.c.stored_at).where(
                contacts.c.id.in_([c for c in [_contact_id(case_id)] if c]))).mappings().first()
            escalation = conn.execute(select(escalations.c.id, escalations.c.status).where(
                escalations.c.case_id == case_id)).mappings().first()
        if case is None and contact is None:
            return None
        if case is None:
            return {"case_id": case_id, "status": "received",
                    "received": json_row(dict(contact))["stored_at"]}
        record = dict(case.record)
        status = escalation["status"] if escalation else record["outcome"]
        return {"case_id": case_id, "status": status, "outcome": record,
                "escalation_id": escalation["id"] if escalation else None}


def _contact_id(case_id: str) -> str | None:
    prefix = case_id_for("")
    return case_id[len(prefix):] if case_id.startswith(prefix) else None
