"""Reading a period's rows from the case store (SQLAlchemy Core): cases with their contacts'
arrival, escalations, remediations from the audit log, detection's findings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine

from onetouch.casestore.tables import (
    audit_log,
    cases,
    contacts,
    dry_run_actions,
    escalations,
    findings,
    outreach,
)
from onetouch.models import utc
from onetouch.scorecard.compute import ASK_LOOKBACK, REPEAT_WINDOW
from onetouch.scorecard.models import (
    ACTION_KINDS,
    Action,
    CaseRow,
    EscalationRow,
    FindingRow,
    OutreachRow,
    Period,
    Remediation,
    StoreRows,
)

PROACTIVE = "proactive_"
EXECUTED = "executed_"
INTAKE = "intake"  # contacts kept on arrival, stamped with this machine's clock
CHUNK = 500


def _between(column, start: datetime | None, end: datetime | None):
    clauses = []
    if start is not None:
        clauses.append(column >= start.astimezone(UTC))
    if end is not None:
        clauses.append(column < end.astimezone(UTC))
    return clauses


def load_rows(engine: Engine, period: Period) -> StoreRows:
    """Everything the scorecard of the period needs from the case store."""
    with engine.connect() as conn:
        case_rows = _cases(conn, period)
        remediations = _remediations(conn, period, case_rows)
        first, last = conn.execute(select(func.min(audit_log.c.at), func.max(audit_log.c.at))
                                   .where(audit_log.c.actor != INTAKE)).one()
        return StoreRows(
            cases=tuple(case_rows), escalations=tuple(_escalations(conn, period)),
            remediations=tuple(remediations),
            findings=tuple(_findings(conn, {r.key for r in remediations})),
            first_at=utc(first), last_at=utc(last), dry_run=_dry_run(conn, period),
            outreach=tuple(_outreach(conn, period)))


def _cases(conn, period: Period) -> list[CaseRow]:
    start = period.start - ASK_LOOKBACK if period.start else None
    end = period.end + REPEAT_WINDOW if period.end else None
    query = (select(cases.c.contact_id, cases.c.driver_id, cases.c.intent, cases.c.outcome,
                    cases.c.queue, cases.c.record, cases.c.recorded_at, contacts.c.received_at)
             .join(contacts, contacts.c.id == cases.c.contact_id, isouter=True)
             .where(*_between(cases.c.recorded_at, start, end))
             .order_by(cases.c.recorded_at, cases.c.contact_id))
    return [_case(row) for row in conn.execute(query)]


def _case(row: Any) -> CaseRow:
    record = row.record or {}
    recorded = utc(row.recorded_at)
    return CaseRow(
        contact_id=row.contact_id, driver_id=row.driver_id, intent=row.intent,
        outcome=row.outcome, queue=row.queue, incident_id=record.get("incident_id"),
        received_at=utc(row.received_at) or recorded, recorded_at=recorded,
        actions=_actions(record.get("actions")),
        recommended=_actions(record.get("recommended_actions")))


def _actions(views: Iterable[dict] | None) -> tuple[Action, ...]:
    return tuple(Action(type=v["type"], subject_id=v["subject_id"], kind=v.get("kind"),
                        amount_cents=v.get("amount_cents")) for v in views or ())


def _escalations(conn, period: Period) -> list[EscalationRow]:
    query = select(escalations).where(*_between(escalations.c.created_at, period.start,
                                                period.end))
    return [EscalationRow(
        id=row.id, queue=row.queue, for_incident=not row.driver_id,
        created_at=utc(row.created_at), due_at=utc(row.due_at), decided_at=utc(row.decided_at),
        sla_breached_at=utc(row.sla_breached_at)) for row in conn.execute(query)]


def _remediations(conn, period: Period, case_rows: list[CaseRow]) -> list[Remediation]:
    """The contact path's (from its cases), detection's and agents' (from the audit log)."""
    found = [_remediation(case.driver_id, action, case.recorded_at, "contact", "contact", None)
             for case in case_rows if period.covers(case.recorded_at) for action in case.actions]
    query = select(audit_log.c.action, audit_log.c.at, audit_log.c.case_id,
                   audit_log.c.details).where(
        or_(audit_log.c.action.startswith(PROACTIVE), audit_log.c.action.startswith(EXECUTED)),
        *_between(audit_log.c.at, period.start, period.end)).order_by(audit_log.c.id)
    rows = list(conn.execute(query))
    drivers = _case_drivers(conn, {r.case_id for r in rows if r.action.startswith(EXECUTED)})
    for row in rows:
        details, at = row.details or {}, utc(row.at)
        action = Action.model_validate({k: details.get(k) for k in
                                        ("type", "subject_id", "kind", "amount_cents")})
        if row.action.startswith(PROACTIVE):
            found.append(_remediation(details["driver_id"], action, at, "detection",
                                      details.get("detector") or "unknown", row.case_id))
        elif row.case_id in drivers:  # an incident's approval is written as proactive_* too
            found.append(_remediation(drivers[row.case_id], action, at, "agent", "agent", None))
    return found


def _case_drivers(conn, case_ids: set[str]) -> dict[str, str]:
    """The driver of each contact case named (incidents have no case row)."""
    ordered = sorted(i for i in case_ids if i)
    drivers: dict[str, str] = {}
    for n in range(0, len(ordered), CHUNK):
        query = select(cases.c.case_id, cases.c.driver_id).where(
            cases.c.case_id.in_(ordered[n:n + CHUNK]))
        drivers |= {r.case_id: r.driver_id for r in conn.execute(query)}
    return drivers


def _remediation(driver_id: str, action: Action, at: datetime, path: str, detector: str,
                 incident_id: str | None) -> Remediation:
    paid = action.amount_cents if action.type == "pay_adjustment" else 0
    return Remediation(
        driver_id=driver_id, subject_id=action.subject_id, type=action.type,
        kind=action.kind or ACTION_KINDS[action.type], amount_cents=paid or 0, at=at,
        path=path, detector=detector, incident_id=incident_id)  # type: ignore[arg-type]


def _findings(conn, keys: set[str]) -> list[FindingRow]:
    ordered, rows = sorted(keys), []
    for n in range(0, len(ordered), CHUNK):
        query = select(findings.c.key, findings.c.detector, findings.c.detected_at).where(
            findings.c.key.in_(ordered[n:n + CHUNK]))
        rows += [FindingRow(key=r.key, detector=r.detector, detected_at=utc(r.detected_at))
                 for r in conn.execute(query)]
    return rows


def _outreach(conn, period: Period) -> list[OutreachRow]:
    query = select(outreach).where(*_between(outreach.c.checked_at, period.start, period.end))
    return [OutreachRow(driver_id=r.driver_id, segment=r.segment, verdict=r.verdict,
                        checked_at=utc(r.checked_at), sent=r.notification_id is not None)
            for r in conn.execute(query)]


def _dry_run(conn, period: Period) -> bool:
    query = select(dry_run_actions.c.id).where(
        *_between(dry_run_actions.c.at, period.start, period.end)).limit(1)
    return conn.execute(query).first() is not None


def load_outcomes(engine: Engine, period: Period | None = None) -> list[dict[str, Any]]:
    """The recorded outcome lines (the replay's shape), oldest first."""
    period = period or Period()
    query = (select(cases.c.record)
             .where(*_between(cases.c.recorded_at, period.start, period.end))
             .order_by(cases.c.recorded_at, cases.c.contact_id))
    with engine.connect() as conn:
        return [row.record for row in conn.execute(query)]
