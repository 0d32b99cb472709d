"""The case store: the source of truth for contacts, cases, escalations and the audit log."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, insert, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onetouch.casestore.audit import audit, json_row
from onetouch.casestore.incidents import IncidentRecords
from onetouch.casestore.intake import IntakeRecords
from onetouch.casestore.outreach import OutreachRecords
from onetouch.casestore.tables import audit_log, cases, contacts, escalations
from onetouch.models import Contact, utc_now
from onetouch.outcomes import ContactOutcome
from onetouch.sqllog import hide_row_values
from policy.case import escalation_id_for

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "onetouch_schema_version"
DECIDABLE = ("pending",)
EXECUTABLE = ("approved", "rejected")


def subject_key(driver_id: str | None, actions: list[dict[str, Any]]) -> str | None:
    """What an escalation is about, for a driver's case that recommends actions: the driver
    and the actions' subjects and kinds (amounts aside); None otherwise."""
    subjects = sorted({f"{a['type']}:{a['subject_id']}:{a.get('kind') or ''}" for a in actions})
    if not (driver_id and subjects):
        return None
    return hashlib.sha256(f"{driver_id}|{','.join(subjects)}".encode()).hexdigest()


class CaseStore(IncidentRecords, IntakeRecords, OutreachRecords):
    """Contacts, cases, escalations, incidents and audit entries (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # SQL logs and database errors never show the values (a contact's text may hold a
        # phone number or bank account the driver typed): onetouch/sqllog.py
        self.engine: Engine = create_engine(url, connect_args=_connect_args(url),
                                            hide_parameters=True)
        hide_row_values()
        if url.startswith("sqlite"):
            _write_lock_up_front(self.engine)
        self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            _adopt_legacy_version(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def store_contact(self, contact: Contact, raw: dict[str, Any], now: datetime | None = None
                      ) -> bool:
        """Keep a contact as received, once; False when it was already stored."""
        row = {"id": contact.id, "driver_id": contact.driver_id, "channel": contact.channel,
               "received_at": contact.received_at, "raw": raw, "stored_at": now or utc_now()}
        return self._insert_once(contacts, row, "contact_stored", "intake", contact.id)

    def outcome_for(self, contact_id: str) -> ContactOutcome | None:
        """The recorded outcome of a contact, if it has one."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(cases.c.record).where(cases.c.contact_id == contact_id)).first()
        return None if row is None else ContactOutcome.model_validate(row.record)

    def record(self, outcome: ContactOutcome, now: datetime | None = None,
               answer_within_hours: int = 24) -> bool:
        """Store a case's outcome (and its escalation, due in the given hours) once.

        False if it was already there.
        """
        at = now or utc_now()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(cases).values(
                    case_id=outcome.case_id, contact_id=outcome.contact_id,
                    driver_id=outcome.driver_id or "", intent=outcome.intent,
                    outcome=outcome.outcome, queue=outcome.queue, reason=outcome.reason,
                    policy_version=outcome.policy_version, record=outcome.line(),
                    recorded_at=at))
                audit(conn, at, "automation", "case_recorded", outcome.case_id, None, None,
                       {"outcome": outcome.outcome, "actions": outcome.actions,
                        "queue": outcome.queue})
                if outcome.outcome == "escalated":
                    self._open_escalation(conn, outcome, at, answer_within_hours)
        except IntegrityError:
            return False
        return True

    def _open_escalation(self, conn, outcome: ContactOutcome, at: datetime, hours: int) -> None:
        """The case's escalation: the first about its subject (a driver's recommended
        actions), or one joined to that first, which an agent decides for both."""
        assert outcome.contact_id is not None
        escalation_id = escalation_id_for(outcome.contact_id)
        row = {"id": escalation_id, "case_id": outcome.case_id, "driver_id": outcome.driver_id,
               "queue": outcome.queue, "status": "pending", "reasons": outcome.reasons,
               "recommended_actions": outcome.recommended_actions,
               "reply": outcome.reply.model_dump() if outcome.reply else None,
               "created_at": at, "due_at": at + timedelta(hours=hours), "version": 0}
        key = subject_key(outcome.driver_id, outcome.recommended_actions)
        first = key and conn.execute(select(escalations.c.id).where(
            escalations.c.subject_key == key)).scalar()
        if key and not first:
            try:
                with conn.begin_nested():
                    conn.execute(insert(escalations).values(**row, subject_key=key))
            except IntegrityError:  # another case about the subject was recorded meanwhile
                first = conn.execute(select(escalations.c.id).where(
                    escalations.c.subject_key == key)).scalar_one()
        if first:
            conn.execute(insert(escalations).values(**row, joined_to=first))
        elif not key:
            conn.execute(insert(escalations).values(**row))
        audit(conn, at, "automation", "escalated", outcome.case_id, escalation_id, None,
              {"queue": outcome.queue, "reasons": outcome.reasons, "joined_to": first or None,
               "recommended_actions": outcome.recommended_actions})

    def joined_left_open(self, limit: int = 500) -> list[str]:
        """Pending escalations joined to one that is done, oldest first."""
        first = escalations.alias("first")
        query = (select(escalations.c.id)
                 .join(first, first.c.id == escalations.c.joined_to)
                 .where(escalations.c.status == "pending", first.c.status == "done")
                 .order_by(escalations.c.created_at, escalations.c.id).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def joined(self, escalation_id: str) -> list[str]:
        """The pending escalations joined to this one, oldest first."""
        query = (select(escalations.c.id)
                 .where(escalations.c.joined_to == escalation_id,
                        escalations.c.status == "pending")
                 .order_by(escalations.c.created_at, escalations.c.id))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def escalations(self, queue: str | None = None, status: str | None = None) -> list[dict]:
        """Escalations, oldest first, as JSON-able dicts."""
        query = select(escalations).order_by(escalations.c.created_at, escalations.c.id)
        if queue:
            query = query.where(escalations.c.queue == queue)
        if status:
            query = query.where(escalations.c.status == status)
        with self.engine.connect() as conn:
            return [json_row(dict(r)) for r in conn.execute(query).mappings()]

    def escalation(self, escalation_id: str) -> dict | None:
        """One escalation, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(escalations).where(
                escalations.c.id == escalation_id)).mappings().first()
        return None if row is None else json_row(dict(row))

    def note_approval_run(self, escalation_id: str, run_id: str) -> None:
        """Keep the run the escalation's approval form is on."""
        with self.engine.begin() as conn:
            conn.execute(update(escalations).where(escalations.c.id == escalation_id)
                         .values(approval_run_id=run_id))

    def pending_without_form(self, created_before: datetime, limit: int = 500) -> list[str]:
        """Pending escalations older than that with no approval form open, oldest first."""
        query = (select(escalations.c.id)
                 .where(escalations.c.status == "pending", escalations.c.approval_run_id.is_(None),
                        escalations.c.joined_to.is_(None),
                        escalations.c.created_at < created_before)
                 .order_by(escalations.c.created_at, escalations.c.id).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def decide(self, escalation_id: str, verdict: str, decision: dict[str, Any],
               now: datetime | None = None) -> bool:
        """Record an agent's decision if the case is still pending; False if it was decided."""
        at = now or utc_now()
        status = "approved" if verdict == "approve" else "rejected"
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(escalations)
                .where(escalations.c.id == escalation_id,
                       escalations.c.status.in_(DECIDABLE))
                .values(status=status, decision=decision, decided_by=decision["agent"],
                        decided_at=at, version=escalations.c.version + 1)).rowcount
            if changed:
                case_id = conn.execute(select(escalations.c.case_id).where(
                    escalations.c.id == escalation_id)).scalar_one()
                audit(conn, at, decision["agent"], status, case_id, escalation_id,
                       decision.get("amount_cents"), decision, decision.get("reason"))
        return bool(changed)

    def refuse_decision(self, escalation_id: str, decision: dict[str, Any],
                        now: datetime | None = None) -> None:
        """Audit a decision that came after the case was decided, naming the first decider."""
        at = now or utc_now()
        with self.engine.begin() as conn:
            row = conn.execute(select(escalations.c.case_id, escalations.c.status,
                                      escalations.c.decided_by).where(
                escalations.c.id == escalation_id)).one()
            audit(conn, at, decision["agent"], "decision_refused", row.case_id, escalation_id,
                  decision.get("amount_cents"), decision,
                  f"already {row.status} by {row.decided_by}")

    def finish(self, escalation_id: str, effects: list[dict], actor: str,
               now: datetime | None = None) -> bool:
        """Mark a decided escalation carried out, with its effects in the audit log, once."""
        at = now or utc_now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(escalations)
                .where(escalations.c.id == escalation_id, escalations.c.executed_at.is_(None))
                .values(executed_at=at, status="done",
                        version=escalations.c.version + 1)).rowcount
            if changed:
                case_id = conn.execute(select(escalations.c.case_id).where(
                    escalations.c.id == escalation_id)).scalar_one()
                for effect in effects:
                    audit(conn, at, actor, f"executed_{effect['type']}", case_id,
                           escalation_id, effect.get("amount_cents"), effect)
        return bool(changed)

    def mark_breaches(self, now: datetime) -> list[dict]:
        """Pending escalations past their answer time, each marked (and returned) once."""
        due = (escalations.c.status == "pending") & (escalations.c.due_at < now) & (
            escalations.c.sla_breached_at.is_(None)) & escalations.c.joined_to.is_(None)
        with self.engine.begin() as conn:
            ids = [r.id for r in conn.execute(select(escalations.c.id).where(due))]
            marked = []
            for escalation_id in ids:
                if conn.execute(update(escalations).where(due, escalations.c.id == escalation_id)
                                .values(sla_breached_at=now)).rowcount:
                    marked.append(escalation_id)
                    case_id = conn.execute(select(escalations.c.case_id).where(
                        escalations.c.id == escalation_id)).scalar_one()
                    audit(conn, now, "sla-check", "sla_breached", case_id, escalation_id,
                           None, {})
        return [cast("dict", self.escalation(i)) for i in marked]

    def audit_trail(self, case_id: str) -> list[dict]:
        """Every audit entry of a case, in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_log).where(audit_log.c.case_id == case_id)
                                .order_by(audit_log.c.id)).mappings()
            return [json_row(dict(r)) for r in rows]

    def _insert_once(self, table, row: dict, action: str, actor: str, ref: str) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table).values(**row))
                audit(conn, row.get("stored_at") or utc_now(), actor, action, None, None,
                       None, {"id": ref})
        except IntegrityError:
            return False
        return True


def _adopt_legacy_version(conn) -> None:
    """A store made before the revision moved out of `alembic_version` keeps its revision."""
    tables = set(inspect(conn).get_table_names())
    if {"contacts", "alembic_version"} <= tables and VERSION_TABLE not in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL "
                          f"PRIMARY KEY)"))
        conn.execute(text(f"INSERT INTO {VERSION_TABLE} VALUES (:v)"), {"v": revision})


def _write_lock_up_front(engine: Engine) -> None:
    """SQLite transactions take the write lock when they begin (BEGIN IMMEDIATE), so two runs
    that read then write wait for each other instead of failing with "database is locked"."""

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _connect_args(url: str) -> dict:
    return {"timeout": 30} if url.startswith("sqlite") else {}
