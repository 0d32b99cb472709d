"""A period's root-cause report assembled from the case store and the platform's facts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from integrations import Platform
from onetouch.casestore.tables import audit_log
from onetouch.models import utc, utc_now
from onetouch.rootcause.compute import bounds, report
from onetouch.rootcause.load import load_cause_rows, view_from_platform, view_from_state
from onetouch.rootcause.models import PlatformView, RootCauseReport
from onetouch.scorecard.load import INTAKE
from onetouch.scorecard.models import Period
from policy.config import PolicyConfig

DAY = timedelta(days=1)


def last_day(engine: Engine) -> Period:
    """The UTC day of the case store's last record (today when it is empty)."""
    with engine.connect() as conn:
        found = conn.execute(select(func.max(audit_log.c.at))
                             .where(audit_log.c.actor != INTAKE)).scalar()
    last = utc(found) or utc_now()
    start = datetime.combine(last.date(), time(0), tzinfo=UTC)
    return Period(start=start, end=start + DAY)


def build_report(engine: Engine, period: Period | None = None, *, policy: PolicyConfig,
                 as_of: datetime | None = None, state: dict[str, Any] | None = None,
                 platform: Platform | None = None) -> RootCauseReport:
    """The report of a closed period (the store's last day when none); places, onsets and
    segments from a state or world file, else the platform, else unknown."""
    period = period or last_day(engine)
    rows, last = load_cause_rows(engine, period)
    _, end = bounds(period)
    as_of = as_of or min(end, last or end)
    view = PlatformView()
    if state is not None:
        view = view_from_state(state, rows, as_of, policy)
    elif platform is not None:
        view = view_from_platform(platform, rows, period, as_of, policy)
    return report(rows, view, period, as_of, policy.repeat_contact_days,
                  policy.detection_interval_minutes)
