"""World load/dump, clock, auth and world-file errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onetouch.models import ENTITY_MODELS, World
from sandbox import WorldFileError, create_app, read_world_file
from sandbox.store import ENTITY_NAMES, bulk_load, entity_row, row_columns


def _normalized(world: dict[str, Any]) -> dict[str, Any]:
    """A world with every entity list present, in id order, through the models."""
    out: dict[str, Any] = {"now": world["now"]}
    for name, model in ENTITY_MODELS.items():
        items = [model.model_validate(i).model_dump(mode="json") for i in world.get(name, [])]
        out[name] = sorted(items, key=lambda i: i["id"])
    return out


def test_world_round_trip(client: TestClient, world_data: dict[str, Any]) -> None:
    state = client.get("/admin/state").json()
    assert state == _normalized(world_data)
    assert state["notifications"] == []
    assert client.get("/clock").json() == {"now": world_data["now"]}


def test_malformed_world_names_the_field(client: TestClient, world_data: dict) -> None:
    bad = json.loads(json.dumps(world_data))
    bad["drivers"][2]["locale"] = "fr"
    answer = client.put("/admin/world", json=bad)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"
    assert "drivers.2.locale" in answer.json()["detail"]


def test_duplicate_ids_refused(client: TestClient, world_data: dict) -> None:
    bad = {**world_data, "stores": world_data["stores"] + world_data["stores"][:1]}
    answer = client.put("/admin/world", json=bad)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_world"
    assert "stores: duplicate id" in answer.json()["detail"]


def test_world_replaces_state(client: TestClient) -> None:
    answer = client.put("/admin/world", json={"now": "2027-01-01T00:00:00Z"})
    assert answer.status_code == 200
    state = client.get("/admin/state").json()
    assert state["now"] == "2027-01-01T00:00:00Z"
    assert all(state[name] == [] for name in ENTITY_MODELS)


def test_clock(client: TestClient) -> None:
    assert client.put("/admin/clock", json={"now": "2026-11-21T09:30:00Z"}).status_code == 200
    assert client.get("/clock").json() == {"now": "2026-11-21T09:30:00Z"}
    assert client.put("/admin/clock", json={"now": "2026-11-21T09:30:00"}).status_code == 422


def test_bearer_auth(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "auth.db", api_key="s3cret"))
    assert client.get("/clock").status_code == 401
    assert client.get("/clock", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = client.get("/clock", headers={"Authorization": "Bearer s3cret"})
    assert answer.status_code == 200
    assert client.get("/clock").json()["error"] == "unauthorized"


def test_any_key_accepted_without_api_key(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "open.db"))
    assert client.get("/clock", headers={"Authorization": "Bearer whatever"}).status_code == 200


def test_world_file_errors_name_file_and_field(tmp_path: Path, world_data: dict) -> None:
    bad = json.loads(json.dumps(world_data))
    bad["offers"][0]["base_pay_cents"] = "nine"
    path = tmp_path / "bad-world.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(WorldFileError, match=r"bad-world\.json.*offers\.0\.base_pay_cents"):
        read_world_file(path)
    path.write_text("{not json")
    with pytest.raises(WorldFileError, match=r"bad-world\.json.*Invalid JSON"):
        read_world_file(path)
    with pytest.raises(WorldFileError, match=r"missing\.json"):
        read_world_file(tmp_path / "missing.json")


def test_state_persists_in_the_file(tmp_path: Path, world_data: dict) -> None:
    first = TestClient(create_app(tmp_path / "keep.db"))
    first.put("/admin/world", json=world_data)
    again = TestClient(create_app(tmp_path / "keep.db"))
    assert again.get("/admin/state").json() == first.get("/admin/state").json()


def test_bulk_load_gives_the_state_and_exports_of_an_ordinary_load(
    tmp_path: Path, world: World
) -> None:
    ordinary = TestClient(create_app(tmp_path / "ordinary.db"))
    assert ordinary.put("/admin/world", json=world.model_dump(mode="json")).status_code == 200
    ordinary.post("/notifications", headers={"Idempotency-Key": "left-over"}, json={
        "driver_id": "drv-1001", "channel": "push", "locale": "en", "subject": "s", "body": "b"})
    bulk_app = create_app(tmp_path / "bulk.db")
    rows = {name: [tuple(entity_row(name, m)[c] for c in row_columns(name))
                   for m in getattr(world, name)] for name in ENTITY_NAMES}
    pairs = [(i.id, d) for i in world.incentives for d in i.enrolled_driver_ids]
    TestClient(bulk_app).put("/admin/world", json=world.model_dump(mode="json"))
    TestClient(bulk_app).post("/notifications", headers={"Idempotency-Key": "left-over"}, json={
        "driver_id": "drv-1001", "channel": "push", "locale": "en", "subject": "s", "body": "b"})
    counts = bulk_load(bulk_app.state.db, world.now, rows, pairs, chunk=3)
    assert counts == {name: len(getattr(world, name)) for name in ENTITY_NAMES}
    ordinary.put("/admin/world", json=world.model_dump(mode="json"))
    bulk = TestClient(bulk_app)
    assert bulk.get("/admin/state").json() == ordinary.get("/admin/state").json()
    for path in ("/exports/offers", "/exports/earnings", "/exports/incentives",
                 "/exports/deposits", "/incentives?driver_id=drv-1001", "/clock"):
        assert bulk.get(path).text == ordinary.get(path).text, path
    replay = bulk.post("/notifications", headers={"Idempotency-Key": "left-over"}, json={
        "driver_id": "drv-1001", "channel": "push", "locale": "en", "subject": "x", "body": "y"})
    assert replay.status_code == 201  # idempotency keys forgotten, as by a world load
