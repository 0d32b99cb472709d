"""The kill switch and the money circuit breaker in the flows, and the breaker's announcement.

Before a contact's remediations, `gate_decision` asks the pure gate (policy/breaker.py) with
the kill switch (a Prefect Variable) and the last hour's automatic pay (the case store's audit
log): a decision it holds becomes a pay-review escalation. Detection asks `admit_findings`
before its lanes. A trip is recorded in the audit log and emitted once per scope and hour as
`onetouch.breaker.tripped`; the `announce-breaker-tripped` deployment's trigger on it runs
`announce_breaker_tripped`, which posts to the pay-review queue. See docs/payments-safety.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from pydantic import BaseModel, ConfigDict

from flows import deps, events
from flows.pay_review import QueueUnreachable
from integrations.queues import announce, queue_urls
from onetouch.casestore.money import (
    announced_trips,
    automatic_totals,
    record_switch,
    record_trip,
)
from onetouch.models import format_utc, utc_now
from onetouch.render import dollars, render
from onetouch.settings import get_settings
from policy.breaker import (
    CONTACT,
    HOLD_QUEUE,
    Admission,
    Caps,
    Hour,
    KillSwitch,
    Trip,
    admit,
    gate,
    hold_decision,
)
from policy.case import Decision
from policy.config import PolicyConfig
from policy.incidents import DetectionPlan
from policy.pay_review import paid_cents, pay_window


def current_hour(now: datetime, policy: PolicyConfig) -> Hour:
    """The switch, the hour before `now`'s automatic pay and trips, and the policy's caps."""
    since, until = pay_window(now)
    engine = deps.case_store().engine
    return Hour(switch=deps.payments_switch(), window_start=since, window_end=until,
                totals=automatic_totals(engine, since, until), caps=Caps.from_policy(policy),
                announced=announced_trips(engine, since, until))


def announce_trips(trips: Iterable[Trip], now: datetime, reference: str) -> None:
    """Record each new trip (so it is announced once per hour) and emit its event."""
    engine = deps.case_store().engine
    for trip in trips:
        get_run_logger().warning("breaker tripped by %s: %s", reference, trip.describe())
        record_trip(engine, trip, now, reference)
        events.breaker_tripped(trip, reference)


def gate_decision(decision: Decision, now: datetime, policy: PolicyConfig) -> Decision:
    """The decision as it may go out now: unchanged, or held for pay-review (paused, a cap)."""
    if not decision.actions:
        return decision
    verdict = gate(current_hour(now, policy), CONTACT, paid_cents(decision.actions))
    if verdict.open:
        return decision
    announce_trips(verdict.trips, now, decision.case_id)
    get_run_logger().warning("%s held for %s: %s", decision.case_id, HOLD_QUEUE, verdict.detail)
    return hold_decision(decision, verdict, policy)


@task(cache_policy=NONE)
def admit_findings(plan: DetectionPlan, now: datetime, policy: PolicyConfig, reference: str
                   ) -> tuple[DetectionPlan, Admission]:
    """The plan with only the findings the switch and the caps let through now (the rest wait
    for a later run), and the admission."""
    admission = admit(current_hour(now, policy), plan.fix_now)
    announce_trips(admission.trips, now, reference)
    if admission.deferred:
        get_run_logger().warning("%d findings deferred (%s)", len(admission.deferred),
                                 admission.reason)
    admitted = {f.key for f in admission.admitted}
    return plan.model_copy(update={
        "fix_now": tuple(f for f in plan.fix_now if f.key in admitted)}), admission


def admission_summary(admission: Admission) -> dict[str, Any]:
    """The detection summary's `payments` entry, when the switch or a cap held anything back."""
    if admission.reason is None:
        return {}
    return {"payments": {"status": "paused" if admission.reason == "payments_paused"
                         else "capped", "deferred": len(admission.deferred),
                         "deferred_cents": admission.deferred_cents,
                         "tripped": [t.key for t in admission.trips]}}


def admission_markdown(admission: Admission) -> str:
    """The detection artifact's paragraph on what the switch or the breaker held back."""
    if admission.reason is None:
        return ""
    return render("agents/detection_payments.md.j2", {"admission": admission})


class TripAlert(BaseModel):
    """The `onetouch.breaker.tripped` event's payload, as the announcing flow takes it."""

    model_config = ConfigDict(extra="ignore")

    scope: str
    detector: str
    total_cents: int
    cap_cents: int
    held_cents: int = 0
    window: dict[str, str] = {}
    reference: str | None = None
    dry_run: bool = False


@flow(name="announce-breaker-tripped", persist_result=False, retries=2, retry_delay_seconds=30)
def announce_breaker_tripped(trip: TripAlert) -> bool:
    """Tell the pay-review queue that the breaker tripped and payments over it are held."""
    scope = "all automatic pay" if trip.scope == "overall" else f"detector {trip.detector}"
    body = render("agents/breaker_tripped.md.j2", {"trip": trip, "scope": scope,
                                                   "queue": HOLD_QUEUE})
    create_markdown_artifact(key="breaker-tripped", markdown=body,
                             description="The last trip of the money circuit breaker")
    title = f"[{HOLD_QUEUE}] breaker tripped: {scope} over {dollars(trip.cap_cents)} an hour"
    if not announce(queue_urls(deps.queue_notify_urls(), HOLD_QUEUE), title, body):
        raise QueueUnreachable(f"could not post the breaker trip to {HOLD_QUEUE}")
    return True


def switch_payments(paused: bool, operator: str, reason: str | None) -> KillSwitch:
    """Set or clear the kill switch, then tell Prefect's events and the audit log."""
    at = utc_now()
    switch = KillSwitch(paused=paused, reason=reason, operator=operator, at=at)
    deps.set_payments_switch(switch)
    events.payments_switched(switch, operator)
    record_switch(deps.case_store().engine, switch, operator, at)
    return switch


def payments_status(now: datetime) -> dict[str, Any]:
    """The switch, the caps, and the hour's automatic pay overall and by detector."""
    hour = current_hour(now, deps.policy())
    detectors = sorted({*hour.totals.by_detector, *hour.caps.detectors})
    return {"switch": hour.switch.model_dump(mode="json"),
            "window": {"start": format_utc(hour.window_start),
                       "end": format_utc(hour.window_end)},
            "automatic_cents": hour.totals.overall, "cap_cents": hour.caps.overall_cents,
            "detectors": {d: {"automatic_cents": hour.totals.of(d),
                              "cap_cents": hour.caps.of(d)} for d in detectors},
            "default_detector_cap_cents": hour.caps.detector_cents,
            "tripped": sorted(hour.announced), "dry_run": get_settings().dry_run}
