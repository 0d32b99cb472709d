"""Rendering replies: amounts as dollars, both languages, strict about missing values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2 import UndefinedError

from onetouch.render import dollars, local_time, render, render_reply, timezone_for_zone
from policy.case import ReplyItem, ReplyPlan


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0.00"), (5, "$0.05"), (400, "$4.00"), (675, "$6.75"), (123456, "$1,234.56")],
)
def test_dollars(cents, text):
    assert dollars(cents) == text


@pytest.mark.parametrize(
    ("zone", "tz"),
    [("nashville-1", "America/Chicago"), ("new-orleans-2", "America/Chicago"),
     ("atlantis-1", "UTC")],
)
def test_zone_timezone(zone, tz):
    assert timezone_for_zone(zone) == tz


def test_local_time_both_languages():
    moment = datetime(2026, 11, 20, 19, 5, tzinfo=UTC)
    assert local_time(moment, "America/Chicago") == "Nov 20 at 1:05 PM CST"
    assert local_time(moment, "America/Chicago", "es") == "20 nov a las 13:05 CST"


def test_missing_value_is_an_error():
    with pytest.raises(UndefinedError):
        render("replies/acknowledgement.en.txt.j2", {"first_name": "Ana"})


PAID = ReplyItem(type="paid", subject_id="ofr-50014", kind="tip", amount_cents=400)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", ["Hi Ana", "$4.00 tip", "ofr-50014", "next deposit"]),
     ("es", ["Hola Ana", "$4.00 de propina", "ofr-50014", "próximo depósito"])],
)
def test_paid_reply_names_amount_subject_and_when(locale, expected):
    plan = ReplyPlan(template="resolution", channel="chat", locale=locale, first_name="Ana",
                     items=(PAID,))
    subject, body = render_reply(plan, "case-c-2", "America/Chicago")
    assert "case-c-2" in subject
    for fragment in expected:
        assert fragment in body


ITEM_TYPES = [
    ReplyItem(type="pay_pending", subject_id="ofr-1", kind="base",
              at=datetime(2026, 11, 20, 18, 40, tzinfo=UTC)),
    ReplyItem(type="no_tip", subject_id="ofr-1", kind="tip"),
    ReplyItem(type="already_paid", subject_id="ofr-1", kind="tip", amount_cents=350,
              at=datetime(2026, 11, 20, 18, 40, tzinfo=UTC)),
    ReplyItem(type="incentive_progress", subject_id="inc-1", label="Complete 10", done=7,
              required=10, at=datetime(2026, 11, 20, 18, 40, tzinfo=UTC),
              details={"running": 0}),
    ReplyItem(type="deposit_retried", subject_id="dep-1", amount_cents=15400, label="instant",
              details={"hours": 1, "business_days": 3}),
    ReplyItem(type="breakdown", subject_id="ofr-1",
              details={"quoted_base": 900, "quoted_tip": 300, "base": 900}),
    ReplyItem(type="account_access_steps"),
    ReplyItem(type="reissued", subject_id="ofr-1"),
]


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("item", ITEM_TYPES, ids=lambda i: i.type)
def test_every_item_renders_in_both_languages(locale, item):
    plan = ReplyPlan(template="resolution", channel="sms", locale=locale, first_name="Ana",
                     items=(item,))
    _, body = render_reply(plan, "case-1", "UTC")
    assert len(body.splitlines()) >= 3
    if item.amount_cents:
        assert dollars(item.amount_cents) in body


@pytest.mark.parametrize(("queue", "hours"), [("trust-safety", "1 hour"), ("general", "24 hours")])
def test_acknowledgement_names_when_to_expect_an_answer(queue, hours):
    plan = ReplyPlan(template="acknowledgement", channel="chat", locale="en", first_name="Ana",
                     queue=queue, answer_within_hours=1 if queue == "trust-safety" else 24)
    _, body = render_reply(plan, "case-1", "UTC")
    assert hours in body


def test_incident_escalation_lists_actions_that_move_no_money_of_a_kind():
    escalation = {
        "id": "esc-inc-deposit-failure-bank-timeout-202611201800", "queue": "pay-review",
        "case_id": "inc-deposit-failure-bank-timeout-202611201800", "driver_id": "",
        "due_at": "2026-11-21T18:00:00Z", "reasons": ["above the blast-radius limits"],
        "recommended_actions": [
            {"type": "deposit_retry", "subject_id": "dep-1", "driver_id": "drv-1"},
            {"type": "offer_reissue", "subject_id": "off-2", "driver_id": "drv-2"},
            {"type": "pay_adjustment", "kind": "base", "subject_id": "off-3",
             "amount_cents": 450, "driver_id": "drv-3"}]}
    body = render("agents/escalation.md.j2", {"escalation": escalation})
    assert "- deposit_retry  dep-1 (drv-1)" in body
    assert "- offer_reissue  off-2 (drv-2)" in body
    assert "- pay_adjustment base off-3 (drv-3) $4.50" in body
    form = render("agents/approval_form.md.j2", {"escalation": escalation, "titles": {},
                                                 "due": "Nov 21 at 6:00 PM UTC (UTC)"})
    assert "| deposit retry |  | dep-1 |  |" in form
    assert "| pay adjustment | base | off-3 | $4.50 |" in form
    assert "**incident** (several drivers) · **answer due** Nov 21 at 6:00 PM UTC" in form
