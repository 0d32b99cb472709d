"""The case store's intake records: signatures seen, contacts handed to a flow, and each case's
decision kept before it is carried out (what a run that died half-way resumes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onetouch.casestore.audit import audit, json_row
from onetouch.casestore.tables import audit_log, cases, contacts, escalations, intake_signatures
from policy.case import case_id_for

DECIDED = "case_decided"


class Stranded(NamedTuple):
    """A stored contact with no case: as received, and its last task run (if any)."""

    id: str
    raw: dict[str, Any]
    task_run_id: str | None


class IntakeRecords:
    """Mixed into the case store: replay protection, the sweep's bookkeeping, the decisions."""

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

    def mark_dispatched(self, contact_id: str, at: datetime, task_run_id: str | None = None
                        ) -> None:
        """The contact was handed on: to a resolver (its task run's id) or to a flow run."""
        with self.engine.begin() as conn:
            conn.execute(update(contacts).where(contacts.c.id == contact_id).values(
                dispatched_at=at, dispatches=contacts.c.dispatches + 1,
                task_run_id=task_run_id))

    def contact_as_received(self, contact_id: str) -> dict[str, Any] | None:
        """A stored contact as it was received, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(contacts.c.raw).where(contacts.c.id == contact_id)).first()
        return None if row is None else dict(row.raw)

    def stranded_contacts(self, dispatched_before: datetime, limit: int = 500
                          ) -> list[Stranded]:
        """Stored contacts with no case yet, never handed on or handed on too long ago."""
        query = (select(contacts.c.id, contacts.c.raw, contacts.c.task_run_id).where(
            contacts.c.id.not_in(select(cases.c.contact_id)),
            (contacts.c.dispatched_at.is_(None)) | (contacts.c.dispatched_at < dispatched_before))
            .order_by(contacts.c.received_at, contacts.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [Stranded(row.id, dict(row.raw), row.task_run_id)
                    for row in conn.execute(query)]

    def remember_decision(self, case_id: str, decision: dict[str, Any], at: datetime) -> None:
        """Keep a case's decision (an audit entry) before anything of it is carried out."""
        with self.engine.begin() as conn:
            audit(conn, at, "automation", DECIDED, case_id, None, None, decision)

    def decision_taken(self, case_id: str) -> dict[str, Any] | None:
        """The decision kept for a case by an earlier run, if any: a re-run carries it out
        instead of deciding again on a platform that already shows its remediations."""
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_log.c.details).where(
                audit_log.c.case_id == case_id, audit_log.c.action == DECIDED)
                .order_by(audit_log.c.id).limit(1)).first()
        if row is None:
            return None
        return {k: v for k, v in row.details.items() if k != "dry_run"}  # audit's own mark

    def case_status(self, case_id: str) -> dict[str, Any] | None:
        """A case as the intake reports it: received, or its outcome and escalation status."""
        with self.engine.connect() as conn:
            case = conn.execute(select(cases.c.record).where(
                cases.c.case_id == case_id)).first()
            contact = conn.execute(select(contacts.c.id, contacts.c.stored_at).where(
                contacts.c.id.in_([c for c in [contact_id_of(case_id)] if c]))).mappings().first()
            escalation = conn.execute(select(escalations.c.id, escalations.c.status).where(
                escalations.c.case_id == case_id)).mappings().first()
        if case is None:
            if contact is None:
                return None
            return {"case_id": case_id, "status": "received",
                    "received": json_row(dict(contact))["stored_at"]}
        record = dict(case.record)
        status = escalation["status"] if escalation else record["outcome"]
        return {"case_id": case_id, "status": status, "outcome": record,
                "escalation_id": escalation["id"] if escalation else None}


def contact_id_of(case_id: str) -> str | None:
    """The contact a case is about (None for an incident's case)."""
    prefix = case_id_for("")
    return case_id[len(prefix):] if case_id.startswith(prefix) else None
