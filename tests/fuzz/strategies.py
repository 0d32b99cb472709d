"""Hostile inputs: text of any script and control characters, template, markup and SQL
payloads, arbitrary JSON, contacts and their mutations."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from onetouch.models import INTENTS

MAX_TEXT = 10_000
CONTACT_FIELDS = ("id", "driver_id", "channel", "received_at", "text", "offer_id", "category")
CHANNELS = ("chat", "email", "in_app", "phone")

# Payloads a hostile sender tries: template syntax (each evaluates to something recognisable),
# markup, SQL, JSON, format strings, control and bidi characters, and other scripts.
TEMPLATE_PAYLOADS = (
    "{{ 7*7 }}", "{{ 1234*5678 }}", "{{7*'7'}}", '{{ "pwn" * 3 }}',
    "{% for i in range(3) %}zq{% endfor %}", "{% raw %}{{ x }}{% endraw %}",
    "{{ config }}", "{{ self.__init__.__globals__ }}", "{{ ''.__class__.__mro__ }}",
    "{% include 'replies/final.en.txt.j2' %}", "{% extends 'x' %}", "{# comment #}",
    "{{ first_name }}", "{{ items }}", "{{ case_id }}", "{%- set amount_cents = 99999 -%}",
    "${7*7}", "#{7*7}", "<%= 7*7 %>", "{0.__class__}", "%s%s%n", "{amount_cents}",
)
# What those templates print when evaluated: none of it may ever appear in a reply.
EVALUATED = ("7006652", "7777777", "pwnpwnpwn", "zqzqzq", "<Config", "<class", "<function",
             "__globals__", "<built-in", "jinja2")
MARKUP_PAYLOADS = (
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "</textarea><svg onload=x>",
    "javascript:alert(1)", "&lt;b&gt;", "<b>bold</b>", "[click](javascript:alert(1))",
    "![x](http://evil/x.png)", "| a | b |\n|---|---|", "# Heading\n---",
)
SQL_PAYLOADS = (
    "'; DROP TABLE contacts; --", "\" OR 1=1 --", "1; DELETE FROM cases", "' UNION SELECT * --",
    "Robert'); DROP TABLE escalations;--",
)
JSON_PAYLOADS = (
    '{"amount_cents": 99999, "approve": true}', '{"intent": "missing_tip"}', "[1, 2, {}]",
    '"},"amount_cents":100000,"x":{"', "null", "\\u0000", "\\ud800",
)
CONTROL_PAYLOADS = (
    "\x00", "\x07", "\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "\r\n", "\r", "\x0b\x0c",
    "\x1c\x1d\x1e", "\x85", "\u2028", "\u2029", "\u202e", "\u200b", "\ufeff", "\ufffd",
)
SCRIPT_PAYLOADS = (
    "¿Dónde está mi propina?", "我的小费在哪里", "チップがありません", "أين إكرامي",
    "где мои чаевые", "टिप कहाँ है", "팁이 없어요", "🚗💸🙏", "ﷺ", "İı", "ß", "Ⅻ",
)
HOSTILE_SNIPPETS = (TEMPLATE_PAYLOADS + MARKUP_PAYLOADS + SQL_PAYLOADS + JSON_PAYLOADS
                    + CONTROL_PAYLOADS + SCRIPT_PAYLOADS)

snippets = st.sampled_from(HOSTILE_SNIPPETS)
any_text = st.text(max_size=200)  # every code point but lone surrogates, controls included


@st.composite
def hostile_text(draw, max_size: int = MAX_TEXT) -> str:
    """Anything a driver (or an attacker) can type, up to `max_size` characters."""
    kind = draw(st.sampled_from(("mix", "mix", "mix", "text", "long", "repeat")))
    if kind == "text":
        return draw(st.text(max_size=min(max_size, 2_000)))
    if kind == "long":
        size = draw(st.integers(max_size // 2, max_size))
        alphabet = draw(st.sampled_from((string.printable, "{}%#<>'\"", "ab ", "\u00e9\u4e2d\n")))
        return (alphabet * (size // len(alphabet) + 1))[:size]
    if kind == "repeat":
        unit = draw(snippets | any_text.filter(bool))
        return (unit * (max_size // len(unit)))[:max_size]
    parts = draw(st.lists(snippets | any_text, max_size=12))
    return "".join(parts)[:max_size]


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value (NaN and infinities too: Python's json reads them)."""
    scalars = (st.none() | st.booleans() | st.integers() | st.integers(-(10**40), 10**40)
               | st.floats() | any_text | snippets | lone_surrogates())
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(any_text | st.sampled_from(CONTACT_FIELDS), inner, max_size=4),
        max_leaves=max_leaves,
    )


ids = st.builds(lambda first, rest: first + rest,
                st.sampled_from(string.ascii_letters + string.digits),
                st.text(alphabet=string.ascii_letters + string.digits + "-_.:", max_size=29))


valid_times = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(
    lambda moment: moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"))


@st.composite
def times(draw) -> str:
    """A time as a contact would carry it: valid, with an offset, at the edges, or garbage."""
    kind = draw(st.sampled_from(("utc", "offset", "edge", "garbage")))
    if kind == "utc":
        return draw(valid_times)
    if kind == "offset":
        moment = draw(st.datetimes())
        minutes = draw(st.integers(-23 * 60 - 59, 23 * 60 + 59))
        return moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()
    if kind == "edge":
        return draw(st.sampled_from((
            "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-00:01", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
            "2026-11-20T18:00:00", "2026-02-30T00:00:00Z", "2026-11-20T25:00:00Z",
            "2026-11-20T18:00:00.123456789Z", "2026-11-20", "1e10", "", "now")))
    return draw(any_text)


@st.composite
def contacts(draw, driver_id: str | None = None) -> dict[str, Any]:
    """A valid contact as JSON, with hostile text."""
    raw: dict[str, Any] = {
        "id": draw(ids), "driver_id": driver_id or draw(ids),
        "channel": draw(st.sampled_from(CHANNELS)),
        "received_at": draw(valid_times),
        "text": draw(hostile_text(max_size=draw(st.sampled_from((200, MAX_TEXT))))),
    }
    if draw(st.booleans()):
        raw["offer_id"] = draw(st.none() | ids)
    if draw(st.booleans()):
        raw["category"] = draw(st.none() | st.sampled_from(INTENTS)
                               | any_text.filter(str.isprintable))
    return raw


@st.composite
def mutated_contacts(draw) -> Any:
    """A contact with one to three fields dropped, replaced, added or made wrong; or any JSON."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values())
    raw = draw(contacts())
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(CONTACT_FIELDS) | any_text)
        action = draw(st.sampled_from(("drop", "replace", "replace", "time", "long")))
        if action == "drop":
            raw.pop(field, None)
        elif action == "replace":
            raw[field] = draw(json_values(max_leaves=4))
        elif action == "time":
            raw["received_at"] = draw(times())
        else:
            raw[field] = "x" * draw(st.sampled_from((199, 200, 201, 9_999, 10_000, 10_001)))
    return raw


def dumps(value: Any, ensure_ascii: bool = True) -> str:
    """JSON text as a sender would write it (NaN allowed, as Python writes it)."""
    return json.dumps(value, ensure_ascii=ensure_ascii)


def lone_surrogates() -> st.SearchStrategy[str]:
    """Strings with a lone UTF-16 surrogate: valid as JSON escapes, not as Unicode text."""
    return st.builds(lambda a, s, b: a + s + b, st.text(max_size=5),
                     st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                     st.text(max_size=5))
