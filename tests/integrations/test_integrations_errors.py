"""Typed error mapping: every status to its class, and messages free of bodies and personal data."""

from __future__ import annotations

import pytest

from integrations import (
    BadRequest,
    Conflict,
    InvalidResponse,
    NotFound,
    PlatformError,
    RateLimited,
    ServerError,
    Unauthorized,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Unauthorized),
        (404, NotFound),
        (409, Conflict),
        (422, BadRequest),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, PlatformError),
    ],
)
def test_status_maps_to_typed_error(make_http, script, reply, status, expected):
    handler = script(reply(status, {"error": "some_code", "detail": "some detail"}))
    with pytest.raises(PlatformError) as caught:
        make_http(handler, attempts=1).get("/things/t1")
    error = caught.value
    assert type(error) is expected
    assert (error.status_code, error.code, error.detail) == (status, "some_code", "some detail")
    assert str(error) == f"GET /things/t1: HTTP {status} some_code"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (409, "idempotency_key_reused", Conflict),
        (409, "order_not_open", Conflict),
        (409, "deposit_not_failed", Conflict),
        (422, "invalid_source", BadRequest),
        (400, "missing_idempotency_key", BadRequest),
    ],
)
def test_action_errors_keep_the_platform_code(make_http, script, reply, status, code, expected):
    handler = script(reply(status, {"error": code}))
    with pytest.raises(expected) as caught:
        make_http(handler).post_action("/pay-adjustments", {"amount_cents": 1}, "k")
    assert caught.value.code == code
    assert caught.value.detail is None
    assert handler.calls == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"text": "<html>bad gateway</html>"},
        {"payload": ["not", "an", "object"]},
        {"payload": {"detail": [{"loc": ["body"], "msg": "field required"}]}},
    ],
)
def test_unstructured_error_bodies(make_http, script, reply, answer):
    handler = script(reply(404, **answer))
    with pytest.raises(NotFound) as caught:
        make_http(handler).get("/x")
    assert (caught.value.code, caught.value.detail) == (None, None)
    assert str(caught.value) == "GET /x: HTTP 404"


def test_messages_never_carry_bodies_or_detail(make_http, script, reply):
    detail = "driver phone +1-615-555-0100 rejected"
    handler = script(reply(422, {"error": "invalid", "detail": detail}))
    body = {"subject": "Hola Ana", "body": "your phone +1-615-555-0100"}
    with pytest.raises(BadRequest) as caught:
        make_http(handler).post_action("/notifications", body, "k-1")
    text = str(caught.value) + repr(caught.value)
    assert "555" not in text
    assert "Hola" not in text
    assert "k-1" not in text


def test_invalid_entity_names_fields_not_values(make_platform, script, reply, samples):
    driver = {**samples["drivers"], "locale": "fr"}
    handler = script(reply(200, driver))
    with pytest.raises(InvalidResponse) as caught:
        make_platform(handler).drivers.get("d1")
    assert "locale" in str(caught.value)
    assert "555" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (RateLimited("x"), True),
        (ServerError("x"), True),
        (NotFound("x"), False),
        (Conflict("x"), False),
        (BadRequest("x"), False),
        (Unauthorized("x"), False),
    ],
)
def test_retryable_classes(error, retryable):
    assert error.retryable is retryable
