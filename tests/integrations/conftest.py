"""Fixtures for the integrations tests: scripted MockTransport platforms, no real server."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from integrations import Platform, PlatformHttp, RetryPolicy

Step = Callable[[httpx.Request], httpx.Response]
BASE_URL = "http://platform.test"

SAMPLES: dict[str, dict[str, Any]] = {
    "drivers": {
        "id": "d1",
        "name": "Ana Ruiz",
        "locale": "es",
        "zone": "nashville-1",
        "onboarded_at": "2025-01-02T03:04:05Z",
        "status": "active",
        "phone": "+1-615-555-0100",
        "email": "ana@example.com",
    },
    "stores": {"id": "s1", "name": "Corner Market", "zone": "nashville-1"},
    "orders": {"id": "o1", "store_id": "s1", "zone": "nashville-1", "status": "open"},
    "offers": {
        "id": "of1",
        "order_id": "o1",
        "driver_id": "d1",
        "store_id": "s1",
        "zone": "nashville-1",
        "accepted_at": "2026-11-20T17:00:00Z",
        "status": "cancelled",
        "cancelled_at": "2026-11-20T17:30:00Z",
        "cancelled_by": "system",
        "cancel_reason": "app_error",
        "base_pay_cents": 650,
        "customer_tip_cents": 300,
    },
    "earnings": {
        "id": "e1",
        "driver_id": "d1",
        "offer_id": "of1",
        "kind": "tip",
        "amount_cents": 300,
        "created_at": "2026-11-20T18:00:00Z",
        "source": "contact",
        "idempotency_key": "key-1",
        "reference": "case-1",
    },
    "incentives": {
        "id": "i1",
        "zone": "nashville-1",
        "name": "Weekend rush",
        "starts_at": "2026-11-20T00:00:00Z",
        "ends_at": "2026-11-23T00:00:00Z",
        "required_deliveries": 10,
        "reward_cents": 2500,
        "enrolled_driver_ids": ["d1"],
    },
    "deposits": {
        "id": "dep1",
        "driver_id": "d1",
        "amount_cents": 12345,
        "method": "instant",
        "status": "failed",
        "failure_reason": "bank_timeout",
        "created_at": "2026-11-20T12:00:00Z",
    },
    "notifications": {
        "id": "n1",
        "driver_id": "d1",
        "channel": "in_app",
        "locale": "es",
        "subject": "Pago",
        "body": "Hola Ana",
        "created_at": "2026-11-20T18:00:00Z",
        "reference": "case-1",
        "idempotency_key": "key-1",
    },
}


def reply(
    status: int = 200,
    payload: Any = None,
    *,
    headers: dict[str, str] | None = None,
    text: str | None = None,
) -> Step:
    """A step answering with a fresh response each time."""

    def step(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        return httpx.Response(status, json=payload, headers=headers)

    return step


def fail(error: type[httpx.TransportError]) -> Step:
    """A step raising an httpx transport error."""

    def step(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return step


class Script:
    """A MockTransport handler answering with its steps in order, repeating the last one."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        index = min(len(self.requests), len(self.steps)) - 1
        return self.steps[index](request)

    @property
    def calls(self) -> int:
        return len(self.requests)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def json_body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


@pytest.fixture
def samples() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(SAMPLES)


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def make_http(delays: list[float]) -> Callable[..., PlatformHttp]:
    def make(
        handler: Callable[[httpx.Request], httpx.Response],
        *,
        page_size: int = 100,
        **retry: Any,
    ) -> PlatformHttp:
        client = httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(handler))
        policy = RetryPolicy(**{"attempts": 3, **retry})
        return PlatformHttp(
            client, policy, page_size=page_size, sleep=delays.append, rng=random.Random(7)
        )

    return make


@pytest.fixture
def make_platform(make_http: Callable[..., PlatformHttp]) -> Callable[..., Platform]:
    def make(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> Platform:
        return Platform(make_http(handler, **kwargs))

    return make


@pytest.fixture(name="reply")
def reply_fixture() -> Callable[..., Step]:
    return reply


@pytest.fixture(name="fail")
def fail_fixture() -> Callable[..., Step]:
    return fail


@pytest.fixture(name="script")
def script_fixture() -> type[Script]:
    return Script
