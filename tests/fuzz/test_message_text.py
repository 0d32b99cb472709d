"""Any message text through understanding, the decision and the reply: no crash, no amount
from the text, and the text is never a template nor a value in one."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from markupsafe import escape
from pydantic import ValidationError

from onetouch.render import render, render_reply, timezone_for_zone
from policy.case import case_id_for
from tests.fuzz.strategies import EVALUATED, MAX_TEXT, hostile_text, snippets
from tests.fuzz.world import DRIVER, PLATFORM_AMOUNTS, contact, decide_for, pay_amounts
from understanding import understand

TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#|<script|<img|onerror=")
MARKER = st.from_regex(r"\Azz[a-z]{10}\Z")


def _reply(decision, case_id="case-c-fuzz"):
    return render_reply(decision.reply, case_id, timezone_for_zone(DRIVER.zone))


@given(text=hostile_text(), channel=st.sampled_from(("chat", "email", "in_app", "phone")))
@example(text="{{ 7*7 }} {{ 1234*5678 }} {% for i in range(3) %}zq{% endfor %}", channel="chat")
@example(text="<script>alert('tip ofr-1')</script>", channel="email")
@example(text="'; DROP TABLE contacts; -- where is my tip for ofr-1", channel="phone")
@example(text="x" * MAX_TEXT, channel="chat")
@example(text="\x00\x1b[31m\u202e\u2028 {{ config }}", channel="in_app")
def test_any_text_is_understood_decided_and_answered_without_echoing_it(text, channel):
    c = contact(text, channel=channel)
    understanding = understand(c)
    decision = decide_for(c, understanding)
    subject, body = _reply(decision)

    # The reply depends on the message only through what was understood of it.
    plain = decide_for(contact("", channel=channel), understanding)
    assert decision == plain
    assert (subject, body) == _reply(plain)
    # Amounts come from the platform's data, never from the text.
    assert set(pay_amounts(decision)) <= PLATFORM_AMOUNTS
    # Template syntax or markup in the message is neither evaluated nor echoed.
    reply = subject + "\n" + body
    assert not TEMPLATE_SYNTAX.search(reply)
    assert not any(marker in reply for marker in EVALUATED)
    assert "\n" not in subject and subject.isprintable()


@given(marker=MARKER, wrap=snippets, text=hostile_text(max_size=2_000))
def test_a_marker_in_the_message_never_reaches_the_reply(marker, wrap, text):
    message = f"{text} {{{{ '{marker}' }}}} <b>{marker}</b> {wrap} {marker} {text}"[:MAX_TEXT]
    c = contact(message)
    subject, body = _reply(decide_for(c, understand(c)))
    assert marker not in subject and marker not in body


@given(name=hostile_text(max_size=300))
@example(name="{{ 7*7 }} <script>x</script>")
def test_platform_text_in_a_template_is_a_value_never_template_source(name):
    """Even data that does reach a template (a driver's name) is printed, not evaluated."""
    rendered = render("replies/acknowledgement.en.txt.j2", {
        "first_name": name, "channel": "sms", "queue": "general", "answer_within_hours": 24,
        "case_id": "case-1", "template": "acknowledgement"})
    assert _collapsed(name).strip() in rendered
    assert not any(m in rendered and m not in name for m in EVALUATED)


@given(contact_id=st.text(min_size=1, max_size=200))
@example(contact_id="c-1\r\nBcc: victim@example.com")
@example(contact_id="c-1\u2028{{ 7*7 }}")
def test_a_contact_id_reaches_the_reply_only_as_one_printable_line(contact_id):
    """The case id (from the contact's id) is the one sender value a reply shows."""
    try:
        c = contact("where is my tip for ofr-1", id=contact_id)
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] == ("id",)
        return
    subject, body = _reply(decide_for(c, understand(c)), case_id_for(c.id))
    assert "\n" not in subject and subject.isprintable()
    assert all(line.isprintable() for line in body.splitlines())


def _collapsed(value: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", value)


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    (folder / "probe.html.j2").write_text("<p>{{ value }}</p>")
    (folder / "probe.html").write_text("<p>{{ value }}</p>")
    (folder / "probe.txt.j2").write_text("[{{ value }}]")
    return folder


@given(value=hostile_text(max_size=2_000))
@example(value="<script>alert(1)</script>&\"'{{ 7*7 }}")
def test_html_templates_escape_and_text_templates_print_verbatim(value, probe_dir):
    """The environment escapes HTML templates and never evaluates a value (no HTML ships yet)."""
    for name in ("probe.html.j2", "probe.html"):
        html = render(name, {"value": value}, probe_dir)
        assert html == f"<p>{escape(_collapsed(value))}</p>\n"
    text = render("probe.txt.j2", {"value": value}, probe_dir)
    assert text == _collapsed(f"[{value}]") + "\n"


def test_reading_a_line_of_spaces_takes_linear_time():
    started = time.perf_counter()
    understand(contact(" " * 6_000))
    assert time.perf_counter() - started < 0.5  # a few ms; 0.5-3 s when it backtracked
