"""Replies adapted to the driver's segment: explanation and article, facts first, goals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.tasks import render_driver_reply
from onetouch.models import INTENTS
from onetouch.render import help_article, render_reply
from policy.case import CaseFacts, ReplyItem, ReplyPlan
from policy.config import PolicyConfig
from policy.decide import decide
from tests.factories import NOW, ago, contact, delivered, driver
from understanding import understand

HELP = Path(__file__).parent / "help"
AT = datetime(2026, 11, 20, 19, 5, tzinfo=UTC)
TIP = ReplyItem(type="paid", subject_id="ofr-50014", kind="tip", amount_cents=400)
GOAL = ReplyItem(type="incentive_progress", subject_id="inc-12", label="Weekend 20", done=14,
                 required=20, at=AT, details={"running": 1, "hours_left": 50, "days_left": 2})
EXPLAIN = {"en": "How tips work", "es": "Así funcionan las propinas"}
GREETING = {"en": "Hi Ana", "es": "Hola Ana"}
CLOSING = {"en": "Thanks for driving with us.", "es": "Gracias por manejar con nosotros."}
GOALS = {"en": "Weekend 20: 14 of 20 deliveries, 2 days left.",
         "es": "Weekend 20: 14 de 20 entregas, quedan 2 días."}


@pytest.fixture(autouse=True)
def _fixed_help_articles(monkeypatch):
    monkeypatch.setattr("onetouch.render.HELP_DIR", HELP)


def _body(segment, locale="en", channel="chat", goals=(), intent="missing_tip", items=(TIP,),
          template="resolution", **kw):
    plan = ReplyPlan(template=template, channel=channel, locale=locale, first_name="Ana",
                     items=items, segment=segment, goals=goals, **kw)
    return render_reply(plan, "case-c-1", "America/Chicago", intent=intent)[1]


@pytest.mark.parametrize("locale", ["en", "es"])
def test_new_driver_gets_explanation_and_article(locale):
    body = _body("new", locale)
    assert "$4.00" in body and GREETING[locale] in body
    assert EXPLAIN[locale] in body
    assert "help/missing_tip" in body
    assert ("Tips: when they arrive" if locale == "en" else "Propinas: cuándo llegan") in body


@pytest.mark.parametrize("locale", ["en", "es"])
def test_full_time_driver_gets_the_facts_first_and_short(locale):
    body = _body("full_time", locale)
    lines = body.splitlines()
    assert lines[0] == "Ana:"
    assert "$4.00" in lines[2] and "ofr-50014" in lines[2]
    assert CLOSING[locale] not in body and EXPLAIN[locale] not in body
    assert "help/" not in body
    assert len(body) < len(_body("part_time", locale)) < len(_body("new", locale))


@pytest.mark.parametrize("locale", ["en", "es"])
def test_part_time_driver_gets_goal_progress(locale):
    body = _body("part_time", locale, goals=(GOAL,))
    assert GOALS[locale] in body
    assert body.index("$4.00") < body.index(GOALS[locale])
    assert EXPLAIN[locale] not in body and "help/" not in body


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("channel", ["chat", "sms", "email"])
def test_unknown_segment_renders_as_before(locale, channel):
    assert _body(None, locale, channel) == _body("part_time", locale, channel)


@pytest.mark.parametrize("locale", ["en", "es"])
def test_new_driver_sms_stays_short_with_the_article_path(locale):
    body = _body("new", locale, "sms")
    assert "help/missing_tip" in body and EXPLAIN[locale] not in body
    assert len(body) <= 320


@pytest.mark.parametrize(("segment", "queue", "shown"), [
    ("new", "general", True), ("new", "trust-safety", False), ("full_time", "general", False),
    (None, "general", False)])
def test_acknowledgement_points_a_new_driver_to_the_article(segment, queue, shown):
    body = _body(segment, items=(), intent="deactivation", template="acknowledgement",
                 queue=queue, answer_within_hours=24)
    assert ("help/deactivation" in body) is shown


def test_help_article_title_path_and_fallbacks():
    assert help_article("missing_tip", "es") == {
        "topic": "missing_tip", "path": "help/missing_tip", "title": "Propinas: cuándo llegan"}
    assert help_article("missing_pay", "es")["title"] == "Where is my pay?"
    assert help_article("wait_time_pay", "en") == {
        "topic": "wait_time_pay", "path": "help/wait_time_pay", "title": None}
    assert help_article(None, "en") is None
    assert help_article("../secrets", "en") is None


def test_a_new_driver_without_an_article_gets_the_path():
    body = _body("new", intent="wait_time_pay")
    assert "Learn more in the app's Help section (help/wait_time_pay)." in body


@pytest.mark.parametrize("locale", ["en", "es"])
def test_knowledge_base_has_an_article_for_every_intent(monkeypatch, locale):
    monkeypatch.undo()
    for intent in INTENTS:
        assert help_article(intent, locale)["title"], intent


@pytest.mark.parametrize(("onboarded_days", "expected"), [
    (3, "How tips work"), (200, "Thanks for driving with us.")])
def test_flow_task_renders_the_decided_segment_and_intent(onboarded_days, expected):
    drv = driver(onboarded_at=ago(days=onboarded_days))
    facts = CaseFacts(contact=contact("where is my tip for ofr-1", offer_id="ofr-1"), driver=drv,
                      now=NOW, offers=(delivered("ofr-1", tip=400),))
    decision = decide(facts, understand(facts.contact), PolicyConfig())
    _, body = render_driver_reply(decision, drv)
    assert decision.intent == "missing_tip"
    assert "$4.00" in body and expected in body
