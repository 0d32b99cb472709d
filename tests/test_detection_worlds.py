"""Tests of the detection oracle itself: worlds validate, and expectations follow the policy."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from onetouch.models import World
from tests.detection_worlds import TRAP_CATEGORIES, build_detection_world, dumps, main

SEEDS = range(10)
DATA = Path(__file__).parent / "data" / "detection"
KINDS = ("base", "tip", "wait_time", "cancellation", "reissue", "incentive", "deposit_retry")
TRAPS = set(TRAP_CATEGORIES)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _paid(world: dict) -> dict[tuple[str, str, str], int]:
    """Sum of earnings per (driver, subject, kind)."""
    paid: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in world["earnings"]:
        paid[e["driver_id"], e["offer_id"] or e["incentive_id"], e["kind"]] += e["amount_cents"]
    return paid


def _delivered(o: dict, now: datetime, paid: dict) -> list[tuple]:
    """Base, tip and wait findings for a delivered offer in scope."""
    if not o["delivered_at"] or not HOUR <= now - _t(o["delivered_at"]) <= DAY:
        return []
    who, oid = o["driver_id"], o["id"]
    out = [(who, oid, kind, quote - paid[who, oid, kind])
           for kind, quote in (("base", o["base_pay_cents"]), ("tip", o["customer_tip_cents"]))
           if quote - paid[who, oid, kind] > 0]
    wait = (_t(o["picked_up_at"]) - _t(o["arrived_at_store"])) // timedelta(minutes=1)
    if wait > 15 and (who, oid, "wait_time") not in paid:
        out.append((who, oid, "wait_time", min((wait - 15) * 25, 1000)))
    return out


def _cancelled(o: dict, now: datetime, paid: dict, orders: dict) -> list[tuple]:
    """Cancellation pay or reissue for an offer cancelled in scope."""
    if not o["cancelled_at"] or now - _t(o["cancelled_at"]) > DAY:
        return []
    who, oid, by, base = o["driver_id"], o["id"], o["cancelled_by"], o["base_pay_cents"]
    if by not in ("customer", "store", "system"):
        return []
    if o["arrived_at_store"]:
        short = base - paid[who, oid, "cancellation"]
        return [(who, oid, "cancellation", short)] if short > 0 else []
    if (by, o["cancel_reason"], orders[o["order_id"]]) == ("system", "app_error", "open") and (
            now - _t(o["cancelled_at"]) < HOUR):
        return [(who, oid, "reissue", 0)]
    owed = by != "customer" and (who, oid, "cancellation") not in paid
    return [(who, oid, "cancellation", base // 2)] if owed else []


def _incentives(world: dict, now: datetime, paid: dict) -> list[tuple]:
    """Rewards owed for incentives that ended in the last 24 hours."""
    out = []
    for inc in world["incentives"]:
        start, end = _t(inc["starts_at"]), _t(inc["ends_at"])
        if not timedelta(0) <= now - end <= DAY:
            continue
        for who in inc["enrolled_driver_ids"]:
            done = sum(1 for o in world["offers"] if o["driver_id"] == who and o["delivered_at"]
                       and o["zone"] == inc["zone"] and start <= _t(o["delivered_at"]) < end)
            if done >= inc["required_deliveries"] and (who, inc["id"], "incentive") not in paid:
                out.append((who, inc["id"], "incentive", inc["reward_cents"]))
    return out


def _reference(world: dict) -> set[tuple]:
    """Findings by a direct reading of the policy, as (driver, subject, kind, cents)."""
    now, paid = _t(world["now"]), _paid(world)
    orders = {order["id"]: order["status"] for order in world["orders"]}
    found = set(_incentives(world, now, paid))
    for o in world["offers"]:
        found |= set(_delivered(o, now, paid)) | set(_cancelled(o, now, paid, orders))
    for d in world["deposits"]:
        if (d["status"] == "failed" and d["failure_reason"] in ("bank_timeout", "processor_error")
                and d["retried_at"] is None and now - _t(d["created_at"]) <= DAY):
            found.add((d["driver_id"], d["id"], "deposit_retry", d["amount_cents"]))
    return found


def _detector(kind: str) -> str:
    return {"reissue": "cancellation", "deposit_retry": "deposit"}.get(kind, kind)


def _cause(world: dict, subject: str, kind: str) -> str:
    """The grouping cause of a finding, read from the world."""
    rows = {row["id"]: row for key in ("offers", "deposits") for row in world[key]}
    row = rows.get(subject)
    if kind == "base":
        return f"zone={row['zone']}"
    if kind in ("tip", "wait_time"):
        return f"store={row['store_id']}"
    if kind in ("cancellation", "reissue"):
        return f"zone={row['zone']}/reason={row['cancel_reason']}"
    return f"failure={row['failure_reason']}" if row else f"incentive={subject}"


def _reference_incidents(world: dict) -> list[dict]:
    """Incidents from the direct reading: groups of 3 or more by detector and cause."""
    groups: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for who, subject, kind, cents in _reference(world):
        groups[_detector(kind), _cause(world, subject, kind)].append((who, subject, cents))
    out = []
    for (detector, cause), rows in sorted(groups.items()):
        if len(rows) < 3:
            continue
        total, drivers = sum(r[2] for r in rows), len({r[0] for r in rows})
        status = "awaiting_approval" if total > 200_000 or drivers > 100 else "remediated"
        out.append({"detector": detector, "cause": cause, "subjects": sorted({r[1] for r in rows}),
                    "drivers": drivers, "total_cents": total, "status": status})
    return out


@pytest.fixture(scope="module", params=SEEDS)
def built(request) -> tuple[dict, dict]:
    return build_detection_world(request.param)


def test_world_validates(built):
    world, _ = built
    assert World.model_validate(world).model_dump(mode="json")["now"] == world["now"]


def test_same_seed_same_output_and_seeds_differ():
    assert dumps(build_detection_world(4)[0]) == dumps(build_detection_world(4)[0])
    assert dumps(build_detection_world(4)[1]) == dumps(build_detection_world(4)[1])
    assert dumps(build_detection_world(4)[0]) != dumps(build_detection_world(5)[0])


def test_findings_match_a_direct_reading_of_the_policy(built):
    world, expected = built
    listed = [(f["driver_id"], f["subject_id"], f["kind"], f["amount_cents"])
              for f in expected["findings"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == _reference(world)


def test_incidents_match_a_direct_grouping(built):
    world, expected = built
    assert expected["incidents"] == _reference_incidents(world)


def test_findings_are_sorted_and_typed(built):
    _, expected = built
    findings = expected["findings"]
    assert [(f["subject_id"], f["kind"]) for f in findings] == sorted(
        (f["subject_id"], f["kind"]) for f in findings)
    types = {"reissue": "offer_reissue", "deposit_retry": "deposit_retry"}
    assert all(f["type"] == types.get(f["kind"], "pay_adjustment") for f in findings)
    assert all(f["amount_cents"] == 0 for f in findings if f["kind"] == "reissue")


def test_coverage_of_kinds_incidents_and_traps(built):
    _, expected = built
    kinds = Counter(f["kind"] for f in expected["findings"])
    assert all(kinds[kind] >= 2 for kind in KINDS), kinds
    incidents = expected["incidents"]
    assert len(incidents) >= 2
    assert [i["status"] for i in incidents].count("awaiting_approval") == 1
    grouped = {(i["detector"], subject) for i in incidents for subject in i["subjects"]}
    findings = expected["findings"]
    assert any((_detector(f["kind"]), f["subject_id"]) not in grouped for f in findings)
    assert {t["trap"] for t in expected["traps"]} == TRAPS


def test_incident_statuses_follow_limits(built):
    _, expected = built
    for incident in expected["incidents"]:
        big = incident["total_cents"] > 200_000 or incident["drivers"] > 100
        assert incident["status"] == ("awaiting_approval" if big else "remediated")
        assert incident["subjects"] == sorted(set(incident["subjects"]))


def test_traps_yield_findings_only_where_marked(built):
    _, expected = built
    found = {(f["driver_id"], f["subject_id"]) for f in expected["findings"]}
    for trap in expected["traps"]:
        assert ((trap["driver_id"], trap["subject_id"]) in found) is trap["finding"], trap


def test_committed_seed_0_matches_generator():
    world, expected = build_detection_world(0)
    assert (DATA / "world-0.json").read_text() == dumps(world)
    assert (DATA / "expected-0.json").read_text() == dumps(expected)


def test_command_line_writes_both_files(tmp_path, capsys):
    main(["--seed", "2", "--out", str(tmp_path)])
    world, expected = build_detection_world(2)
    assert (tmp_path / "world-2.json").read_text() == dumps(world)
    assert (tmp_path / "expected-2.json").read_text() == dumps(expected)
    assert "expected-2.json" in capsys.readouterr().out
