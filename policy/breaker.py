"""The kill switch and the money circuit breaker (pure): may automatic remediations go out now?

The flows give the gate the hour it judges in (`Hour`: the switch, the window's automatic pay
overall and by detector, the caps, the trips already announced) and ask about one decision
(`gate`) or a detection run's findings (`admit`). Only pay adjustments count toward the caps,
like the automatic pay the case store sums; a paused switch holds every remediation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, ValidationError

from onetouch.models import UtcDatetime, format_utc
from policy.case import Decision, Frozen
from policy.config import PolicyConfig
from policy.detect import Finding
from policy.money import dollars
from policy.pay_review import paid_cents

HoldReason = Literal["payments_paused", "hourly_cap"]
TripScope = Literal["overall", "detector"]
CONTACT = "contact"  # the contact path's "detector"
HOLD_QUEUE = "pay-review"
SWITCH_FIELDS = ("paused", "reason", "operator", "at")


class KillSwitch(Frozen):
    """The operator's switch: while paused, nothing is remediated without an agent."""

    paused: bool = False
    reason: str | None = None
    operator: str | None = None
    at: UtcDatetime | None = None

    @classmethod
    def from_value(cls, value: Any) -> KillSwitch:
        """The switch from its stored value: missing means off, unreadable means paused."""
        if value is None or value == "":
            return cls()
        try:
            if isinstance(value, str):
                value = json.loads(value)
            if isinstance(value, bool):
                return cls(paused=value)
            return cls.model_validate({k: v for k, v in dict(value).items()
                                       if k in SWITCH_FIELDS})
        except (ValueError, TypeError, ValidationError):
            return cls(paused=True, reason="the kill switch's value is unreadable")

    def describe(self) -> str:
        """Who paused payments, when and why, in one line."""
        who = f" by {self.operator}" if self.operator else ""
        when = f" at {format_utc(self.at)}" if self.at else ""
        return f"automatic payments paused{who}{when}: {self.reason or 'no reason given'}"


class PayTotals(Frozen):
    """Automatic pay in one window, in cents: all of it, and by detector."""

    overall: int = 0
    by_detector: dict[str, int] = Field(default_factory=dict)

    def of(self, detector: str) -> int:
        return self.by_detector.get(detector, 0)

    def plus(self, detector: str, cents: int) -> PayTotals:
        """These totals after `cents` more paid by `detector`."""
        return PayTotals(overall=self.overall + cents,
                         by_detector={**self.by_detector, detector: self.of(detector) + cents})


class Caps(Frozen):
    """Most automatic pay allowed in any hour: overall, and for each detector."""

    overall_cents: int
    detector_cents: int
    detectors: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def from_policy(cls, policy: PolicyConfig) -> Caps:
        return cls(overall_cents=policy.breaker_hourly_cap_cents,
                   detector_cents=policy.breaker_detector_cap_cents,
                   detectors=dict(policy.breaker_detector_caps_cents))

    def of(self, detector: str) -> int:
        return self.detectors.get(detector, self.detector_cents)


class Trip(Frozen):
    """A cap the next payment would pass: the breaker trips for that scope."""

    scope: TripScope
    detector: str
    total_cents: int  # automatic pay of the scope already in the window
    cap_cents: int
    held_cents: int  # the payment that would have passed the cap
    window_start: UtcDatetime
    window_end: UtcDatetime

    @property
    def key(self) -> str:
        """One key per scope: a trip is announced once per scope and window."""
        return "overall" if self.scope == "overall" else f"detector:{self.detector}"

    def describe(self) -> str:
        scope = "all automatic pay" if self.scope == "overall" else f"detector {self.detector}"
        return (f"hourly cap: {scope} paid {dollars(self.total_cents)} in the last hour; "
                f"{dollars(self.held_cents)} more would pass the {dollars(self.cap_cents)} cap")

    def payload(self) -> dict[str, Any]:
        """The `onetouch.breaker.tripped` event's payload."""
        return {"scope": self.scope, "detector": self.detector, "total_cents": self.total_cents,
                "cap_cents": self.cap_cents, "held_cents": self.held_cents,
                "window": {"start": format_utc(self.window_start),
                           "end": format_utc(self.window_end)}}


