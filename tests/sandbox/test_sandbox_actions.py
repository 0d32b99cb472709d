"""Each action's effect, idempotent replay and its refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sandbox import create_app


def _post(client: TestClient, path: str, key: str | None, body: Any = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, json=body, headers=headers)


def test_pay_adjustment_creates_an_earning(
    client: TestClient, pay_body: Callable[..., dict]
) -> None:
    answer = _post(client, "/pay-adjustments", "case-1:tip", pay_body())
    assert answer.status_code == 201
    earning = answer.json()
    assert earning["id"].startswith("ern-")
    assert earning["created_at"] == "2026-11-20T18:00:00Z"
    assert earning["idempotency_key"] == "case-1:tip"
    assert earning["source"] == "contact" and earning["amount_cents"] == 250
    listed = client.get("/earnings", params={"driver_id": "drv-1001", "source": "contact"})
    assert listed.json()["items"] == [earning]


def test_replay_returns_the_original(
    client: TestClient, pay_body: Callable[..., dict], earnings_with_key: Callable[..., list]
) -> None:
    first = _post(client, "/pay-adjustments", "k-replay", pay_body())
    client.put("/admin/clock", json={"now": "2026-11-21T00:00:00Z"})
    again = _post(client, "/pay-adjustments", "k-replay", pay_body())
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert len(earnings_with_key(client.get("/admin/state").json(), "k-replay")) == 1


def test_same_key_other_body_is_refused(client: TestClient, pay_body: Callable[..., dict]) -> None:
    _post(client, "/pay-adjustments", "k-reuse", pay_body())
    answer = _post(client, "/pay-adjustments", "k-reuse", pay_body(amount_cents=999))
    assert answer.status_code == 409
    assert answer.json()["error"] == "idempotency_key_reused"
    other_route = _post(client, "/notifications", "k-reuse", {})
    assert other_route.status_code in (409, 422)


def test_missing_key_is_400(client: TestClient, pay_body: Callable[..., dict]) -> None:
    answer = _post(client, "/pay-adjustments", None, pay_body())
    assert answer.status_code == 400
    assert set(answer.json()) == {"error", "detail"}
    assert _post(client, "/deposits/dep-3001/retry", None, {}).status_code == 400


def test_invalid_adjustments(client: TestClient, pay_body: Callable[..., dict]) -> None:
    for body in (pay_body(source="platform"), pay_body(amount_cents=0), pay_body(extra=1)):
        assert _post(client, "/pay-adjustments", "k-bad", body).status_code == 422
    for field in ("driver_id", "offer_id", "incentive_id"):
        answer = _post(client, "/pay-adjustments", "k-bad", pay_body(**{field: "nope"}))
        assert answer.status_code == 404, field
        assert "nope" in answer.json()["detail"]
    assert _post(client, "/pay-adjustments", "k-bad", pay_body()).status_code == 201


def test_reissue(client: TestClient) -> None:
    answer = _post(client, "/offers/ofr-50068/reissue", "case-11:reissue", {"reference": "c-11"})
    assert answer.status_code == 201
    offer = answer.json()
    original = client.get("/offers/ofr-50068").json()
    assert offer["reissued_from"] == "ofr-50068" and offer["status"] == "accepted"
    assert offer["accepted_at"] == "2026-11-20T18:00:00Z"
    for field in ("order_id", "driver_id", "store_id", "zone", "base_pay_cents"):
        assert offer[field] == original[field]
    assert offer["delivered_at"] is None and offer["cancelled_at"] is None
    assert client.get("/orders/ord-70068").json()["status"] == "assigned"
    listed = client.get("/offers", params={"reissued_from": "ofr-50068"}).json()["items"]
    assert listed == [offer]
    refused = _post(client, "/offers/ofr-50068/reissue", "case-12:reissue", {})
    assert refused.status_code == 409
    assert refused.json()["error"] == "order_not_open"
    assert _post(client, "/offers/ofr-50068/reissue", "case-11:reissue", {"reference": "c-11"})
    assert _post(client, "/offers/ofr-zzz/reissue", "k-404", {}).status_code == 404


def test_reissue_refused_when_order_delivered(client: TestClient) -> None:
    answer = _post(client, "/offers/ofr-50001/reissue", "k-delivered", None)
    assert answer.status_code == 409
    assert answer.json()["error"] == "order_not_open"


def test_deposit_retry(client: TestClient) -> None:
    client.put("/admin/clock", json={"now": "2026-11-20T18:05:00Z"})
    answer = _post(client, "/deposits/dep-3001/retry", "dep-3001:retry", {"reference": "c-13"})
    assert answer.status_code == 201
    assert answer.json()["status"] == "pending"
    assert answer.json()["retried_at"] == "2026-11-20T18:05:00Z"
    assert client.get("/deposits/dep-3001").json() == answer.json()
    again = _post(client, "/deposits/dep-3001/retry", "dep-3001:retry", {"reference": "c-13"})
    assert again.status_code == 200 and again.json() == answer.json()
    refused = _post(client, "/deposits/dep-3001/retry", "dep-3001:retry-2", {})
    assert refused.status_code == 409
    assert refused.json()["error"] == "deposit_not_failed"
    assert _post(client, "/deposits/dep-0/retry", "k", {}).status_code == 404


def test_notification(client: TestClient) -> None:
    body = {
        "driver_id": "drv-1003",
        "channel": "chat",
        "locale": "es",
        "subject": "Pago",
        "body": "Hola Marcus",
        "reference": "c-3",
    }
    answer = _post(client, "/notifications", "c-3:reply", body)
    assert answer.status_code == 201
    note = answer.json()
    assert note["id"].startswith("ntf-") and note["idempotency_key"] == "c-3:reply"
    found = client.get("/notifications", params={"idempotency_key": "c-3:reply"}).json()
    assert found["items"] == [note]
    assert client.get("/admin/state").json()["notifications"] == [note]
    assert _post(client, "/notifications", "c-3:reply", body).status_code == 200
    assert _post(client, "/notifications", "k-n", {**body, "channel": "fax"}).status_code == 422


def test_key_recorded_in_a_loaded_world_replays(
    client: TestClient, pay_body: Callable[..., dict], earnings_with_key: Callable[..., list]
) -> None:
    _post(client, "/pay-adjustments", "k-carried", pay_body())
    state = client.get("/admin/state").json()
    client.put("/admin/world", json=state)
    again = _post(client, "/pay-adjustments", "k-carried", pay_body())
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert len(earnings_with_key(client.get("/admin/state").json(), "k-carried")) == 1
    other = _post(client, "/pay-adjustments", "k-carried", pay_body(amount_cents=1))
    assert other.status_code == 409


def _run_script(path: Path, world_data: dict, pay_body: Callable[..., dict]) -> dict[str, Any]:
    client = TestClient(create_app(path))
    client.put("/admin/world", json=world_data)
    _post(client, "/pay-adjustments", "a", pay_body())
    _post(client, "/offers/ofr-50068/reissue", "b", {})
    _post(client, "/deposits/dep-3002/retry", "c", {})
    _post(
        client,
        "/notifications",
        "d",
        {"driver_id": "drv-1001", "channel": "sms", "locale": "en", "subject": "s", "body": "b"},
    )
    return client.get("/admin/state").json()


def test_two_runs_give_identical_state(
    tmp_path: Path, world_data: dict, pay_body: Callable[..., dict]
) -> None:
    first = _run_script(tmp_path / "one.db", world_data, pay_body)
    second = _run_script(tmp_path / "two.db", world_data, pay_body)
    assert first == second
    assert first != world_data
