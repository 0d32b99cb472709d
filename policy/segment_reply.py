"""How a reply plan adapts to the driver's segment: pure, from the facts already gathered."""

from __future__ import annotations

from typing import Any

from policy.amounts import assess_incentive, incentive_progress
from policy.case import CaseFacts, ReplyItem
from policy.config import PolicyConfig
from policy.segments import Segment, activity_of, segment_of

MAX_GOALS = 2


def driver_segment(facts: CaseFacts, policy: PolicyConfig) -> Segment:
    """The contact's driver's segment, from the offers the contact path already read."""
    rules = policy.segments
    return segment_of(activity_of(facts.driver, facts.offers, facts.now, rules.window_days),
                      rules)


def running_goals(facts: CaseFacts, items: list[ReplyItem]) -> tuple[ReplyItem, ...]:
    """Progress on the driver's running challenges that the reply does not already mention."""
    driver_id = facts.driver.id
    named = {i.subject_id for i in items}
    running = sorted((i for i in facts.incentives
                      if driver_id in i.enrolled_driver_ids and i.id not in named
                      and i.starts_at <= facts.now < i.ends_at),
                     key=lambda i: (i.ends_at, i.id))
    return tuple(
        assess_incentive(i, driver_id, incentive_progress(i, driver_id, facts.offers),
                         facts.paid_for(i.id, "incentive"), facts.now).item
        for i in running[:MAX_GOALS])


def segment_fields(facts: CaseFacts, policy: PolicyConfig, template: str,
                   items: list[ReplyItem]) -> dict[str, Any]:
    """The reply plan's segment, and the goals a part-time driver's resolution shows."""
    segment = driver_segment(facts, policy)
    goals = running_goals(facts, items) if (
        segment == "part_time" and template == "resolution") else ()
    return {"segment": segment, "goals": goals}
