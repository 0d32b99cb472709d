"""PlatformHttp: retries, backoff, Retry-After, idempotency keys, paging, streaming, params."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from integrations import (
    ConnectionFailed,
    InvalidResponse,
    PlatformError,
    RateLimited,
    RetryPolicy,
    ServerError,
    Timeout,
)


def test_retries_503_then_succeeds(make_http, script, reply, delays):
    handler = script(reply(503, {"error": "unavailable"}), reply(200, {"now": "x"}))
    assert make_http(handler).get("/clock") == {"now": "x"}
    assert handler.calls == 2
    assert len(delays) == 1


def test_retries_exhausted_raises_server_error_with_attempts(make_http, script, reply, delays):
    handler = script(reply(503, {"error": "unavailable"}))
    with pytest.raises(ServerError) as caught:
        make_http(handler, attempts=3).get("/clock")
    assert caught.value.attempts == 3
    assert caught.value.status_code == 503
    assert "after 3 attempts" in str(caught.value)
    assert handler.calls == 3
    assert len(delays) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_not_retried(make_http, script, reply, delays, status):
    handler = script(reply(status, {"error": "nope"}), reply(200, {}))
    with pytest.raises(PlatformError) as caught:
        make_http(handler).get("/drivers/d1")
    assert caught.value.status_code == status
    assert caught.value.attempts == 1
    assert handler.calls == 1
    assert delays == []


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(make_http, script, reply, status):
    handler = script(reply(status, {"error": "busy"}), reply(200, {"ok": True}))
    assert make_http(handler).get("/x") == {"ok": True}
    assert handler.calls == 2


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (429, "2", 2.0),
        (503, "1.5", 1.5),
        (429, "0", 0.0),
        (429, "600", 60.0),
    ],
)
def test_retry_after_is_honoured(make_http, script, reply, delays, status, header, expected):
    handler = script(reply(status, headers={"Retry-After": header}), reply(200, {}))
    make_http(handler).get("/x")
    assert delays == [expected]


def test_retry_after_http_date_is_honoured(make_http, script, reply, delays):
    later = datetime.now(UTC) + timedelta(seconds=30)
    header = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    handler = script(reply(429, headers={"Retry-After": header}), reply(200, {}))
    make_http(handler).get("/x")
    assert 25 <= delays[0] <= 31


def test_rate_limited_exposes_retry_after(make_http, script, reply):
    handler = script(reply(429, {"error": "rate_limited"}, headers={"Retry-After": "3"}))
    with pytest.raises(RateLimited) as caught:
        make_http(handler, attempts=1).get("/x")
    assert caught.value.retry_after == 3.0
    assert caught.value.code == "rate_limited"


def test_backoff_is_exponential_full_jitter_and_capped(make_http, script, reply, delays):
    handler = script(reply(503))
    with pytest.raises(ServerError):
        make_http(handler, attempts=6, base_delay_s=0.1, max_delay_s=0.5).get("/x")
    ceilings = [0.1, 0.2, 0.4, 0.5, 0.5]
    assert len(delays) == len(ceilings)
    assert all(0.0 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))
    assert len(set(delays)) > 1


class _TopRng:
    def uniform(self, low: float, high: float) -> float:
        return high


def test_backoff_ceiling_doubles_until_max():
    policy = RetryPolicy(attempts=6, base_delay_s=0.25, max_delay_s=1.5)
    got = [policy.backoff(attempt, _TopRng()) for attempt in range(1, 6)]
    assert got == [0.25, 0.5, 1.0, 1.5, 1.5]


@pytest.mark.parametrize(
    ("transport_error", "expected"),
    [
        (httpx.ReadTimeout, Timeout),
        (httpx.ConnectTimeout, Timeout),
        (httpx.WriteTimeout, Timeout),
        (httpx.PoolTimeout, Timeout),
        (httpx.ConnectError, ConnectionFailed),
        (httpx.ReadError, ConnectionFailed),
        (httpx.RemoteProtocolError, ConnectionFailed),
    ],
)
def test_transport_errors_retried_then_typed(
    make_http, script, fail, delays, transport_error, expected
):
    handler = script(fail(transport_error))
    with pytest.raises(expected) as caught:
        make_http(handler, attempts=3).get("/x")
    assert caught.value.attempts == 3
    assert caught.value.status_code is None
    assert handler.calls == 3
    assert len(delays) == 2


def test_read_timeout_then_success(make_http, script, fail, reply):
    handler = script(fail(httpx.ReadTimeout), reply(200, {"ok": True}))
    assert make_http(handler).get("/x") == {"ok": True}
    assert handler.calls == 2


def test_same_idempotency_key_and_body_on_every_attempt(make_http, script, fail, reply):
    handler = script(
        fail(httpx.ReadTimeout),
        reply(503, {"error": "unavailable"}),
        reply(429, headers={"Retry-After": "0"}),
        reply(200, {"id": "e1"}, headers={"Idempotent-Replayed": "true"}),
    )
    result = make_http(handler, attempts=5).post_action("/pay-adjustments", {"a": 1}, "key-42")
    assert handler.calls == 4
    assert {request.headers["Idempotency-Key"] for request in handler.requests} == {"key-42"}
    assert {request.content for request in handler.requests} == {b'{"a":1}'}
    assert result.body == {"id": "e1"}
    assert result.replayed is True


@pytest.mark.parametrize(
    ("status", "headers", "replayed"),
    [
        (201, {}, False),
        (200, {"Idempotent-Replayed": "true"}, True),
        (200, {"Idempotent-Replayed": "True"}, True),
        (200, {"Idempotent-Replayed": "false"}, False),
    ],
)
def test_replayed_flag_read_from_header(make_http, script, reply, status, headers, replayed):
    handler = script(reply(status, {"id": "x"}, headers=headers))
    assert make_http(handler).post_action("/a", {}, "k").replayed is replayed


@pytest.mark.parametrize("key", ["", "   "])
def test_action_without_key_is_refused_before_sending(make_http, script, reply, key):
    handler = script(reply(201, {}))
    with pytest.raises(ValueError):
        make_http(handler).post_action("/a", {}, key)
    assert handler.calls == 0


def test_action_answer_must_be_object(make_http, script, reply):
    with pytest.raises(InvalidResponse):
        make_http(script(reply(201, [1, 2]))).post_action("/a", {}, "k")


def _pages(request: httpx.Request) -> httpx.Response:
    pages = {
        None: ([1, 2], "c2"),
        "c2": ([3, 4], "c3"),
        "c3": ([5], None),
    }
    items, cursor = pages[request.url.params.get("cursor")]
    return httpx.Response(200, json={"items": [{"id": i} for i in items], "next_cursor": cursor})


def test_paginate_follows_cursors_and_yields_each_item_once(make_http, script):
    handler = script(_pages)
    items = list(make_http(handler, page_size=2).paginate("/offers", {"driver_id": "d1"}))
    assert [item["id"] for item in items] == [1, 2, 3, 4, 5]
    assert handler.calls == 3
    assert [r.url.params.get("cursor") for r in handler.requests] == [None, "c2", "c3"]
    assert {r.url.params["limit"] for r in handler.requests} == {"2"}
    assert {r.url.params["driver_id"] for r in handler.requests} == {"d1"}


def test_paginate_is_lazy(make_http, script):
    handler = script(_pages)
    pages = make_http(handler, page_size=2).paginate("/offers")
    assert next(pages) == {"id": 1}
    assert handler.calls == 1


def test_paginate_retries_a_failed_page(make_http, script, reply):
    first = reply(200, {"items": [{"id": 1}], "next_cursor": "c2"})
    last = reply(200, {"items": [{"id": 2}], "next_cursor": None})
    handler = script(first, reply(503), last)
    assert [item["id"] for item in make_http(handler).paginate("/x")] == [1, 2]


@pytest.mark.parametrize(
    "page",
    [
        {"items": [{"id": 1}], "next_cursor": ""},
        {"items": [], "next_cursor": None},
    ],
)
def test_paginate_stops_on_empty_cursor(make_http, script, reply, page):
    handler = script(reply(200, page))
    assert len(list(make_http(handler).paginate("/x"))) == len(page["items"])
    assert handler.calls == 1


@pytest.mark.parametrize(
    "page",
    [[1], {"next_cursor": None}, {"items": [], "next_cursor": 5}],
)
def test_paginate_rejects_malformed_pages(make_http, script, reply, page):
    with pytest.raises(InvalidResponse):
        list(make_http(script(reply(200, page))).paginate("/x"))


def test_paginate_refuses_a_repeated_cursor(make_http, script, reply):
    handler = script(reply(200, {"items": [{"id": 1}], "next_cursor": "same"}))
    with pytest.raises(InvalidResponse):
        list(make_http(handler).paginate("/x"))
    assert handler.calls == 2


def test_params_drop_none_and_send_iso_z_times(make_http, script, reply):
    handler = script(reply(200, {}))
    cst = timezone(timedelta(hours=-6))
    params = {
        "since": datetime(2026, 11, 20, 12, 0, tzinfo=cst),
        "until": datetime(2026, 11, 21, tzinfo=UTC),
        "status": None,
        "flag": True,
        "zone": "nashville-1",
    }
    make_http(handler).get("/offers", params)
    assert dict(handler.last.url.params) == {
        "since": "2026-11-20T18:00:00Z",
        "until": "2026-11-21T00:00:00Z",
        "flag": "true",
        "zone": "nashville-1",
    }


def test_naive_datetime_param_is_refused(make_http, script, reply):
    with pytest.raises(ValueError):
        make_http(script(reply(200, {}))).get("/x", {"since": datetime(2026, 1, 1)})


def test_stream_ndjson_parses_each_line(make_http, script, reply):
    text = '{"id": 1}\n\n{"id": 2, "x": [1]}\r\n{"id": 3}'
    handler = script(reply(200, text=text, headers={"Content-Type": "application/x-ndjson"}))
    got = list(make_http(handler).stream_ndjson("/exports/offers", {"since": None}))
    assert got == [{"id": 1}, {"id": 2, "x": [1]}, {"id": 3}]
    assert "since" not in handler.last.url.params


def test_stream_ndjson_retries_opening_the_stream(make_http, script, reply, fail):
    handler = script(fail(httpx.ConnectError), reply(503), reply(200, text='{"id": 1}\n'))
    assert list(make_http(handler).stream_ndjson("/exports/offers")) == [{"id": 1}]
    assert handler.calls == 3


@pytest.mark.parametrize("line", ["not json", "[1, 2]"])
def test_stream_ndjson_rejects_bad_lines(make_http, script, reply, line):
    handler = script(reply(200, text=f'{{"id": 1}}\n{line}\n'))
    with pytest.raises(InvalidResponse, match="line 2"):
        list(make_http(handler).stream_ndjson("/exports/offers"))


def test_stream_ndjson_error_status_is_typed(make_http, script, reply):
    handler = script(reply(404, {"error": "unknown_entity", "detail": "no such export"}))
    with pytest.raises(PlatformError) as caught:
        list(make_http(handler).stream_ndjson("/exports/nope"))
    assert caught.value.code == "unknown_entity"


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [(200, {"ok": True}, {"ok": True}), (204, None, None)],
)
def test_put_and_delete(make_http, script, reply, status, payload, expected):
    handler = script(reply(status, payload))
    http = make_http(handler)
    assert http.put("/admin/clock", {"now": "2026-01-01T00:00:00Z"}) == expected
    assert http.delete("/admin/faults") == expected
    assert [r.method for r in handler.requests] == ["PUT", "DELETE"]
    assert handler.json_body(0) == {"now": "2026-01-01T00:00:00Z"}


def test_non_json_success_is_invalid_response(make_http, script, reply):
    with pytest.raises(InvalidResponse):
        make_http(script(reply(200, text="<html>"))).get("/x")


def test_logs_carry_no_bodies_or_keys(make_http, script, reply, caplog):
    caplog.set_level(logging.DEBUG, logger="integrations")
    handler = script(reply(503, {"detail": "secret-detail"}), reply(201, {"id": "secret-id"}))
    make_http(handler).post_action("/notifications", {"body": "secret-body"}, "secret-key")
    assert "attempt=1" in caplog.text
    assert "POST /notifications" in caplog.text
    assert "secret" not in caplog.text
