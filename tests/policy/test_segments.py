"""Table tests for the driver segments."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from policy.case import CaseFacts, ReplyItem
from policy.config import PolicyConfig, load_policy
from policy.decide import decide
from policy.segment_reply import driver_segment, running_goals, segment_fields
from policy.segments import DriverActivity, SegmentRules, activity_of, segment_of
from tests.factories import NOW, ago, cancelled, contact, delivered, driver, incentive
from understanding import understand

RULES = SegmentRules()
POLICY = PolicyConfig()


def _activity(tenure=200, deliveries=0, active_days=0, window=7) -> DriverActivity:
    return DriverActivity(driver_id="drv-1", tenure_days=tenure, deliveries=deliveries,
                          active_days=active_days, window_days=window)


@pytest.mark.parametrize(
    ("tenure", "deliveries", "active_days", "segment"),
    [
        (0, 40, 7, "new"),
        (29, 40, 7, "new"),
        (30, 40, 7, "full_time"),
        (30, 0, 0, "part_time"),
        (200, 25, 5, "full_time"),
        (200, 24, 5, "part_time"),
        (200, 25, 4, "part_time"),
        (200, 24, 4, "part_time"),
        (200, 60, 7, "full_time"),
        (200, 1, 1, "part_time"),
    ],
)
def test_segment_defaults(tenure, deliveries, active_days, segment):
    assert segment_of(_activity(tenure, deliveries, active_days), RULES) == segment


@pytest.mark.parametrize(
    ("rules", "tenure", "deliveries", "active_days", "segment"),
    [
        (SegmentRules(new_min_deliveries=3), 200, 2, 2, "new"),
        (SegmentRules(new_min_deliveries=3), 200, 3, 2, "part_time"),
        (SegmentRules(new_tenure_days=0), 0, 0, 0, "part_time"),
        (SegmentRules(new_tenure_days=90), 89, 40, 7, "new"),
        (SegmentRules(new_tenure_days=90), 90, 40, 7, "full_time"),
        (SegmentRules(full_time_deliveries=10, full_time_active_days=3), 200, 10, 3, "full_time"),
        (SegmentRules(full_time_deliveries=10, full_time_active_days=3), 200, 9, 3, "part_time"),
        (SegmentRules(full_time_deliveries=10, full_time_active_days=3), 200, 10, 2, "part_time"),
    ],
)
def test_segment_tuned_rules(rules, tenure, deliveries, active_days, segment):
    assert segment_of(_activity(tenure, deliveries, active_days), rules) == segment


@pytest.mark.parametrize(
    ("offers", "deliveries", "active_days"),
    [
        ([], 0, 0),
        ([delivered("o1", minutes_ago=60)], 1, 1),
        ([delivered("o1", minutes_ago=60), delivered("o2", minutes_ago=120)], 2, 1),
        ([delivered("o1", minutes_ago=60), delivered("o2", minutes_ago=60 * 24)], 2, 2),
        ([delivered("o1", minutes_ago=0)], 1, 1),
        ([delivered("o1", minutes_ago=7 * 24 * 60)], 0, 0),
        ([delivered("o1", minutes_ago=7 * 24 * 60 - 1)], 1, 1),
        ([delivered("o1", minutes_ago=-5)], 0, 0),
        ([cancelled("o9", minutes_ago=60)], 0, 0),
        ([delivered("o1", minutes_ago=60, driver_id="drv-2")], 0, 0),
    ],
)
def test_activity_counts_delivered_offers_in_window(offers, deliveries, active_days):
    activity = activity_of(driver(), offers, NOW, 7)
    assert (activity.deliveries, activity.active_days) == (deliveries, active_days)
    assert activity.window_days == 7


def test_active_days_are_calendar_days_utc():
    offers = [delivered(f"o{i}", minutes_ago=60 * 24 * i + 60) for i in range(6)]
    activity = activity_of(driver(), offers, NOW, 7)
    assert (activity.deliveries, activity.active_days) == (6, 6)


@pytest.mark.parametrize(
    ("onboarded_days_ago", "tenure"),
    [(0, 0), (29.99, 29), (30, 30), (200, 200), (-1, 0)],
)
def test_tenure_whole_days_since_onboarding(onboarded_days_ago, tenure):
    activity = activity_of(driver(onboarded_at=ago(days=onboarded_days_ago)), [], NOW, 7)
    assert activity.tenure_days == tenure


def test_full_time_from_platform_data():
    offers = [delivered(f"o{d}-{k}", minutes_ago=60 * 24 * d + 60 + k)
              for d in range(5) for k in range(5)]
    activity = activity_of(driver(), offers, NOW, RULES.window_days)
    assert segment_of(activity, RULES) == "full_time"
    assert segment_of(activity_of(driver(), offers[:-1], NOW, 7), RULES) == "part_time"


def test_rules_come_from_the_policy_file(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text('{"segments": {"window_days": 14, "full_time_deliveries": 50}}')
    policy = load_policy(path)
    assert policy.segments == SegmentRules(window_days=14, full_time_deliveries=50)
    assert PolicyConfig().segments == RULES


@pytest.mark.parametrize(
    "bad",
    [{"window_days": 0}, {"full_time_active_days": 8}, {"new_tenure_days": -1},
     {"full_time_deliveries": 0}, {"typo": 1}],
)
def test_bad_rules_are_refused(bad):
    with pytest.raises(ValidationError):
        SegmentRules(**bad)


def test_bad_rules_in_policy_file_name_the_file(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text('{"segments": {"window_days": 0}}')
    with pytest.raises(ValueError, match="window_days"):
        load_policy(path)


def _facts(offers=(), incentives=(), onboarded_days=200, text="where is my tip for ofr-1"):
    return CaseFacts(contact=contact(text, offer_id="ofr-1"),
                     driver=driver(onboarded_at=ago(days=onboarded_days)), now=NOW,
                     offers=tuple(offers), incentives=tuple(incentives))


def _week(per_day: int, days: int) -> list:
    return [delivered(f"w{d}-{k}", minutes_ago=60 * 24 * d + 180 + k)
            for d in range(days) for k in range(per_day)]


def _running(inc_id="inc-run", required=20, enrolled=("drv-1",)):
    return incentive(inc_id, required=required, ended_minutes_ago=-60 * 24 * 2,
                     enrolled=enrolled)


@pytest.mark.parametrize(
    ("offers", "onboarded_days", "segment"),
    [
        (_week(5, 5), 200, "full_time"),
        (_week(5, 5), 10, "new"),
        (_week(2, 3), 200, "part_time"),
        ([], 200, "part_time"),
        ([], 0, "new"),
    ],
)
def test_driver_segment_from_case_facts(offers, onboarded_days, segment):
    assert driver_segment(_facts(offers, onboarded_days=onboarded_days), POLICY) == segment


def test_decided_reply_carries_the_segment_and_outcome_is_unchanged():
    for offers, days, segment in [(_week(5, 5), 200, "full_time"), (_week(5, 5), 3, "new")]:
        facts = _facts([delivered("ofr-1", tip=400), *offers], onboarded_days=days)
        decision = decide(facts, understand(facts.contact), POLICY)
        plain = decide(facts, understand(facts.contact), PolicyConfig(
            segments=SegmentRules(new_tenure_days=0, full_time_deliveries=1000)))
        assert decision.reply.segment == segment
        assert plain.reply.segment == "part_time"
        assert decision.model_dump(exclude={"reply"}) == plain.model_dump(exclude={"reply"})
        assert decision.reply.items == plain.reply.items


def test_part_time_resolution_shows_running_goals_not_already_named():
    goal = _running()
    facts = _facts([delivered("ofr-1", tip=400), *_week(1, 3)], [goal, _running(
        "inc-other", enrolled=("drv-2",)), incentive("inc-ended")])
    plan = decide(facts, understand(facts.contact), POLICY).reply
    assert plan.segment == "part_time"
    assert [(g.subject_id, g.type, g.done, g.required) for g in plan.goals] == [
        ("inc-run", "incentive_progress", 4, 20)]
    assert running_goals(facts, [ReplyItem(type="incentive_progress", subject_id="inc-run")]) == ()


@pytest.mark.parametrize("segment", ["new", "full_time"])
def test_only_part_time_resolutions_show_goals(segment):
    facts = _facts([delivered("ofr-1")], [_running()])
    rules = {"new": SegmentRules(new_tenure_days=1000),
             "full_time": SegmentRules(full_time_deliveries=1, full_time_active_days=1)}[segment]
    fields = segment_fields(facts, PolicyConfig(segments=rules), "resolution", [])
    assert fields == {"segment": segment, "goals": ()}
    part = segment_fields(facts, POLICY, "acknowledgement", [])
    assert part == {"segment": "part_time", "goals": ()}
