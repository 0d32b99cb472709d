"""Table tests for the help plan (pure): what is owed, the contact that resolves it, the segment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onetouch.help.answer import (
    help_contact_id,
    paid_times,
    plan_help,
    query_contact,
    resolution_contact,
)
from policy.case import CaseFacts, RemediationAction, Understanding
from policy.config import PolicyConfig
from tests.factories import NOW, ago, cancelled, delivered, deposit, driver, earning, incentive

POLICY = PolicyConfig()


def facts(intent, *, offer_id=None, offers=(), earnings=(), incentives=(), deposits=(),
          drv=None):
    contact = query_contact("drv-1", NOW, offer_id, "", intent)
    return CaseFacts(contact=contact, driver=drv or driver(), now=NOW, offers=tuple(offers),
                     earnings=tuple(earnings), incentives=tuple(incentives),
                     deposits=tuple(deposits))


def plan(f, intent, locale="en"):
    return plan_help(f, Understanding(intent=intent, confidence=1.0), POLICY, locale)


def _pay(subject, kind):
    return RemediationAction(type="pay_adjustment", driver_id="drv-1", subject_id=subject,
                             kind=kind, amount_cents=100,
                             idempotency_key=f"drv-1/{subject}/{kind}")


@pytest.mark.parametrize(("intent", "case", "owed", "item_type"), [
    ("missing_tip", facts("missing_tip", offers=[delivered(tip=450)],
                          earnings=[earning("ofr-1", "tip", 450)]), [], "paid_in_full"),
    ("missing_tip", facts("missing_tip", offers=[delivered(tip=450)]),
     [("tip", "ofr-1", 450)], "paid"),
    ("missing_pay", facts("missing_pay", offers=[delivered(minutes_ago=20)]), [], "pay_pending"),
    ("cancelled_offer", facts("cancelled_offer", offers=[cancelled(arrived=True, base=900)]),
     [("cancellation", "ofr-9", 900)], "paid"),
    ("wait_time_pay", facts("wait_time_pay", offers=[delivered(wait=35)]),
     [("wait_time", "ofr-1", 500)], "paid"),
    ("incentive_not_credited", facts("incentive_not_credited", offers=[delivered()],
                                     incentives=[incentive(ended_minutes_ago=-600)]),
     [], "incentive_progress"),
    ("deposit_issue", facts("deposit_issue", deposits=[deposit()]),
     [("deposit_retry", "dep-1", None)], "deposit_retried"),
    ("pay_question", facts("pay_question", offers=[delivered()]), [], "breakdown"),
    ("account_access", facts("account_access"), [], "account_access_steps"),
    ("safety", facts("safety"), [], None),
    ("deactivation", facts("deactivation"), [], None),
    ("other", facts("other"), [], None),
])
def test_each_question_type_plans_the_contact_paths_verdict(intent, case, owed, item_type):
    planned = plan(case, intent)
    assert [(a.kind or a.type, a.subject_id, a.amount_cents) for a in planned.owed] == owed
    assert [i.type for i in planned.items][:1] == ([item_type] if item_type else [])
    assert (planned.contact_id is None) is (not owed)


def test_a_case_for_pay_review_still_shows_what_is_owed():
    repeats = [earning(f"ofr-old{i}", "tip", 100, source="contact", minutes_ago=1440 * (i + 1))
               for i in range(5)]
    planned = plan(facts("missing_tip", offers=[delivered(tip=450)], earnings=repeats),
                   "missing_tip")
    assert planned.outcome == "escalated" and planned.queue == "pay-review"
    assert [i.type for i in planned.items] == ["paid"] and len(planned.owed) == 1


def test_the_contact_id_depends_only_on_the_owed_things():
    a, b = _pay("ofr-1", "tip"), _pay("ofr-2", "base")
    assert help_contact_id((a, b)) == help_contact_id((b, a))
    assert help_contact_id((a,)) != help_contact_id((a, b))
    assert help_contact_id((a,)).startswith("help-") and len(help_contact_id((a,))) == 25


def test_the_resolving_contact_names_a_single_owed_offer_and_carries_the_question_type():
    case = facts("missing_tip", offers=[delivered(tip=450)])
    contact = resolution_contact(plan(case, "missing_tip"), case)
    assert (contact.channel, contact.category, contact.offer_id, contact.text) == (
        "in_app", "missing_tip", "ofr-1", "")
    two = facts("missing_tip", offers=[delivered(tip=450), delivered("ofr-2", tip=300)])
    assert resolution_contact(plan(two, "missing_tip"), two).offer_id is None


def test_segments_come_from_the_drivers_activity():
    busy = [delivered(f"ofr-{n}", minutes_ago=120 + (n % 6) * 1440) for n in range(30)]
    assert plan(facts("missing_tip", offers=busy), "missing_tip").segment == "full_time"
    assert plan(facts("missing_tip", drv=driver(onboarded_at=ago(days=3))),
                "missing_tip").segment == "new"
    assert plan(facts("missing_tip", offers=busy[:3]), "missing_tip").segment == "part_time"


def test_paid_times_are_the_latest_earning_of_each_subject_and_kind():
    case = facts("missing_tip", offers=[delivered(tip=450)],
                 earnings=[earning("ofr-1", "tip", 200, minutes_ago=90),
                           earning("ofr-1", "tip", 250, minutes_ago=30)])
    planned = plan(case, "missing_tip")
    assert paid_times(case, planned.items) == {"ofr-1/tip": NOW - timedelta(minutes=30)}
