"""The root-cause report's inputs (the case store's rows, the platform's places, onsets and
segments) and the report itself: plain pydantic models, money in integer cents, times in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from onetouch.scorecard.models import CaseRow, Frozen, Period, Ratio, Remediation

DIMENSIONS = ("cause", "detector", "store", "zone", "intent")
EventKind = Literal["contact", "remediation", "held"]


class FindingLine(Frozen):
    """One finding of detection: its cause, incident and status."""

    key: str
    driver_id: str
    subject_id: str
    detector: str
    cause: str
    incident_id: str | None = None
    status: str
    amount_cents: int = 0
    detected_at: datetime


class Place(Frozen):
    """Where an offer happened."""

    store: str
    zone: str


class CauseRows(Frozen):
    """What the report reads from the case store for a period and the one before it."""

    cases: tuple[CaseRow, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    findings: tuple[FindingLine, ...] = ()
    contact_offers: dict[str, str] = Field(default_factory=dict)


class PlatformView(Frozen):
    """What the platform tells: where each offer was, when each defect began, who is in which
    segment."""

    places: dict[str, Place] = Field(default_factory=dict)
    onsets: dict[str, datetime] = Field(default_factory=dict)
    segments: dict[str, str] = Field(default_factory=dict)


class Event(Frozen):
    """A contact, a remediation, or a finding still held, with its name in each dimension
    (no name: not counted in that dimension)."""

    kind: EventKind
    driver_id: str
    at: datetime
    cents: int = 0
    names: dict[str, str | None]


class Totals(Frozen):
    contacts: int = 0
    remediations: int = 0
    drivers: int = 0
    cents: int = 0


class SegmentTotals(Totals):
    segment: str


class GroupLine(Frozen):
    """One cause in one dimension: this period's totals, the previous period's, by segment."""

    dimension: str
    name: str
    now: Totals
    before: Totals
    by_segment: tuple[SegmentTotals, ...] = ()

    @property
    def new(self) -> bool:
        return self.before == Totals()


class SegmentFigures(Frozen):
    """The headline figures of one segment."""

    segment: str
    contacts: int
    repeat: Ratio
    preventable: Ratio
    drivers: int
    cents: int


class RootCauseReport(Frozen):
    """Why drivers needed help in a period; docs/root-causes.md defines each figure."""

    period: Period
    previous: Period
    as_of: datetime
    contacts: int
    contacts_before: int
    no_defect: int
    repeat: Ratio
    preventable: Ratio
    repeat_days: int
    groups: dict[str, tuple[GroupLine, ...]]
    incidents: dict[str, str] = Field(default_factory=dict)
    by_segment: tuple[SegmentFigures, ...] = ()
