"""Table tests for reading messages: intent, ids, language."""

from __future__ import annotations

import pytest
from factories import contact

from policy.understanding import detect_language, extract_ids, understand


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Customer tipped $6 on ofr-50014 but I only got $2 of it", "missing_tip"),
        ("Just finished ofr-50040 and the pay isn't showing", "missing_pay"),
        ("Waited forever at the store for ofr-50057, over 40 minutes", "wait_time_pay"),
        ("Store cancelled ofr-50061 after I drove there and waited", "cancelled_offer"),
        ("The order I accepted just vanished from my app!", "cancelled_offer"),
        ("App keeps saying my password is wrong and I can't sign in", "account_access"),
        ("I got an email that my account was deactivated. Why?", "deactivation"),
        ("A customer's dog bit me at the door, what do I do", "safety"),
        ("Why didn't I get the 10 trip bonus?", "incentive_not_credited"),
        ("cashout failed again??", "deposit_issue"),
        ("How is the base pay on an offer worked out?", "pay_question"),
        ("Hola, no me llegó la propina de mi entrega de ayer", "missing_tip"),
        ("Can I deliver with my cousin's car next week?", "other"),
        ("", "other"),
    ],
)
def test_intent(text, intent):
    assert understand(contact(text)).intent == intent


def test_category_is_a_hint_when_text_is_empty():
    assert understand(contact("", category="missing_tip")).intent == "missing_tip"


def test_text_wins_over_category():
    assert understand(contact("a dog bit me", category="missing_tip")).intent == "safety"


def test_unknown_category_is_ignored():
    assert understand(contact("", category="free_money")).intent == "other"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tip for OFR-50014.", {"offer_ids": ("ofr-50014",)}),
        ("ord-70001 and ofr-1, ofr-1 again",
         {"offer_ids": ("ofr-1",), "order_ids": ("ord-70001",)}),
        ("bonus inc-11? deposit dep-3001", {"incentive_ids": ("inc-11",),
                                            "deposit_ids": ("dep-3001",)}),
        ("no ids here, offer 50014", {}),
    ],
)
def test_extract_ids(text, expected):
    found = {k: v for k, v in extract_ids(text).items() if v}
    assert found == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, no me llegó la propina de mi entrega de ayer", "es"),
        ("no me pagaron el pedido de hoy", "es"),
        ("where is my tip for the order", "en"),
        ("ofr-1", None),
        ("ok", None),
    ],
)
def test_language(text, language):
    assert detect_language(text) == language
