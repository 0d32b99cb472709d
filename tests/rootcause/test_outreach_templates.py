"""The retention check-in, rendered in both languages: what was fixed with its amounts, or that
the case was reviewed; a new driver is pointed to the app's help."""

from __future__ import annotations

import pytest

from onetouch.render import render

FIXED = [{"kind": "tip", "subject_id": "ofr-7", "amount_cents": 450},
         {"kind": "reissue", "subject_id": "ofr-8", "amount_cents": 0}]


@pytest.mark.parametrize(("locale", "tip", "reissue", "help_text"), [
    ("en", "- tip for ofr-7: $4.50", "- offer given back for ofr-8\n", "Help section"),
    ("es", "- propina de ofr-7: $4.50", "- oferta devuelta de ofr-8\n", "sección de Ayuda"),
])
def test_the_checkin_lists_what_was_fixed(locale, tip, reissue, help_text):
    body = render(f"outreach/checkin.{locale}.txt.j2", {
        "first_name": "Ana", "kind": "incident", "segment": "new", "fixed": FIXED})
    assert tip in body and reissue in body and help_text in body and "Ana" in body
    steady = render(f"outreach/checkin.{locale}.txt.j2", {
        "first_name": "Ana", "kind": "incident", "segment": "full_time", "fixed": FIXED})
    assert help_text not in steady


@pytest.mark.parametrize(("locale", "words"), [
    ("en", ("needed one of our team", "reviewed it and closed it")),
    ("es", ("necesitó que alguien de nuestro equipo", "lo revisó y lo cerró")),
])
def test_an_escalation_with_nothing_fixed_says_it_was_reviewed(locale, words):
    body = render(f"outreach/checkin.{locale}.txt.j2", {
        "first_name": "Ana", "kind": "escalation", "segment": "part_time", "fixed": []})
    assert all(w in body for w in words)
    assert render(f"outreach/subject.{locale}.txt.j2", {"first_name": "Ana"}).strip()


def test_a_missing_value_is_an_error_not_a_blank():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render("outreach/checkin.en.txt.j2", {"first_name": "Ana", "kind": "incident"})