class Hour(Frozen):
    """What the gate judges by: the switch, the window's automatic pay, the caps."""

    switch: KillSwitch = KillSwitch()
    window_start: UtcDatetime
    window_end: UtcDatetime
    totals: PayTotals = PayTotals()
    caps: Caps
    announced: frozenset[str] = frozenset()  # trip keys already announced in the window


class Gate(Frozen):
    """The gate's answer for one decision: open, or held with a reason."""

    open: bool
    reason: HoldReason | None = None
    detail: str = ""
    trips: tuple[Trip, ...] = ()  # trips to announce now (not yet announced in the window)


class Admission(Frozen):
    """A detection run's findings: those fixed now, and those deferred to a later run."""

    admitted: tuple[Finding, ...] = ()
    deferred: tuple[Finding, ...] = ()
    reason: HoldReason | None = None
    trips: tuple[Trip, ...] = ()

    @property
    def deferred_cents(self) -> int:
        return paid_cents(f.action for f in self.deferred)


def over_cap(hour: Hour, detector: str, cents: int, totals: PayTotals | None = None
             ) -> Trip | None:
    """The first cap (overall, then the detector's) that `cents` more would pass, as a trip."""
    totals = hour.totals if totals is None else totals
    scopes: tuple[tuple[TripScope, int, int], ...] = (
        ("overall", totals.overall, hour.caps.overall_cents),
        ("detector", totals.of(detector), hour.caps.of(detector)))
    for scope, total, cap in scopes:
        if cents > 0 and total + cents > cap:
            return Trip(scope=scope, detector=detector, total_cents=total, cap_cents=cap,
                        held_cents=cents, window_start=hour.window_start,
                        window_end=hour.window_end)
    return None


def gate(hour: Hour, detector: str, cents: int, acts: bool = True) -> Gate:
    """Whether one decision's remediations (`acts`; `cents` of pay) may go out now."""
    if not acts and cents <= 0:
        return Gate(open=True)
    if hour.switch.paused:
        return Gate(open=False, reason="payments_paused", detail=hour.switch.describe())
    trip = over_cap(hour, detector, cents)
    if trip is None:
        return Gate(open=True)
    return Gate(open=False, reason="hourly_cap", detail=trip.describe(),
                trips=() if trip.key in hour.announced else (trip,))


def admit(hour: Hour, findings: Iterable[Finding]) -> Admission:
    """Findings in key order, admitted until a cap would be passed; that scope's rest deferred."""
    ordered = sorted(findings, key=lambda f: f.key)
    if hour.switch.paused:
        return Admission(deferred=tuple(ordered), reason="payments_paused")
    totals, blocked = hour.totals, set[str]()
    admitted, deferred = [], []
    trips: dict[str, Trip] = {}
    for finding in ordered:
        cents = paid_cents([finding.action])
        if cents and {"overall", f"detector:{finding.detector}"} & blocked:
            deferred.append(finding)
            continue
        trip = over_cap(hour, finding.detector, cents, totals)
        if trip is None:
            admitted.append(finding)
            totals = totals.plus(finding.detector, cents)
            continue
        deferred.append(finding)
        blocked.add(trip.key)
        if trip.key not in hour.announced:
            trips.setdefault(trip.key, trip)
    return Admission(admitted=tuple(admitted), deferred=tuple(deferred),
                     reason="hourly_cap" if deferred else None, trips=tuple(trips.values()))


def hold_decision(decision: Decision, held: Gate, policy: PolicyConfig) -> Decision:
    """A decision the gate held: nothing carried out, its actions recommended to pay-review."""
    reply = decision.reply.model_copy(update={
        "template": "acknowledgement", "items": (), "queue": HOLD_QUEUE,
        "answer_within_hours": policy.standard_ack_hours}) if decision.reply else None
    return decision.model_copy(update={
        "outcome": "escalated", "queue": HOLD_QUEUE, "actions": (),
        "recommended_actions": (*decision.recommended_actions, *decision.actions),
        "reason": held.reason, "reasons": (*decision.reasons, held.detail), "reply": reply})
