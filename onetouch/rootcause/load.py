"""Reading the report's inputs: the case store's rows (through the scorecard's loader, plus
findings with their causes and the offers contacts named) and the platform's places, onsets
and segments, from a replay's state or world file or from the platform's API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from integrations import NotFound, Platform
from onetouch.casestore.tables import contacts, findings
from onetouch.models import utc
from onetouch.rootcause.compute import bounds, previous_period
from onetouch.rootcause.models import CauseRows, FindingLine, Place, PlatformView
from onetouch.scorecard import segments
from onetouch.scorecard.compute import ASK_LOOKBACK
from onetouch.scorecard.load import CHUNK, load_rows
from onetouch.scorecard.models import ACTION_KINDS, CaseRow, Period, Remediation
from onetouch.scorecard.platform import from_platform, from_state
from onetouch.scorecard.segments import segment_map
from policy.config import PolicyConfig


def load_cause_rows(engine: Engine, period: Period) -> tuple[CauseRows, datetime | None]:
    """The period's and the previous period's rows, and the store's last record."""
    before, _ = bounds(previous_period(period))
    rows = load_rows(engine, Period(start=before, end=period.end))
    since = before - ASK_LOOKBACK
    with engine.connect() as conn:
        query = select(findings).where(findings.c.detected_at >= since,
                                       findings.c.detected_at < period.end)
        found = tuple(FindingLine(
            key=r.key, driver_id=r.driver_id, subject_id=r.subject_id, detector=r.detector,
            cause=r.cause, incident_id=r.incident_id, status=r.status,
            amount_cents=r.amount_cents, detected_at=utc(r.detected_at))
            for r in conn.execute(query))
        offers = _contact_offers(conn, [c.contact_id for c in rows.cases])
    return CauseRows(cases=rows.cases, remediations=rows.remediations, findings=found,
                     contact_offers=offers), rows.last_at


def _contact_offers(conn, ids: list[str]) -> dict[str, str]:
    ordered = sorted(set(ids))
    found: dict[str, str] = {}
    for n in range(0, len(ordered), CHUNK):
        query = select(contacts.c.id, contacts.c.raw).where(contacts.c.id.in_(ordered[n:n + CHUNK]))
        found |= {r.id: r.raw["offer_id"] for r in conn.execute(query)
                  if isinstance(r.raw, dict) and r.raw.get("offer_id")}
    return found


def asked_about(cases: Iterable[CaseRow]) -> list[Remediation]:
    """Contacts' actions and recommended actions as rows whose onsets can be read."""
    return [Remediation(driver_id=c.driver_id, subject_id=a.subject_id, type=a.type,
                        kind=a.kind or ACTION_KINDS[a.type],
                        at=c.received_at, path="contact", detector="contact")
            for c in cases for a in (*c.actions, *c.recommended)]


def drivers_of(rows: CauseRows) -> set[str]:
    return ({c.driver_id for c in rows.cases} | {r.driver_id for r in rows.remediations}
            | {f.driver_id for f in rows.findings})


def view_from_state(state: dict[str, Any], rows: CauseRows, now: datetime,
                    policy: PolicyConfig) -> PlatformView:
    """Places, onsets and segments from a replay's state (or a world) file."""
    places = {o["id"]: Place(store=o["store_id"], zone=o["zone"])
              for o in state.get("offers", ())}
    onsets = from_state(state, asked_about(rows.cases), None, policy.pay_grace_minutes).onsets
    return PlatformView(places=places, onsets=onsets, segments=segments.from_state(
        state, drivers_of(rows), now, policy.segments))


def view_from_platform(platform: Platform, rows: CauseRows, period: Period, now: datetime,
                       policy: PolicyConfig) -> PlatformView:
    """Places, onsets and segments read from the platform (one offers export, each driver
    once)."""
    start = min(bounds(previous_period(period))[0],
                now - timedelta(days=policy.segments.window_days)) - ASK_LOOKBACK
    offers = list(platform.exports.stream("offers", start, now))
    places = {o.id: Place(store=o.store_id, zone=o.zone) for o in offers}
    drivers = []
    for driver_id in sorted(drivers_of(rows)):
        try:
            drivers.append(platform.drivers.get(driver_id))
        except NotFound:
            continue
    onsets = from_platform(platform, asked_about(rows.cases), None,
                           policy.pay_grace_minutes).onsets
    return PlatformView(places=places, onsets=onsets,
                        segments=segment_map(drivers, offers, now, policy.segments))
