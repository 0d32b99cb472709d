"""Table tests for the kill switch and the money circuit breaker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policy.breaker import (
    Caps,
    Gate,
    Hour,
    KillSwitch,
    PayTotals,
    admit,
    gate,
    hold_decision,
)
from policy.case import Decision, RemediationAction, ReplyItem, ReplyPlan
from policy.config import PolicyConfig
from policy.detect import Finding

NOW = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
CAPS = Caps(overall_cents=10_000, detector_cents=5_000, detectors={"tip": 1_000})
PAUSED = KillSwitch(paused=True, reason="bad deploy", operator="kim",
                    at=datetime(2026, 11, 20, 18, 0, tzinfo=UTC))


def _hour(overall=0, switch=None, announced=(), **by_detector):
    return Hour(switch=switch or KillSwitch(), window_start=NOW - timedelta(hours=1),
                window_end=NOW, totals=PayTotals(overall=overall, by_detector=by_detector),
                caps=CAPS, announced=frozenset(announced))


@pytest.mark.parametrize(
    ("hour", "detector", "cents", "acts", "expected"),
    [
        (_hour(), "contact", 400, True, (True, None, ())),
        (_hour(), "contact", 0, False, (True, None, ())),                # nothing to carry out
        (_hour(), "contact", 0, True, (True, None, ())),                 # a reissue: no pay
        (_hour(switch=PAUSED), "contact", 0, True, (False, "payments_paused", ())),
        (_hour(switch=PAUSED), "contact", 400, True, (False, "payments_paused", ())),
        (_hour(switch=PAUSED), "contact", 0, False, (True, None, ())),   # nothing to hold
        (_hour(4_600, contact=4_600), "contact", 400, True, (True, None, ())),  # exactly the cap
        (_hour(4_600, contact=4_600), "contact", 401, True,
         (False, "hourly_cap", ("detector:contact",))),
        (_hour(9_900, base=4_000), "contact", 200, True, (False, "hourly_cap", ("overall",))),
        (_hour(9_900, base=4_000), "contact", 0, True, (True, None, ())),  # over, but no pay
        (_hour(900, tip=900), "tip", 101, True, (False, "hourly_cap", ("detector:tip",))),
        (_hour(900, tip=900), "base", 101, True, (True, None, ())),     # another detector's cap
        (_hour(4_600, contact=4_600, announced=["detector:contact"]), "contact", 500, True,
         (False, "hourly_cap", ())),                                      # announced already
        (_hour(9_900, announced=["detector:contact"]), "contact", 500, True,
         (False, "hourly_cap", ("overall",))),                            # another scope trips
    ],
)
def test_the_gate_holds_when_paused_or_over_a_cap(hour, detector, cents, acts, expected):
    verdict = gate(hour, detector, cents, acts)
    assert (verdict.open, verdict.reason, tuple(t.key for t in verdict.trips)) == expected


def test_a_trip_says_the_scope_total_cap_and_window():
    verdict = gate(_hour(900, tip=900), "tip", 250)
    [trip] = verdict.trips
    assert trip.payload() == {
        "scope": "detector", "detector": "tip", "total_cents": 900, "cap_cents": 1_000,
        "held_cents": 250, "window": {"start": "2026-11-20T17:30:00Z",
                                      "end": "2026-11-20T18:30:00Z"}}
    assert "tip" in verdict.detail and "the $10.00 cap" in verdict.detail


def test_a_paused_gate_names_the_switch():
    verdict = gate(_hour(switch=PAUSED), "contact", 400)
    assert verdict.detail == ("automatic payments paused by kim at 2026-11-20T18:00:00Z: "
                              "bad deploy")


@pytest.mark.parametrize(
    ("value", "paused", "reason"),
    [
        (None, False, None),
        ("", False, None),
        ({"paused": False}, False, None),
        ({"paused": True, "reason": "r", "operator": "kim", "at": "2026-11-20T18:00:00Z"},
         True, "r"),
        ('{"paused": true, "reason": "as text"}', True, "as text"),
        (True, True, None),
        (False, False, None),
        ({"paused": True, "extra": 1}, True, None),                    # unknown keys ignored
        ("not json", True, "the kill switch's value is unreadable"),   # fails closed
        ({"paused": "maybe"}, True, "the kill switch's value is unreadable"),
        ([1, 2], True, "the kill switch's value is unreadable"),
    ],
)
def test_the_switch_reads_its_variable_and_fails_closed(value, paused, reason):
    switch = KillSwitch.from_value(value)
    assert (switch.paused, switch.reason) == (paused, reason)


def _finding(driver, subject, detector="base", cents=500, kind="base", action="pay_adjustment"):
    pay = action == "pay_adjustment"
    return Finding(
        detector=detector, cause="zone=z", amount_cents=cents, item=ReplyItem(type="paid"),
        action=RemediationAction(type=action, driver_id=driver, subject_id=subject,
                                 idempotency_key=f"{driver}/{subject}/{kind}",
                                 kind=kind if pay else None, amount_cents=cents if pay else None))


BASE = [_finding(f"drv-{n}", f"ofr-{n}", cents=2_000) for n in range(1, 5)]   # 4 × $20
TIPS = [_finding(f"drv-{n}", f"ofr-{n}", "tip", 400, "tip") for n in range(1, 5)]  # 4 × $4
RETRY = _finding("drv-9", "dep-9", "deposit", 30_000, "deposit_retry", "deposit_retry")


@pytest.mark.parametrize(
    ("hour", "findings", "admitted", "reason", "trips"),
    [
        (_hour(), [], 0, None, ()),
        (_hour(), BASE[:2], 2, None, ()),
        (_hour(), BASE, 2, "hourly_cap", ("detector:base",)),          # $50 base cap
        (_hour(), TIPS, 2, "hourly_cap", ("detector:tip",)),           # $10 tip cap
        (_hour(), [*BASE, *TIPS], 4, "hourly_cap", ("detector:base", "detector:tip")),
        (_hour(1_000, base=1_000), BASE, 2, "hourly_cap", ("detector:base",)),
        (_hour(3_000, base=3_000), BASE, 1, "hourly_cap", ("detector:base",)),
        (_hour(9_000), BASE, 0, "hourly_cap", ("overall",)),
        (_hour(9_000, announced=["overall"]), BASE, 0, "hourly_cap", ()),
        (_hour(9_000), [RETRY], 1, None, ()),                          # a retry adds no pay
        (_hour(switch=PAUSED), [RETRY, *BASE[:1]], 0, "payments_paused", ()),
        (_hour(switch=PAUSED), [], 0, "payments_paused", ()),          # reported even so
    ],
)
def test_detection_admits_findings_in_key_order_up_to_the_caps(
        hour, findings, admitted, reason, trips):
    admission = admit(hour, reversed(findings))
    assert len(admission.admitted) == admitted
    assert admission.reason == reason
    assert tuple(t.key for t in admission.trips) == trips
    assert {f.key for f in (*admission.admitted, *admission.deferred)} == {
        f.key for f in findings}
    keys = [f.key for f in admission.admitted]
    assert keys == sorted(keys)


def test_once_a_detector_trips_its_later_findings_wait_even_small_ones():
    small = _finding("drv-99", "ofr-99", cents=100)
    admission = admit(_hour(), [*BASE, small])
    assert [f.key for f in admission.admitted] == [BASE[0].key, BASE[1].key]
    assert admission.deferred_cents == 2 * 2_000 + 100


def test_a_held_decision_escalates_every_action_to_pay_review():
    pay = RemediationAction(type="pay_adjustment", driver_id="drv-1", subject_id="ofr-1",
                            idempotency_key="drv-1/ofr-1/tip", kind="tip", amount_cents=400)
    reissue = RemediationAction(type="offer_reissue", driver_id="drv-1", subject_id="ofr-2",
                                idempotency_key="drv-1/ofr-2/reissue")
    decision = Decision(
        case_id="case-c-1", intent="missing_tip", outcome="resolved", actions=(pay, reissue),
        reason="remediated", policy_version="p",
        reply=ReplyPlan(template="resolution", channel="chat", locale="en", first_name="Ana",
                        items=(ReplyItem(type="paid"),)))
    held = hold_decision(decision, Gate(open=False, reason="payments_paused", detail="paused"),
                         PolicyConfig())
    assert (held.outcome, held.queue, held.actions, held.recommended_actions) == (
        "escalated", "pay-review", (), (pay, reissue))
    assert (held.reason, held.reasons) == ("payments_paused", ("paused",))
    assert (held.reply.template, held.reply.items, held.reply.queue,
            held.reply.answer_within_hours) == ("acknowledgement", (), "pay-review", 24)


def test_default_caps_come_from_the_policy():
    caps = Caps.from_policy(PolicyConfig(breaker_detector_caps_cents={"tip": 5}))
    assert (caps.overall_cents, caps.of("base"), caps.of("tip")) == (1_000_000, 500_000, 5)
