"""Automatic pay over a time window, read from the audit log (agent-approved pay not counted);
the breaker's trips, recorded there so that each is announced once per window; the kill
switch's changes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine

from onetouch.casestore.audit import audit
from onetouch.casestore.tables import audit_log
from policy.breaker import CONTACT, KillSwitch, PayTotals, Trip
from policy.pay_review import paid_cents

# Contacts resolved by the policy, and findings fixed by detection; an agent's approval
# is written as `executed_*` (contacts) or `proactive_*` under the agent's name (incidents).
AUTOMATIC = or_(
    and_(audit_log.c.action == "case_recorded", audit_log.c.actor == "automation"),
    and_(audit_log.c.action == "proactive_pay_adjustment", audit_log.c.actor == "detection"),
)
UNKNOWN_DETECTOR = "proactive"  # proactive rows written before the detector was recorded
BREAKER = "breaker"
TRIPPED = "breaker_tripped"


def _window(since: datetime, until: datetime):
    return and_(audit_log.c.at > since.astimezone(UTC), audit_log.c.at <= until.astimezone(UTC))


def automatic_totals(engine: Engine, since: datetime, until: datetime) -> PayTotals:
    """Cents paid without an agent with audit time in (since, until], overall and by detector
    (`contact` for the contact path)."""
    query = select(audit_log.c.action, audit_log.c.amount_cents, audit_log.c.details).where(
        AUTOMATIC, _window(since, until))
    totals = PayTotals()
    detector: str | None
    with engine.connect() as conn:
        for row in conn.execute(query):
            details = row.details or {}
            if row.action == "case_recorded":
                cents, detector = paid_cents(details.get("actions") or []), CONTACT
            else:
                cents, detector = row.amount_cents or 0, details.get("detector")
            if cents:
                totals = totals.plus(detector or UNKNOWN_DETECTOR, cents)
    return totals


def automatic_cents(engine: Engine, since: datetime, until: datetime) -> int:
    """Cents paid without an agent with audit time in (since, until]."""
    return automatic_totals(engine, since, until).overall


def announced_trips(engine: Engine, since: datetime, until: datetime) -> frozenset[str]:
    """The keys of the breaker's trips recorded in (since, until]."""
    query = select(audit_log.c.details).where(
        audit_log.c.action == TRIPPED, _window(since, until))
    with engine.connect() as conn:
        return frozenset((row.details or {}).get("key", "") for row in conn.execute(query))


def record_trip(engine: Engine, trip: Trip, at: datetime, reference: str) -> None:
    """One audit entry for a trip of the breaker (what `announced_trips` reads)."""
    with engine.begin() as conn:
        audit(conn, at, BREAKER, TRIPPED, reference, None, trip.total_cents,
              {"key": trip.key, **trip.payload()})


def record_switch(engine: Engine, switch: KillSwitch, operator: str, at: datetime) -> None:
    """The kill switch set or cleared by an operator, in the audit log."""
    action = "payments_paused" if switch.paused else "payments_resumed"
    with engine.begin() as conn:
        audit(conn, at, operator, action, None, None, None, switch.model_dump(mode="json"),
              switch.reason)
