"""Retention outreach's selection as tables: the drop rule, when a hurt is due, once per
driver and cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policy.config import PolicyConfig
from policy.retention import Fixed, Hurt, dropped, outreach_key, select_checks

POLICY = PolicyConfig(retention_window_days=7, retention_drop_percent=50,
                      retention_min_deliveries_before=5, retention_lookback_days=30)
NOW = datetime(2026, 11, 21, 4, tzinfo=UTC)


def hurt(driver="d1", cause="inc-1", days_ago=8.0, fixed=()):
    return Hurt(driver_id=driver, cause=cause, kind="incident",
                at=NOW - timedelta(days=days_ago), fixed=fixed)


def days(count: int, start: datetime, step_hours: float = 12) -> list[datetime]:
    return [start + timedelta(hours=step_hours * n) for n in range(count)]


@pytest.mark.parametrize(("before", "after", "expected"), [
    (10, 5, True),     # exactly half: a 50% drop
    (10, 6, False),    # 40%
    (10, 0, True),
    (4, 0, False),     # too few before to tell
    (5, 2, True),      # at the floor
    (8, 12, False),    # drove more
])
def test_the_drop_rule(before, after, expected):
    assert dropped(before, after, POLICY) is expected


@pytest.mark.parametrize(("days_ago", "judged"), [
    (6.9, False),      # the window after is not over yet
    (7.0, True),
    (29.0, True),
    (31.0, False),     # older than the lookback
])
def test_a_hurt_is_judged_once_its_window_after_has_passed(days_ago, judged):
    assert bool(select_checks([hurt(days_ago=days_ago)], {}, set(), NOW, POLICY)) is judged


def test_before_and_after_are_counted_around_the_hurt():
    h = hurt(days_ago=8)
    deliveries = {"d1": days(10, h.at - timedelta(days=6)) + days(3, h.at + timedelta(hours=1))}
    [check] = select_checks([h], deliveries, set(), NOW, POLICY)
    assert (check.before, check.after, check.verdict) == (10, 3, "dropped")
    steady = {"d1": days(10, h.at - timedelta(days=6)) + days(9, h.at)}
    assert select_checks([h], steady, set(), NOW, POLICY)[0].verdict == "steady"


def test_once_per_driver_and_cause():
    tip, base = Fixed(kind="tip", subject_id="o1", amount_cents=300), Fixed(
        kind="base", subject_id="o2", amount_cents=900)
    hurts = [hurt(fixed=(tip,)), hurt(days_ago=7.5, fixed=(base,)), hurt(cause="esc-c-1")]
    checks = select_checks(hurts, {}, set(), NOW, POLICY)
    assert sorted(c.key for c in checks) == ["outreach/d1/esc-c-1", "outreach/d1/inc-1"]
    assert next(c for c in checks if c.hurt.cause == "inc-1").hurt.fixed == (tip, base)
    done = {outreach_key("d1", "inc-1")}
    assert [c.hurt.cause for c in select_checks(hurts, {}, done, NOW, POLICY)] == ["esc-c-1"]
