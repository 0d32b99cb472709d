"""The retention-outreach flow on a world where some hurt drivers then drove less and some
did not: exactly the right drivers get one check-in, with what was fixed; a second run sends
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from flows import deps
from flows.retention import retention_outreach
from onetouch.casestore.audit import audit
from onetouch.casestore.tables import escalations, findings, outreach
from onetouch.models import World
from onetouch.replay import embedded_platform
from tests.factories import NOW, delivered, driver, order

HURT_AT = NOW - timedelta(days=8)
# driver: (deliveries in the week before the hurt, in the week after, how they were hurt)
DRIVERS = {"drv-1": (10, 1, "incident"), "drv-2": (10, 9, "incident"),
           "drv-3": (8, 0, "escalation"), "drv-4": (2, 0, "incident"),
           "drv-5": (12, 0, None)}


def _offers(driver_id: str, before: int, after: int):
    times = [HURT_AT - timedelta(days=6) + timedelta(hours=12 * n) for n in range(before)]
    times += [HURT_AT + timedelta(hours=5 + 12 * n) for n in range(after)]
    return [delivered(f"ofr-{driver_id}-{n}", driver_id=driver_id,
                      minutes_ago=(NOW - t).total_seconds() / 60) for n, t in enumerate(times)]


def _world() -> World:
    offers = [o for d, (b, a, _) in DRIVERS.items() for o in _offers(d, b, a)]
    locales = {"drv-3": "es"}
    return World(now=NOW, drivers=[driver(id=d, name=f"Sam{n} Lee", locale=locales.get(d, "en"))
                                   for n, d in enumerate(DRIVERS)],
                 orders=[order(o.order_id, "delivered") for o in offers], offers=offers)


def _hurt(store) -> None:
    with store.engine.begin() as conn:
        for d, (_, _, how) in DRIVERS.items():
            if how == "incident":
                conn.execute(insert(findings).values(
                    key=f"{d}/ofr-{d}-0/tip", driver_id=d, subject_id=f"ofr-{d}-0",
                    detector="tip", cause="store=st-1", incident_id="inc-tip-st-1",
                    status="remediated", amount_cents=450, finding={}, detected_at=HURT_AT,
                    remediated_at=HURT_AT))
        conn.execute(insert(escalations).values(
            id="esc-c-3", case_id="case-c-3", driver_id="drv-3", queue="pay-review",
            status="done", reasons=[], recommended_actions=[], created_at=HURT_AT,
            due_at=HURT_AT + timedelta(hours=24), version=2))
        audit(conn, HURT_AT + timedelta(hours=2), "kim", "executed_pay_adjustment", "case-c-3",
              "esc-c-3", 1200, {"type": "pay_adjustment", "subject_id": "ofr-drv-3-1",
                                "kind": "base", "amount_cents": 1200})


@pytest.fixture
def world_platform(tmp_path):
    with embedded_platform(_world(), tmp_path) as platform:
        _hurt(deps.case_store())
        yield platform


def _sent(platform):
    return {d: list(platform.notifications.list(driver_id=d)) for d in DRIVERS}


def test_only_hurt_drivers_who_drove_less_get_one_checkin(world_platform):
    first = retention_outreach()
    assert (first["checked"], first["sent"], first["drivers_checked"]) == (4, 2, 4)
    sent = _sent(world_platform)
    assert {d: len(n) for d, n in sent.items()} == {
        "drv-1": 1, "drv-2": 0, "drv-3": 1, "drv-4": 0, "drv-5": 0}
    [incident], [escalation] = sent["drv-1"], sent["drv-3"]
    assert incident.idempotency_key == "outreach/drv-1/inc-tip-st-1"
    assert incident.locale == "en" and "$4.50" in incident.body and "Sam0" in incident.body
    assert escalation.locale == "es" and "$12.00" in escalation.body
    assert "pago base" in escalation.body

    second = retention_outreach()
    assert (second["checked"], second["sent"]) == (0, 0)
    assert {d: len(n) for d, n in _sent(world_platform).items()} == {
        d: len(n) for d, n in sent.items()}
    with deps.case_store().engine.connect() as conn:
        rows = {r.driver_id: (r.verdict, r.deliveries_before, r.deliveries_after)
                for r in conn.execute(select(outreach))}
    assert rows == {"drv-1": ("dropped", 10, 1), "drv-2": ("steady", 10, 9),
                    "drv-3": ("dropped", 8, 0), "drv-4": ("steady", 2, 0)}
