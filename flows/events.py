"""Prefect events for what onetouch does: decisions, remediations, escalations, incidents, money.

Each event's resource is the case (`onetouch.case.<id>`), incident (`onetouch.incident.<id>`)
or detection run (`onetouch.detection.<reference>`) it happened under; related resources name
the driver, escalation, case or incident by id only. Amounts are integer cents in the payload.
No event carries a name, phone, email or message text.

`emit_event` only queues the event for Prefect's background events worker: a missing or
unreachable server is logged there, never raised here, so emitting cannot stop a payment
from being recorded. Event ids derive from the case, escalation or idempotency key, so a
re-run that does the same thing again sends an event the server already has (and ignores).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from prefect.events import Event, emit_event

from onetouch.casestore.incidents import APPROVAL_QUEUE, incident_escalation_id
from onetouch.outcomes import ContactOutcome
from onetouch.settings import get_settings
from policy.approval import AgentDecision
from policy.breaker import KillSwitch, Trip
from policy.case import RemediationAction, escalation_id_for
from policy.incidents import DetectionPlan, Incident
from policy.pay_review import HourlyPayAlert, paid_cents

NAMESPACE = uuid.UUID("5d0b6c1e-8f0a-4f53-9a43-6e1c0de7e0a1")
MAX_DRIVERS = 50  # related drivers per event (Prefect allows 100 related resources in all)
REMEDIATED = {"pay_adjustment": "paid", "offer_reissue": "reissued",
              "deposit_retry": "deposit-retried"}


def resource_of(reference: str) -> dict[str, str]:
    """The case, incident or detection run an id names, as a Prefect resource."""
    kind = ("incident" if reference.startswith("inc-")
            else "detection" if reference.startswith("detect-") else "case")
    return {"prefect.resource.id": f"onetouch.{kind}.{reference}"}


def related(drivers: Iterable[str | None] = (), **ids: str | None) -> list[dict[str, str]]:
    """Related resources by role (escalation=…, case=…, incident=…) and the drivers, by id."""
    roles = [(role, ident) for role, ident in ids.items() if ident]
    unique = sorted({d for d in drivers if d})[:MAX_DRIVERS]
    roles += [("driver", d) for d in unique]
    return [{"prefect.resource.id": f"onetouch.{role}.{ident}", "prefect.resource.role": role}
            for role, ident in roles]


def emit(name: str, key: str, reference: str, related_to: list[dict[str, str]],
         payload: dict[str, Any]) -> Event | None:
    """One `onetouch.<name>` event with an id fixed by what it is about (marked in a dry run)."""
    payload = _marked(payload)
    return emit_event(event=f"onetouch.{name}", resource=resource_of(reference),
                      related=related_to, payload=payload,
                      id=uuid.uuid5(NAMESPACE, f"{name}/{key}"))


def case_recorded(outcome: ContactOutcome) -> None:
    """The policy's decision on a contact; and the escalation it opened, if any."""
    if outcome.case_id is None:
        return
    escalation_id = (escalation_id_for(outcome.contact_id)
                     if outcome.outcome == "escalated" and outcome.contact_id else None)
    emit("case.decided", outcome.case_id, outcome.case_id,
         related([outcome.driver_id], escalation=escalation_id, incident=outcome.incident_id),
         {"source": "contact", "outcome": outcome.outcome, "intent": outcome.intent,
          "queue": outcome.queue, "reason": outcome.reason,
          "policy_version": outcome.policy_version,
          "amount_cents": paid_cents(outcome.actions),
          "recommended_cents": paid_cents(outcome.recommended_actions),
          "actions": outcome.actions, "recommended_actions": outcome.recommended_actions})
    if escalation_id:
        escalation_opened(escalation_id, outcome.case_id, outcome.queue or "general",
                          outcome.recommended_actions, [outcome.driver_id])


def escalation_opened(escalation_id: str, reference: str, queue: str,
                      recommended: list[dict[str, Any]], drivers: Iterable[str | None]) -> None:
    emit("escalation.opened", escalation_id, reference,
         related(drivers, escalation=escalation_id),
         {"queue": queue, "recommended_cents": paid_cents(recommended),
          "recommended_actions": len(recommended)})


def remediated(action: RemediationAction, reference: str, source: str) -> None:
    """One remediation the platform accepted: `onetouch.remediation.paid|reissued|…`."""
    emit(f"remediation.{REMEDIATED[action.type]}", action.idempotency_key, reference,
         related([action.driver_id]),
         {"source": source, "type": action.type, "kind": action.kind,
          "subject_id": action.subject_id, "amount_cents": action.amount_cents,
          "idempotency_key": action.idempotency_key, "new_offer_id": action.new_offer_id,
          "reference": reference})


def escalation_decided(escalation: Mapping[str, Any], decision: AgentDecision) -> None:
    """An agent's verdict, recorded (the agent's free-text reason stays in the case store)."""
    emit("escalation.decided", escalation["id"], escalation["case_id"],
         related([escalation.get("driver_id")], escalation=escalation["id"]),
         {"verdict": decision.verdict, "agent": decision.agent, "queue": escalation["queue"],
          "amount_cents": decision.amount_cents,
          "recommended_cents": paid_cents(escalation["recommended_actions"])})


