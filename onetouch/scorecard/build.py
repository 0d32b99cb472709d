"""A period's scorecard assembled: the case store's rows, the platform's facts (from a replay's
state or the platform itself), and accuracy when a simulated day's truth is given."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from integrations import Platform
from onetouch.models import utc_now
from onetouch.scorecard import segments
from onetouch.scorecard.accuracy import accuracy
from onetouch.scorecard.compute import deliveries_window, scorecard
from onetouch.scorecard.load import load_outcomes, load_rows
from onetouch.scorecard.models import Period, PlatformFacts, Scorecard, StoreRows
from onetouch.scorecard.platform import from_platform, from_state
from policy.segments import SegmentRules


def build(engine: Engine, period: Period | None = None, *, as_of: datetime | None = None,
          state: dict[str, Any] | None = None, truth: dict[str, Any] | None = None,
          platform: Platform | None = None, grace_minutes: int = 60,
          segment_rules: SegmentRules | None = None) -> Scorecard:
    """The scorecard of the period (everything when none) as of a time (the store's last record
    when none); accuracy needs both the truth and the replay's final state."""
    period = period or Period()
    rows = load_rows(engine, period)
    as_of = as_of or rows.last_at or utc_now()
    window = deliveries_window(period, rows.first_at, as_of)
    rules, drivers = segment_rules or SegmentRules(), drivers_of(rows)
    facts = PlatformFacts()
    if state is not None:
        facts = from_state(state, rows.remediations, window, grace_minutes).model_copy(
            update={"segments": segments.from_state(state, drivers, as_of, rules)})
    elif platform is not None:
        facts = from_platform(platform, rows.remediations, window, grace_minutes).model_copy(
            update={"segments": segments.from_platform(platform, drivers, as_of, rules)})
    scored = None
    if truth is not None and state is not None:
        scored = accuracy(truth, load_outcomes(engine, period), state)
    return scorecard(rows, facts, period, as_of, scored)


def drivers_of(rows: StoreRows) -> set[str]:
    """Every driver the period's figures name."""
    return ({c.driver_id for c in rows.cases} | {r.driver_id for r in rows.remediations}) - {""}
