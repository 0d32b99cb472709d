"""Detection (pure) against the independent oracle's worlds: exactly the findings owed."""

from __future__ import annotations

import pytest

from onetouch.models import World
from policy.config import PolicyConfig
from policy.detect import Finding, Reconciler, Scope
from policy.incidents import over_limits, plan_detection
from tests.detection_worlds import build_detection_world

POLICY = PolicyConfig()
HELD_OUT_SEEDS = range(1, 13)


def detect(world: World, scope: Scope | None = None) -> list[Finding]:
    reconciler = Reconciler(world.now, POLICY, world.incentives, scope)
    for earning in world.earnings:
        reconciler.add_earning(earning)
    for offer in world.offers:
        reconciler.add_offer(offer)
    orders = {o.id: o for o in world.orders if o.id in reconciler.orders_needed()}
    return reconciler.finish(orders, world.deposits)


def finding_row(finding: Finding) -> dict:
    action = finding.action
    return {"driver_id": action.driver_id, "subject_id": action.subject_id,
            "kind": action.idempotency_key.rsplit("/", 1)[1], "type": action.type,
            "amount_cents": finding.amount_cents}


def incident_row(incident) -> dict:
    summary = incident.summary()
    summary.pop("id")
    return summary


def _key(row: dict) -> tuple:
    return (row["subject_id"], row["kind"], row["driver_id"])


@pytest.mark.parametrize("seed", [0, *HELD_OUT_SEEDS])
def test_findings_are_exactly_what_the_policy_owes(seed):
    raw, expected = build_detection_world(seed)
    found = sorted((finding_row(f) for f in detect(World.model_validate(raw))), key=_key)
    assert found == sorted(expected["findings"], key=_key)


@pytest.mark.parametrize("seed", [0, *HELD_OUT_SEEDS])
def test_incidents_group_by_cause_and_hold_above_the_limits(seed):
    raw, expected = build_detection_world(seed)
    world = World.model_validate(raw)
    plan = plan_detection(detect(world), POLICY, world.now)
    got = sorted((incident_row(i) for i in plan.incidents),
                 key=lambda r: (r["detector"], r["cause"]))
    assert got == expected["incidents"]
    held = {f.key for f in plan.held}
    assert all(over_limits(i.findings, POLICY) for i in plan.incidents
               if i.status == "awaiting_approval")
    assert held == {f.key for i in plan.incidents if i.status == "awaiting_approval"
                    for f in i.findings}
    assert not held & {f.key for f in plan.fix_now}


def test_no_trap_fires():
    raw, expected = build_detection_world(0)
    found = {(f.action.subject_id, f.action.driver_id) for f in detect(World.model_validate(raw))}
    traps = [t for t in expected["traps"] if not t["finding"]]
    assert traps and not [t for t in traps if (t["subject_id"], t["driver_id"]) in found]


def test_an_alert_for_one_zone_looks_only_at_that_zone():
    raw, expected = build_detection_world(0)
    world = World.model_validate(raw)
    zone = next(i["cause"] for i in expected["incidents"] if i["detector"] == "base")
    zone = zone.removeprefix("zone=")
    scoped = detect(world, Scope(zone=zone))
    offers = {o.id: o for o in world.offers}
    assert scoped and all(offers[f.action.subject_id].zone == zone for f in scoped
                          if f.action.subject_id in offers)
    assert not [f for f in scoped if f.detector == "deposit"]


def test_a_remediated_finding_is_not_found_again():
    raw, _ = build_detection_world(0)
    world = World.model_validate(raw)
    first = detect(world)
    paid = [f for f in first if f.action.type == "pay_adjustment"]
    from tests.factories import earning
    extra = [earning(f.action.subject_id, f.action.kind, f.action.amount_cents,
                     source="proactive", minutes_ago=1, driver_id=f.action.driver_id,
                     incentive_id=f.action.subject_id if f.action.kind == "incentive" else None)
             for f in paid]
    again = detect(world.model_copy(update={"earnings": [*world.earnings, *extra]}))
    assert {f.key for f in again} == {f.key for f in first} - {f.key for f in paid}


def test_new_findings_of_a_cause_awaiting_approval_join_that_incident():
    raw, _ = build_detection_world(0)
    world = World.model_validate(raw)
    plan = plan_detection(detect(world), POLICY, world.now)
    held = next(i for i in plan.incidents if i.status == "awaiting_approval")
    awaiting = {(held.detector, held.cause): (held.id, held.findings[:2])}
    later = plan_detection(list(held.findings[1:]), POLICY, world.now, awaiting)
    grown = next(i for i in later.incidents if i.id == held.id)
    assert grown.status == "awaiting_approval"
    assert {f.key for f in grown.findings} == {f.key for f in held.findings}
    assert not later.fix_now