def escalation_executed(escalation: Mapping[str, Any], decision: AgentDecision,
                        effects: list[dict[str, Any]]) -> None:
    """A decided escalation carried out (its remediations have their own events)."""
    emit("escalation.executed", escalation["id"], escalation["case_id"],
         related([escalation.get("driver_id")], escalation=escalation["id"]),
         {"verdict": decision.verdict, "agent": decision.agent, "queue": escalation["queue"],
          "amount_cents": paid_cents(effects), "actions": effects})


def _incident_payload(incident: Incident, **extra: Any) -> dict[str, Any]:
    return {"source": "proactive", "detector": incident.detector, "cause": incident.cause,
            "status": incident.status, "total_cents": incident.total_cents,
            "drivers": incident.drivers, "findings": len(incident.findings), **extra}


def _drivers(incident: Incident) -> list[str]:
    return [f.action.driver_id for f in incident.findings]


def detection_recorded(plan: DetectionPlan, opened: list[str]) -> None:
    """Each incident new or grown; those now held for an agent, and their escalations."""
    for incident in plan.incidents:
        emit("incident.recorded", f"{incident.id}/{len(incident.findings)}", incident.id,
             related(_drivers(incident)), _incident_payload(incident))
        if incident.id in opened:
            escalation_id = incident_escalation_id(incident.id)
            emit("incident.awaiting-approval", incident.id, incident.id,
                 related(_drivers(incident), escalation=escalation_id),
                 _incident_payload(incident))
            escalation_opened(escalation_id, incident.id, APPROVAL_QUEUE,
                              [f.action.outcome_view() for f in incident.findings],
                              _drivers(incident))


def incidents_remediated(plan: DetectionPlan, fixed: Iterable[RemediationAction]) -> None:
    """Incidents under the limits, fixed by detection itself."""
    done = {a.idempotency_key: a for a in fixed}
    for incident in plan.incidents:
        actions = [done[f.key] for f in incident.findings if f.key in done]
        if incident.status == "remediated" and actions:
            emit("incident.remediated", incident.id, incident.id,
                 related(_drivers(incident)),
                 _incident_payload(incident, decided_by="detection",
                                   amount_cents=paid_cents(actions), fixed=len(actions)))


def incident_closed(incident_id: str, status: str, done: tuple[RemediationAction, ...],
                    agent: str) -> None:
    """A held incident an agent decided: `incident.remediated` (approved) or `.closed`."""
    name = "incident.remediated" if status == "remediated" else "incident.closed"
    emit(name, incident_id, incident_id,
         related([a.driver_id for a in done], escalation=incident_escalation_id(incident_id)),
         {"source": "proactive", "status": status, "decided_by": agent,
          "amount_cents": paid_cents(done), "fixed": len(done)})


def hourly_threshold_crossed(alert: HourlyPayAlert) -> None:
    """Automatic pay in the last hour reached the threshold (the alert automation's trigger)."""
    emit_event(event="onetouch.money.hourly-threshold-crossed",
               resource={"prefect.resource.id": "onetouch.money.automatic-pay",
                         "prefect.resource.name": "automatic pay"},
               related=[{**resource_of(alert.crossed_by), "prefect.resource.role": "crossed-by"}],
               payload=_marked(alert.model_dump(mode="json")),
               id=uuid.uuid5(NAMESPACE, f"money.hourly-threshold-crossed/{alert.crossed_by}"))


PAYMENTS = {"prefect.resource.id": "onetouch.payments.automatic",
            "prefect.resource.name": "automatic payments"}


def _marked(payload: dict[str, Any]) -> dict[str, Any]:
    """A dry run's events say so: nothing they describe was paid or sent."""
    return {**payload, "dry_run": True} if get_settings().dry_run else payload


def payments_switched(switch: KillSwitch, operator: str) -> None:
    """The kill switch set (`onetouch.payments.paused`) or cleared (`.resumed`) by an operator."""
    name = "payments.paused" if switch.paused else "payments.resumed"
    at = switch.at.isoformat() if switch.at else ""
    emit_event(event=f"onetouch.{name}", resource=PAYMENTS,
               payload=_marked({"paused": switch.paused, "reason": switch.reason,
                                "operator": operator, "at": at}),
               id=uuid.uuid5(NAMESPACE, f"{name}/{operator}/{at}"))


def breaker_tripped(trip: Trip, reference: str) -> None:
    """A cap on automatic pay in the hour was reached: payments over it are held."""
    emit_event(event="onetouch.breaker.tripped", resource=PAYMENTS,
               related=[{**resource_of(reference), "prefect.resource.role": "tripped-by"}],
               payload=_marked({**trip.payload(), "reference": reference}),
               id=uuid.uuid5(NAMESPACE, f"breaker.tripped/{trip.key}/{reference}"))
