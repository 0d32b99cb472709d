"""Typed clients: routes, query filters, action bodies and parsing into onetouch.models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError

from integrations import (
    Action,
    Conflict,
    InvalidResponse,
    NotFound,
    OutgoingNotification,
    PayAdjustment,
)
from integrations.exports import read_ndjson
from onetouch.models import (
    Deposit,
    Driver,
    Earning,
    Incentive,
    Notification,
    Offer,
    Order,
    Store,
    World,
)

SINCE = datetime(2026, 11, 20, tzinfo=UTC)
UNTIL = datetime(2026, 11, 21, tzinfo=UTC)


def page(*items):
    return {"items": list(items), "next_cursor": None}


@pytest.mark.parametrize(
    ("client", "method", "entity", "path", "model"),
    [
        ("drivers", "get", "drivers", "/drivers/x1", Driver),
        ("offers", "get", "offers", "/offers/x1", Offer),
        ("offers", "get_order", "orders", "/orders/x1", Order),
        ("incentives", "get", "incentives", "/incentives/x1", Incentive),
        ("payouts", "get_deposit", "deposits", "/deposits/x1", Deposit),
    ],
)
def test_get_one_parses_model(
    make_platform, script, reply, samples, client, method, entity, path, model
):
    handler = script(reply(200, samples[entity]))
    got = getattr(getattr(make_platform(handler), client), method)("x1")
    assert isinstance(got, model)
    assert got == model.model_validate(samples[entity])
    assert (handler.last.method, handler.last.url.path) == ("GET", path)


def test_get_unknown_raises_not_found(make_platform, script, reply):
    handler = script(reply(404, {"error": "not_found"}))
    with pytest.raises(NotFound):
        make_platform(handler).drivers.get("nobody")


def test_ids_are_percent_encoded(make_platform, script, reply, samples):
    handler = script(reply(200, samples["drivers"]))
    make_platform(handler).drivers.get("a/b c")
    assert handler.last.url.raw_path == b"/drivers/a%2Fb%20c"


@pytest.mark.parametrize(
    ("call", "entity", "path", "query", "model"),
    [
        (lambda p: p.drivers.list(), "drivers", "/drivers", {}, Driver),
        (lambda p: p.drivers.list_stores("z1"), "stores", "/stores", {"zone": "z1"}, Store),
        (
            lambda p: p.offers.list_orders(status="open"),
            "orders",
            "/orders",
            {"status": "open"},
            Order,
        ),
        (
            lambda p: p.offers.list(driver_id="d1", status="cancelled", since=SINCE, until=UNTIL),
            "offers",
            "/offers",
            {
                "driver_id": "d1",
                "status": "cancelled",
                "since": "2026-11-20T00:00:00Z",
                "until": "2026-11-21T00:00:00Z",
            },
            Offer,
        ),
        (
            lambda p: p.offers.list(order_id="o1", reissued_from="of1"),
            "offers",
            "/offers",
            {"order_id": "o1", "reissued_from": "of1"},
            Offer,
        ),
        (
            lambda p: p.earnings.list(offer_id="of1", kind="tip", source="contact", since=SINCE),
            "earnings",
            "/earnings",
            {
                "offer_id": "of1",
                "kind": "tip",
                "source": "contact",
                "since": "2026-11-20T00:00:00Z",
            },
            Earning,
        ),
        (
            lambda p: p.incentives.list(zone="z1", driver_id="d1", ends_after=SINCE),
            "incentives",
            "/incentives",
            {"zone": "z1", "driver_id": "d1", "ends_after": "2026-11-20T00:00:00Z"},
            Incentive,
        ),
        (
            lambda p: p.payouts.list_deposits(driver_id="d1", status="failed", until=UNTIL),
            "deposits",
            "/deposits",
            {"driver_id": "d1", "status": "failed", "until": "2026-11-21T00:00:00Z"},
            Deposit,
        ),
        (
            lambda p: p.notifications.list(driver_id="d1", reference="case-1"),
            "notifications",
            "/notifications",
            {"driver_id": "d1", "reference": "case-1"},
            Notification,
        ),
    ],
)
def test_lists_send_filters_and_parse_models(
    make_platform, script, reply, samples, call, entity, path, query, model
):
    handler = script(reply(200, page(samples[entity], samples[entity])))
    got = list(call(make_platform(handler, page_size=50)))
    assert len(got) == 2
    assert all(isinstance(item, model) for item in got)
    assert handler.last.url.path == path
    assert dict(handler.last.url.params) == {**query, "limit": "50"}


def test_pay_adjustment_posts_body_and_returns_action(make_platform, script, reply, samples):
    handler = script(reply(201, samples["earnings"]))
    adjustment = PayAdjustment(
        driver_id="d1",
        offer_id="of1",
        kind="tip",
        amount_cents=300,
        source="contact",
        reference="case-1",
    )
    action = make_platform(handler).earnings.adjust(adjustment, idempotency_key="key-1")
    assert isinstance(action, Action)
    assert isinstance(action.value, Earning)
    assert action.value.amount_cents == 300
    assert action.replayed is False
    assert (handler.last.method, handler.last.url.path) == ("POST", "/pay-adjustments")
    assert handler.last.headers["Idempotency-Key"] == "key-1"
    assert handler.json_body() == {
        "driver_id": "d1",
        "offer_id": "of1",
        "kind": "tip",
        "amount_cents": 300,
        "source": "contact",
        "reference": "case-1",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"amount_cents": 0},
        {"amount_cents": -5},
        {"amount_cents": 1.5},
        {"source": "platform"},
        {"kind": "bonus"},
        {"driver_id": ""},
        {"surprise": 1},
    ],
)
def test_pay_adjustment_validation(change):
    fields = {"driver_id": "d1", "kind": "tip", "amount_cents": 100, "source": "agent", **change}
    with pytest.raises(ValidationError):
        PayAdjustment(**fields)


@pytest.mark.parametrize(("reference", "body"), [(None, {}), ("case-9", {"reference": "case-9"})])
def test_reissue_offer(make_platform, script, reply, samples, reference, body):
    reissued = {**samples["offers"], "id": "of2", "status": "accepted", "reissued_from": "of1"}
    for key in ("cancelled_at", "cancelled_by", "cancel_reason"):
        reissued.pop(key)
    handler = script(reply(200, reissued, headers={"Idempotent-Replayed": "true"}))
    action = make_platform(handler).offers.reissue("of1", idempotency_key="k", reference=reference)
    assert action.value.reissued_from == "of1"
    assert action.replayed is True
    assert handler.last.url.path == "/offers/of1/reissue"
    assert handler.json_body() == body


def test_reissue_refused_when_order_not_open(make_platform, script, reply):
    handler = script(reply(409, {"error": "order_not_open", "detail": "order o1 is delivered"}))
    with pytest.raises(Conflict) as caught:
        make_platform(handler).offers.reissue("of1", idempotency_key="k")
    assert caught.value.code == "order_not_open"
    assert handler.calls == 1


def test_retry_deposit(make_platform, script, reply, samples):
    retried = {**samples["deposits"], "status": "pending", "retried_at": "2026-11-20T18:00:00Z"}
    handler = script(reply(201, retried))
    action = make_platform(handler).payouts.retry_deposit(
        "dep1", idempotency_key="k", reference="case-2"
    )
    assert action.value.status == "pending"
    assert action.value.retried_at == datetime(2026, 11, 20, 18, tzinfo=UTC)
    assert handler.last.url.path == "/deposits/dep1/retry"
    assert handler.json_body() == {"reference": "case-2"}


def test_send_notification(make_platform, script, reply, samples):
    handler = script(reply(201, samples["notifications"]))
    outgoing = OutgoingNotification(
        driver_id="d1",
        channel="in_app",
        locale="es",
        subject="Pago",
        body="Hola Ana",
        reference="case-1",
    )
    action = make_platform(handler).notifications.send(outgoing, idempotency_key="key-1")
    assert isinstance(action.value, Notification)
    assert handler.last.url.path == "/notifications"
    assert handler.json_body() == outgoing.model_dump()
    assert "Hola" not in repr(outgoing)


@pytest.mark.parametrize("found", [True, False])
def test_find_notification_by_key(make_platform, script, reply, samples, found):
    items = [samples["notifications"]] if found else []
    handler = script(reply(200, page(*items)))
    got = make_platform(handler).notifications.find("key-1")
    assert (got is not None) is found
    assert handler.last.url.params["idempotency_key"] == "key-1"


@pytest.mark.parametrize(
    ("entity", "model"),
    [("offers", Offer), ("earnings", Earning), ("incentives", Incentive), ("deposits", Deposit)],
)
def test_export_stream_parses_models(make_platform, script, samples, entity, model):
    lines = "\n".join(httpx.Response(200, json=samples[entity]).text for _ in range(3)) + "\n"

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=lines, headers={"Content-Type": "application/x-ndjson"})

    handler = script(answer)
    got = list(make_platform(handler).exports.stream(entity, SINCE, UNTIL))
    assert len(got) == 3
    assert all(isinstance(item, model) for item in got)
    assert handler.last.url.path == f"/exports/{entity}"
    assert dict(handler.last.url.params) == {
        "since": "2026-11-20T00:00:00Z",
        "until": "2026-11-21T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("entity", "since", "until"),
    [("drivers", SINCE, UNTIL), ("offers", UNTIL, SINCE), ("offers", SINCE, SINCE)],
)
def test_export_stream_refuses_bad_arguments(make_platform, script, reply, entity, since, until):
    handler = script(reply(200, text=""))
    with pytest.raises(ValueError):
        make_platform(handler).exports.stream(entity, since, until)
    assert handler.calls == 0


def test_clock_now(make_platform, script, reply):
    handler = script(reply(200, {"now": "2026-11-20T18:00:00Z"}))
    now = make_platform(handler).clock.now()
    assert now == datetime(2026, 11, 20, 18, tzinfo=UTC)
    assert now.tzinfo is not None


def test_sandbox_admin_routes(make_platform, script, reply, samples):
    handler = script(reply(200, {"ok": True}))
    admin = make_platform(handler).admin
    world = World(now=SINCE, drivers=[Driver.model_validate(samples["drivers"])])
    faults = {"seed": 1, "routes": {"*": {"error_rate": 0.3}}}
    admin.load_world(world)
    admin.set_clock(UNTIL)
    admin.set_faults(faults)
    admin.clear_faults()
    assert admin.state() == {"ok": True}
    calls = [(r.method, r.url.path) for r in handler.requests]
    assert calls == [
        ("PUT", "/admin/world"),
        ("PUT", "/admin/clock"),
        ("PUT", "/admin/faults"),
        ("DELETE", "/admin/faults"),
        ("GET", "/admin/state"),
    ]
    assert handler.json_body(0) == world.model_dump(mode="json")
    assert handler.json_body(0)["now"] == "2026-11-20T00:00:00Z"
    assert handler.json_body(1) == {"now": "2026-11-21T00:00:00Z"}
    assert handler.json_body(2) == faults


def test_export_stream_splits_lines_across_chunks(make_platform, script, samples):
    line = httpx.Response(200, json=samples["offers"]).content
    body = b"\n".join([line, b"", line + b"\r", line])

    def answer(request: httpx.Request) -> httpx.Response:
        chunks = [body[i:i + 7] for i in range(0, len(body), 7)]
        return httpx.Response(200, content=iter(chunks))

    got = list(make_platform(script(answer)).exports.stream("offers", SINCE, UNTIL))
    assert got == [Offer.model_validate(samples["offers"])] * 3


@pytest.mark.parametrize(
    ("line", "message"),
    [(b"not json", "line 2 is not JSON"), (b"[1, 2]", "line 2 is not a JSON object"),
     (b'{"id": 5}', "invalid Offer from the platform: accepted_at, ")],
)
def test_export_stream_names_the_bad_line_never_its_values(
    make_platform, script, reply, samples, line, message
):
    good = httpx.Response(200, json=samples["offers"]).text
    handler = script(reply(200, text=f"{good}\n{line.decode()}\n"))
    with pytest.raises(InvalidResponse, match=message) as caught:
        list(make_platform(handler).exports.stream("offers", SINCE, UNTIL))
    assert "5" not in str(caught.value).split(":")[-1]


@pytest.mark.parametrize(("bad", "number"), [(0, 1), (2, 3), (4, 5)])
@pytest.mark.parametrize("batch", [1, 2, 2000])
def test_batched_ndjson_names_the_bad_line_past_blank_ones(samples, batch, bad, number):
    good = json.dumps(samples["offers"])
    lines = [good, good, "", good, good]
    lines.insert(bad, f"{good},{good}" if bad == 2 else '{"id": 5}')
    with pytest.raises(InvalidResponse, match=rf"line {number}\b"):
        list(read_ndjson(Offer, lines, "file"))


def test_batched_ndjson_keeps_every_model_in_order(samples):
    offers = [samples["offers"] | {"id": f"o-{n}"} for n in range(7)]
    lines = [json.dumps(o).encode() for o in offers]
    got = list(read_ndjson(Offer, [*lines[:3], b"  ", *lines[3:]], "file", batch=2))
    assert [o.id for o in got] == [f"o-{n}" for n in range(7)]


def test_export_download_saves_the_body_as_sent(make_platform, script, samples, tmp_path):
    line = httpx.Response(200, json=samples["offers"]).content
    body = b"\n".join([line, b"", line]) + b"\n"

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([body[i:i + 5] for i in range(0, len(body), 5)]))

    handler = script(answer)
    destination = tmp_path / "offers.ndjson"
    source = make_platform(handler).exports.download("offers", SINCE, UNTIL, destination)
    assert (source, destination.read_bytes()) == ("GET /exports/offers", body)
    assert dict(handler.last.url.params) == {"since": "2026-11-20T00:00:00Z",
                                             "until": "2026-11-21T00:00:00Z"}


def test_export_download_refuses_bad_arguments_before_asking(make_platform, script, reply,
                                                             tmp_path):
    handler = script(reply(200, text=""))
    with pytest.raises(ValueError, match="no export for 'drivers'"):
        make_platform(handler).exports.download("drivers", SINCE, UNTIL, tmp_path / "x")
    assert handler.calls == 0
