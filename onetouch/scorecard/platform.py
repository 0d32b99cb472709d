"""What only the platform knows: how many offers were delivered, and when each remediated defect
began (its onset), from a replay's state file or from the platform's API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from integrations import NotFound, Platform
from onetouch.models import Deposit, Incentive, Offer
from onetouch.scorecard.models import Period, PlatformFacts, Remediation

PAY_KINDS = ("base", "tip", "wait_time")
CANCEL_KINDS = ("cancellation", "reissue")
LISTS = {"incentive": "incentives", "deposit_retry": "deposits"}
Subject = Offer | Incentive | Deposit


def onset(kind: str, subject: Subject, grace: timedelta) -> datetime | None:
    """When the driver was first owed: pay due after the grace, the cancellation, the challenge's
    end, the failed deposit."""
    if isinstance(subject, Offer):
        if kind in PAY_KINDS:
            return subject.delivered_at + grace if subject.delivered_at else None
        return subject.cancelled_at if kind in CANCEL_KINDS else None
    if isinstance(subject, Incentive):
        return subject.ends_at if kind == "incentive" else None
    return subject.created_at if kind == "deposit_retry" else None


def delivered_in(offers: Iterable[Offer], window: Period) -> int:
    """Offers delivered in the window."""
    return sum(1 for o in offers if o.delivered_at is not None and window.covers(o.delivered_at))


def onsets(remediations: Iterable[Remediation], subjects: dict[tuple[str, str], Subject],
           grace: timedelta) -> dict[str, datetime]:
    """The onset of each remediation whose subject is known, by key."""
    found = {}
    for row in remediations:
        subject = subjects.get((_list_of(row.kind), row.subject_id))
        at = onset(row.kind, subject, grace) if subject is not None else None
        if at is not None:
            found[row.key] = at
    return found


def _list_of(kind: str) -> str:
    return LISTS.get(kind, "offers")


MODELS: dict[str, type[Subject]] = {"offers": Offer, "incentives": Incentive,
                                    "deposits": Deposit}


def from_state(state: dict[str, Any], remediations: Iterable[Remediation],
               window: Period | None, grace_minutes: int = 60) -> PlatformFacts:
    """Deliveries and onsets from a replay's final state (`replay --state`)."""
    rows = list(remediations)
    wanted = {(_list_of(r.kind), r.subject_id) for r in rows}
    subjects = {(name, raw["id"]): MODELS[name].model_validate(raw)
                for name in MODELS for raw in state.get(name, ())
                if (name, raw["id"]) in wanted}
    deliveries = None
    if window is not None:
        deliveries = sum(1 for raw in state.get("offers", ()) if raw.get("delivered_at") and
                         window.covers(datetime.fromisoformat(raw["delivered_at"])))
    return PlatformFacts(deliveries=deliveries,
                         onsets=onsets(rows, subjects, timedelta(minutes=grace_minutes)))


def from_platform(platform: Platform, remediations: Iterable[Remediation],
                  window: Period | None, grace_minutes: int = 60) -> PlatformFacts:
    """Deliveries (the offers export of the window) and onsets (each subject read once)."""
    rows = list(remediations)
    deliveries = None
    if window is not None and window.start is not None and window.end is not None:
        deliveries = delivered_in(platform.exports.stream("offers", window.start, window.end),
                                  window)
    subjects = {}
    for name, subject_id in sorted({(_list_of(r.kind), r.subject_id) for r in rows}):
        try:
            subjects[(name, subject_id)] = _read(platform, name, subject_id)
        except NotFound:
            continue
    return PlatformFacts(deliveries=deliveries,
                         onsets=onsets(rows, subjects, timedelta(minutes=grace_minutes)))


def _read(platform: Platform, name: str, subject_id: str) -> Subject:
    if name == "incentives":
        return platform.incentives.get(subject_id)
    if name == "deposits":
        return platform.payouts.get_deposit(subject_id)
    return platform.offers.get(subject_id)
