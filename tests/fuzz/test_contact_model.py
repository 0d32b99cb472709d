"""The Contact model over any JSON: a valid contact, or a ValidationError naming the field."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from onetouch.models import Contact
from tests.fuzz.strategies import (
    CONTACT_FIELDS,
    contacts,
    json_values,
    lone_surrogates,
    mutated_contacts,
    times,
)

VALID = {"id": "c-1", "driver_id": "drv-1", "channel": "chat",
         "received_at": "2026-11-20T18:00:00Z", "text": "where is my tip"}


def _check_names_the_field(raw: Any, exc: ValidationError) -> None:
    assert exc.error_count() >= 1
    for error in exc.errors():
        assert error["msg"]
        if isinstance(raw, dict):
            assert error["loc"], error  # a dict's problem is always some field's
            head = error["loc"][0]
            assert head in CONTACT_FIELDS or head in raw, error


@given(raw=mutated_contacts())
@example(raw=VALID | {"received_at": "0001-01-01T00:00:00+00:01"})
@example(raw=VALID | {"received_at": "9999-12-31T23:59:59-00:01"})
@example(raw=VALID | {"received_at": "0001-01-01T00:00:00Z"})
@example(raw=VALID | {"id": "c-1\r\nX-Injected: 1"})
@example(raw=VALID | {"text": "x" * 10_001})
@example(raw=VALID | {"amount_cents": 50_000})
@example(raw=[VALID])
def test_any_object_is_a_contact_or_names_the_bad_field(raw):
    try:
        contact = Contact.model_validate(raw)
    except ValidationError as exc:
        _check_names_the_field(raw, exc)
        return
    assert isinstance(raw, dict)
    assert contact.received_at.utcoffset().total_seconds() == 0
    assert 1970 <= contact.received_at.year < 2200
    assert len(contact.text) <= 10_000
    assert contact.id.isprintable() and contact.driver_id.isprintable()
    # What is accepted survives the trip through JSON unchanged (the case store, Prefect).
    again = Contact.model_validate_json(contact.model_dump_json())
    assert again == contact


@given(raw=contacts())
def test_every_well_formed_contact_is_accepted(raw):
    contact = Contact.model_validate(raw)
    assert contact.text == raw["text"]


@given(value=json_values(), field=st.sampled_from(CONTACT_FIELDS))
def test_any_value_in_any_field(value, field):
    raw = VALID | {field: value}
    try:
        Contact.model_validate(raw)
    except ValidationError as exc:
        _check_names_the_field(raw, exc)


@given(text=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
@example(text=b'{"id": "c-\\ud800", "driver_id": "d", "channel": "chat", '
              b'"received_at": "2026-11-20T18:00:00Z"}')
@example(text=b"[" * 5000 + b"]" * 5000)
def test_any_bytes_as_json(text):
    try:
        Contact.model_validate_json(text)
    except ValidationError as exc:
        assert exc.errors()[0]["msg"]


@given(field=st.sampled_from(("id", "driver_id", "text", "offer_id", "category")),
       value=lone_surrogates())
def test_lone_surrogates_are_refused_by_field(field, value):
    try:
        Contact.model_validate(VALID | {field: value})
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] == (field,)
    else:
        raise AssertionError("a lone surrogate was accepted")


@given(received_at=times())
def test_any_time(received_at):
    try:
        contact = Contact.model_validate(VALID | {"received_at": received_at})
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] == ("received_at",)
        return
    json.dumps(contact.model_dump(mode="json"))
