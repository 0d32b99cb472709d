"""The case store's retention outreach records: who was hurt (incidents' findings, contacts'
escalations carried out), and each hurt driver and cause judged once."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onetouch.casestore.audit import audit
from onetouch.casestore.tables import audit_log, escalations, findings, outreach
from onetouch.models import utc
from policy.case import KEY_KINDS
from policy.retention import Check, Fixed, Hurt


class OutreachRecords:
    """Mixed into the case store: the hurts retention outreach looks at, and what it did."""

    engine: Engine

    def hurts(self, since: datetime) -> list[Hurt]:
        """Drivers in an incident since a time (with what was paid them), and contacts whose
        escalation was carried out (with what the agent's decision fixed)."""
        with self.engine.connect() as conn:
            found = [Hurt(driver_id=r.driver_id, cause=r.incident_id, kind="incident",
                          at=utc(r.detected_at), fixed=_fixed_finding(r))
                     for r in conn.execute(select(findings).where(
                         findings.c.incident_id.is_not(None), findings.c.detected_at >= since))]
            rows = list(conn.execute(select(escalations).where(
                escalations.c.driver_id != "", escalations.c.status == "done",
                escalations.c.created_at >= since)))
            effects = _effects(conn, [r.case_id for r in rows])
        return found + [Hurt(driver_id=r.driver_id, cause=r.id, kind="escalation",
                             at=utc(r.created_at), fixed=tuple(effects.get(r.case_id, ())))
                        for r in rows]

    def outreach_done(self) -> set[str]:
        """The keys of every driver and cause already judged."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(outreach.c.key)).scalars())

    def record_outreach(self, check: Check, segment: str, at: datetime,
                        notification_id: str | None = None) -> bool:
        """Keep a judged hurt (and the message sent for it) once; False if it was kept."""
        hurt = check.hurt
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(outreach).values(
                    key=check.key, driver_id=hurt.driver_id, cause=hurt.cause, kind=hurt.kind,
                    segment=segment, verdict=check.verdict, deliveries_before=check.before,
                    deliveries_after=check.after, hurt_at=hurt.at, checked_at=at,
                    notification_id=notification_id))
                audit(conn, at, "retention", f"outreach_{check.verdict}", hurt.cause, None,
                      None, {"driver_id": hurt.driver_id, "segment": segment,
                             "before": check.before, "after": check.after})
        except IntegrityError:
            return False
        return True


def _fixed_finding(row) -> tuple[Fixed, ...]:
    if row.status != "remediated":
        return ()
    return (Fixed(kind=row.key.rsplit("/", 1)[-1], subject_id=row.subject_id,
                  amount_cents=row.amount_cents),)


def _effects(conn, case_ids: list[str]) -> dict[str, list[Fixed]]:
    found: dict[str, list[Fixed]] = defaultdict(list)
    if not case_ids:
        return found
    query = select(audit_log.c.case_id, audit_log.c.details).where(
        audit_log.c.action.startswith("executed_"), audit_log.c.case_id.in_(case_ids))
    for row in conn.execute(query):
        d = row.details or {}
        amount = d.get("amount_cents") if d.get("type") == "pay_adjustment" else 0
        kind = d.get("kind") or KEY_KINDS.get(d.get("type", ""), "fix")
        found[row.case_id].append(Fixed(kind=kind, subject_id=d.get("subject_id", ""),
                                        amount_cents=amount or 0))
    return found
