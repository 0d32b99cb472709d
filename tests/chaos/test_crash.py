"""Crashes: a flow run's process dies (exit 137, no cleanup) before the payment, between the
payment and the reply, after the reply; or a detection run dies after one driver's payments.
The sweep (or the next detection run) finishes the work: every contact one outcome, every owed
remediation once, one reply per case, one push per driver, the audit log complete."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from onetouch.casestore.tables import audit_log
from onetouch.stack_burst import read_runs, runs_by_contact
from tests.chaos.conftest import (
    CONTACTS,
    DATA,
    PAYING,
    chaos_stack,
    check_contacts,
    final_state,
    paid_twice,
    post_until_accepted,
    settle,
    start_deployment,
    sweep_restarts,
    times_done,
)

pytestmark = [pytest.mark.stack, pytest.mark.heavy, pytest.mark.timeout(900)]
CONTACT_POINTS = ["before_payment", "after_payment", "after_reply"]
POINTS = [*CONTACT_POINTS, "after_lane_payment"]
DATABASES = ("onetouch_crash_prefect", "onetouch_crash_cases")
DETECTION = DATA / "detection"
SEEDED = "seeded: does not fire\n"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"crash-{request.param}")
    with chaos_stack(tmp, request.param, DATABASES, POINTS) as running:
        yield running


def marker(crash_dir: Path, point: str, key: str) -> Path:
    """The file flows/failpoints.py writes when a point fires for a key."""
    return crash_dir / f"{point}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def fired(crash_dir: Path) -> list[str]:
    """`point key` of every failpoint that fired (the seeded markers left out)."""
    return sorted(m.read_text().strip() for m in crash_dir.iterdir() if m.read_text() != SEEDED)


def arm_only(crash_dir: Path, wanted: set[tuple[str, str]], everything: set[tuple[str, str]]
             ) -> None:
    """Leave armed only the wanted (point, key) pairs: the others get a marker already."""
    for point, key in everything - wanted:
        marker(crash_dir, point, key).write_text(SEEDED)


def _key(point: str, contact_id: str) -> str:
    return f"case-{contact_id}" if point == "before_payment" else contact_id


def test_runs_killed_at_each_crash_point_are_finished_once_by_the_sweep(stack):
    plan = {cid: CONTACT_POINTS[n % len(CONTACT_POINTS)] for n, cid in enumerate(PAYING)}
    crashes = {(point, _key(point, cid)) for cid, point in plan.items()}
    arm_only(stack.crash_dir, crashes,
             {(p, _key(p, cid)) for cid in PAYING for p in CONTACT_POINTS})
    ids, started = set(PAYING), time.monotonic()
    for cid in PAYING:
        post_until_accepted(stack.urls["intake"], CONTACTS[cid], time.monotonic() + 60)
    sweeps = settle(stack, ids, 420)
    elapsed = round(time.monotonic() - started, 1)

    assert fired(stack.crash_dir) == sorted(f"{p} {k}" for p, k in crashes)
    runs = runs_by_contact(read_runs(stack.urls["api"]))
    states = {cid: Counter(r["state_type"] for r in runs.get(cid, [])) for cid in ids}
    odd = {cid: s for cid, s in states.items() if not s["COMPLETED"] or not s["CRASHED"]
           or set(s) - {"COMPLETED", "CRASHED", "FAILED"}}
    assert odd == {}, "every contact has a crashed run, then a completed one"
    restarts = sweep_restarts(stack, ids)
    assert restarts >= len(ids)
    figures = check_contacts(stack, ids)
    started_runs = sum(sum(s.values()) for s in states.values())
    print(f"\ncrash [{stack.backend}]: contacts={len(ids)} crashes injected={len(crashes)} "
          f"({dict(Counter(plan.values()))}) runs started={started_runs} "
          f"(crashed {sum(s['CRASHED'] for s in states.values())}, failed "
          f"{sum(s['FAILED'] for s in states.values())}) sweeps={sweeps} "
          f"sweep restarts={restarts} duplicates={figures['duplicates']} "
          f"lost={figures['lost']} in {elapsed} s")


def _run_detection(stack) -> str:
    run_id = start_deployment(stack.urls["api"], "detect-defects/detect-defects")
    return final_state(stack.urls["api"], run_id, 300)


def _fixed_findings() -> list[dict]:
    expected = json.loads((DETECTION / "expected-0.json").read_text())
    held = {s for i in expected["incidents"] if i["status"] != "remediated" for s in i["subjects"]}
    return [f for f in expected["findings"] if f["subject_id"] not in held]


def test_detection_killed_after_a_drivers_payments_pays_nothing_twice_and_pushes_once(stack):
    world = json.loads((DETECTION / "world-0.json").read_text())
    stack.sandbox("PUT", "/admin/world", json=world)
    fixed = _fixed_findings()
    drivers = sorted({f["driver_id"] for f in fixed})
    victim = next(f["driver_id"] for f in fixed if f["type"] == "pay_adjustment")
    arm_only(stack.crash_dir, {("after_lane_payment", victim)},
             {("after_lane_payment", d["id"]) for d in world["drivers"]})
    started = time.monotonic()
    first = _run_detection(stack)
    second = _run_detection(stack)
    elapsed = round(time.monotonic() - started, 1)

    assert (first, second) == ("CRASHED", "COMPLETED")
    assert f"after_lane_payment {victim}" in fired(stack.crash_dir)
    state = stack.sandbox()
    assert paid_twice(state) == []
    done = {(f["driver_id"], f["subject_id"], f["kind"]): times_done(state, f["driver_id"], f)
            for f in fixed}
    assert done == dict.fromkeys(done, 1), "each fixed finding carried out once"
    pushes = Counter(n["driver_id"] for n in state["notifications"] if n["channel"] == "push")
    assert {d: pushes[d] for d in drivers} == dict.fromkeys(drivers, 1), "one push per driver"
    audited = Counter((d["driver_id"], d["subject_id"]) for d, in stack.rows(
        sa.select(audit_log.c.details).where(audit_log.c.action.like("proactive_%"))))
    assert audited == Counter((f["driver_id"], f["subject_id"]) for f in fixed)
    duplicates = sum(n - 1 for n in done.values() if n > 1) + sum(
        max(0, pushes[d] - 1) for d in drivers)
    lost = sum(n == 0 for n in done.values()) + sum(pushes[d] == 0 for d in drivers)
    print(f"\ncrash detection [{stack.backend}]: findings fixed={len(fixed)} drivers="
          f"{len(drivers)} crashes injected=1 runs started=2 duplicates={duplicates} "
          f"lost={lost} in {elapsed} s")
