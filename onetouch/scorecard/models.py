"""The scorecard's inputs (rows read from the case store, facts read from the platform) and the
scorecard itself: plain pydantic models, money in integer cents, times in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from policy.case import KEY_KINDS

Path = Literal["contact", "detection", "agent"]
ACTION_KINDS = KEY_KINDS


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Period(Frozen):
    """[start, end) in UTC; an open end reaches as far as the data does."""

    start: datetime | None = None
    end: datetime | None = None

    def covers(self, at: datetime) -> bool:
        """The time falls in the period."""
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


class Action(Frozen):
    """One remediation as an outcome line shows it."""

    type: str
    subject_id: str
    kind: str | None = None
    amount_cents: int | None = None

    def key(self, driver_id: str) -> str:
        """The policy's idempotency key for this action of the driver."""
        return f"{driver_id}/{self.subject_id}/{self.kind or ACTION_KINDS[self.type]}"


class CaseRow(Frozen):
    """One contact's case: what the driver asked and what the automation did."""

    contact_id: str
    driver_id: str
    intent: str | None
    outcome: str
    queue: str | None = None
    incident_id: str | None = None
    received_at: datetime
    recorded_at: datetime
    actions: tuple[Action, ...] = ()
    recommended: tuple[Action, ...] = ()


class EscalationRow(Frozen):
    """One escalation: a contact's, or an incident's approval."""

    id: str
    queue: str
    for_incident: bool
    created_at: datetime
    due_at: datetime
    decided_at: datetime | None = None
    sla_breached_at: datetime | None = None


class Remediation(Frozen):
    """One remediation carried out, by the path that caused it."""

    driver_id: str
    subject_id: str
    type: str
    kind: str
    amount_cents: int = 0
    at: datetime
    path: Path
    detector: str
    incident_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.driver_id}/{self.subject_id}/{self.kind}"


class FindingRow(Frozen):
    """When detection first saw a shortfall."""

    key: str
    detector: str
    detected_at: datetime


class OutreachRow(Frozen):
    """One hurt driver and cause judged by retention outreach, and whether a check-in went."""

    driver_id: str
    segment: str
    verdict: str
    checked_at: datetime
    sent: bool


class StoreRows(Frozen):
    """Everything the scorecard reads from the case store for a period (cases reach a week
    before it, for earlier asks, and a day after it, for repeat contacts)."""

    cases: tuple[CaseRow, ...] = ()
    escalations: tuple[EscalationRow, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    findings: tuple[FindingRow, ...] = ()
    first_at: datetime | None = None
    last_at: datetime | None = None
    dry_run: bool = False
    outreach: tuple[OutreachRow, ...] = ()


class PlatformFacts(Frozen):
    """What only the platform knows: deliveries in the period, when each defect began, and each
    driver's segment."""

    deliveries: int | None = None
    onsets: dict[str, datetime] = Field(default_factory=dict)
    segments: dict[str, str] = Field(default_factory=dict)


class Ratio(Frozen):
    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None


class QueueLine(Frozen):
    queue: str
    contacts: int
    rate: Ratio
    incidents: int
    breaches: int
    pending: int


class Timing(Frozen):
    count: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None


class MoneyLine(Frozen):
    name: str
    count: int
    cents: int


class CountLine(Frozen):
    name: str
    count: int


class HourLine(Frozen):
    hour: int
    contacts: int
    remediations: int


class SegmentLine(Frozen):
    """The figures of one driver segment (docs/root-causes.md, "The scorecard by segment")."""

    segment: str
    contacts: int = 0
    one_touch: Ratio = Ratio(part=0, whole=0)
    automation: Ratio = Ratio(part=0, whole=0)
    escalated: Ratio = Ratio(part=0, whole=0)
    remediations: int = 0
    remediated_cents: int = 0
    outreach_checked: int = 0
    outreach_sent: int = 0


class Outreach(Frozen):
    """Retention outreach in the period: drivers whose hurt was judged, check-ins sent."""

    drivers_checked: int = 0
    sent: int = 0


class Accuracy(Frozen):
    """The run against the simulated day's ground truth (simulate/score.py)."""

    cases: int
    exact: int
    overpaid_cents: int
    underpaid_cents: int
    double_payments: int
    paid_cents: int
    owed_cents: int
    truth_proactive_share: float | None = None
    mismatched: tuple[str, ...] = ()


class Scorecard(Frozen):
    """The figures of one period; see docs/scorecard.md for each definition."""

    period: Period
    as_of: datetime
    contacts: int
    rejected: int
    deliveries: int | None
    per_thousand: float | None
    one_touch: Ratio
    automation: Ratio
    escalated: Ratio
    queues: tuple[QueueLine, ...]
    breaches: int
    proactive: Ratio
    to_detection: Timing
    to_notified: Timing
    remediations: int
    remediated_cents: int
    by_kind: tuple[MoneyLine, ...]
    by_detector: tuple[MoneyLine, ...]
    by_intent: tuple[CountLine, ...]
    hourly: tuple[HourLine, ...]
    accuracy: Accuracy | None = None
    dry_run: bool = False
    by_segment: tuple[SegmentLine, ...] = ()
    outreach: Outreach = Outreach()


class Change(Frozen):
    """One figure on two days, and how it moved."""

    name: str
    unit: Literal["count", "rate", "cents", "minutes", "ratio"]
    current: float | None
    previous: float | None

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous
