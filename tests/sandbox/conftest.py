"""Fixtures: the example world, an in-process client and a real served sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onetouch.models import World
from sandbox import SandboxServer, create_app

WORLD_FILE = Path(__file__).resolve().parent.parent / "data" / "world.json"


@pytest.fixture(scope="session")
def world_data() -> dict[str, Any]:
    """The example world as plain JSON."""
    return json.loads(WORLD_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def world(world_data: dict[str, Any]) -> World:
    """The example world as a model."""
    return World.model_validate(world_data)


@pytest.fixture()
def client(tmp_path: Path, world_data: dict[str, Any]) -> TestClient:
    """An in-process client on a sandbox loaded with the example world."""
    test_client = TestClient(create_app(tmp_path / "sandbox.db"))
    assert test_client.put("/admin/world", json=world_data).status_code == 200
    return test_client


@pytest.fixture()
def server(tmp_path: Path, world: World) -> Iterator[SandboxServer]:
    """A real sandbox served over HTTP on a free port, loaded with the example world."""
    with SandboxServer(tmp_path / "served.db", world=world) as running:
        yield running


def _pay_body(**overrides: Any) -> dict[str, Any]:
    """A valid pay-adjustment body, with overrides."""
    body = {
        "driver_id": "drv-1001",
        "offer_id": "ofr-50001",
        "kind": "tip",
        "amount_cents": 250,
        "source": "contact",
        "reference": "case-1",
    }
    return {**body, **overrides}


def _earnings_with_key(state: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The earnings in a state dump recorded under one idempotency key."""
    return [e for e in state["earnings"] if e["idempotency_key"] == key]


@pytest.fixture()
def pay_body() -> Callable[..., dict[str, Any]]:
    """Build a valid pay-adjustment body: pay_body(amount_cents=1)."""
    return _pay_body


@pytest.fixture()
def earnings_with_key() -> Callable[[dict[str, Any], str], list[dict[str, Any]]]:
    """Select the earnings of a state dump recorded under one idempotency key."""
    return _earnings_with_key
