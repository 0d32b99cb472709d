"""Hand-made scorecard rows: a small day whose every figure is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from onetouch.scorecard.models import (
    Action,
    CaseRow,
    EscalationRow,
    FindingRow,
    Remediation,
    StoreRows,
)

DAY = datetime(2026, 11, 21, tzinfo=UTC)


def at(hour: float) -> datetime:
    """A time on the day, in hours after midnight UTC."""
    return DAY + timedelta(hours=hour)


def pay(subject: str, kind: str, cents: int) -> Action:
    return Action(type="pay_adjustment", subject_id=subject, kind=kind, amount_cents=cents)


def case(contact: str, driver: str, intent: str | None, outcome: str, hour: float,
         queue: str | None = None, actions: tuple[Action, ...] = (),
         recommended: tuple[Action, ...] = (), incident: str | None = None) -> CaseRow:
    return CaseRow(contact_id=contact, driver_id=driver, intent=intent, outcome=outcome,
                   queue=queue, incident_id=incident, received_at=at(hour),
                   recorded_at=at(hour), actions=actions, recommended=recommended)


def fix(driver: str, subject: str, kind: str, cents: int, hour: float, path: str = "detection",
        detector: str | None = None, incident: str | None = None) -> Remediation:
    kinds = {"reissue": "offer_reissue", "deposit_retry": "deposit_retry"}
    return Remediation(driver_id=driver, subject_id=subject, type=kinds.get(kind,
                       "pay_adjustment"), kind=kind, amount_cents=cents, at=at(hour),
                       path=path, detector=detector or (kind if path == "detection" else path),
                       incident_id=incident)


def escalation(ident: str, queue: str, hour: float, due_hours: float,
               decided: float | None = None, incident: bool = False,
               marked: float | None = None) -> EscalationRow:
    return EscalationRow(id=ident, queue=queue, for_incident=incident, created_at=at(hour),
                         due_at=at(hour + due_hours),
                         decided_at=at(decided) if decided is not None else None,
                         sla_breached_at=at(marked) if marked is not None else None)


def small_day() -> StoreRows:
    """Detection at 04:00 pays four defects; six contacts follow; one agent approval."""
    return StoreRows(
        cases=(case("c-1", "drv-1", "missing_tip", "resolved", 4.5),
               case("c-2", "drv-2", "missing_pay", "resolved", 6, actions=(
                   pay("ofr-2", "base", 900),)),
               case("c-3", "drv-3", "safety", "escalated", 7, queue="trust-safety"),
               case("c-4", "drv-4", "missing_pay", "escalated", 8, queue="pay-review",
                    recommended=(pay("ofr-4", "base", 8000),)),
               case("c-5", "drv-5", "missing_tip", "linked", 9, incident="inc-tip"),
               case("c-6", "drv-2", "missing_pay", "resolved", 10)),
        escalations=(escalation("esc-c-3", "trust-safety", 7, 1, decided=8.5),
                     escalation("esc-c-4", "pay-review", 8, 24, decided=12),
                     escalation("esc-inc-tip", "pay-review", 4, 24, incident=True)),
        remediations=(fix("drv-1", "ofr-1", "tip", 400, 4, incident="inc-tip"),
                      fix("drv-6", "ofr-6", "tip", 500, 4, incident="inc-tip"),
                      fix("drv-7", "ofr-7", "reissue", 0, 4, detector="cancellation"),
                      fix("drv-8", "dep-8", "deposit_retry", 0, 4, detector="deposit"),
                      fix("drv-2", "ofr-2", "base", 900, 6, path="contact"),
                      fix("drv-4", "ofr-4", "base", 8000, 12, path="agent"),
                      fix("drv-5", "ofr-5", "tip", 300, 13, incident="inc-tip")),
        findings=(FindingRow(key="drv-1/ofr-1/tip", detector="tip", detected_at=at(4)),
                  FindingRow(key="drv-5/ofr-5/tip", detector="tip", detected_at=at(4))),
        first_at=at(4), last_at=at(13))
