"""The served sandbox: concurrent duplicates, fault injection and timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sandbox import SandboxServer, WorldFileError, run_sandbox


def _pay(url: str, key: str, body: dict[str, Any], timeout: float = 10.0) -> httpx.Response:
    headers = {"Idempotency-Key": key}
    return httpx.post(f"{url}/pay-adjustments", json=body, headers=headers, timeout=timeout)


def _state(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/admin/state", timeout=10).json()


def test_concurrent_duplicates_pay_once(
    server: SandboxServer, pay_body: Callable[..., dict], earnings_with_key: Callable[..., list]
) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: _pay(server.url, "k-race", pay_body()), range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 19 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(earnings_with_key(_state(server.url), "k-race")) == 1


def test_concurrent_distinct_keys_all_succeed(
    server: SandboxServer, pay_body: Callable[..., dict]
) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda i: _pay(server.url, f"k-{i}", pay_body()), range(20)))
    assert [a.status_code for a in answers] == [201] * 20
    contact = [e for e in _state(server.url)["earnings"] if e["source"] == "contact"]
    assert len(contact) == 20


def test_error_fault_answers_503_without_effect(
    server: SandboxServer, pay_body: Callable[..., dict], earnings_with_key: Callable[..., list]
) -> None:
    faults = {"seed": 1, "routes": {"POST /pay-adjustments": {"error_rate": 1.0}}}
    assert httpx.put(f"{server.url}/admin/faults", json=faults).status_code == 200
    answer = _pay(server.url, "k-503", pay_body())
    assert answer.status_code == 503
    assert answer.json()["error"] == "unavailable"
    assert "Retry-After" in answer.headers
    assert earnings_with_key(_state(server.url), "k-503") == []
    httpx.delete(f"{server.url}/admin/faults")
    assert _pay(server.url, "k-503", pay_body()).status_code == 201


def test_timeout_fault_performs_then_hangs(
    server: SandboxServer, pay_body: Callable[..., dict], earnings_with_key: Callable[..., list]
) -> None:
    rule = {"timeout_rate": 1.0, "hang_seconds": 1.0}
    httpx.put(f"{server.url}/admin/faults", json={"routes": {"POST /pay-adjustments": rule}})
    with pytest.raises(httpx.ReadTimeout):
        _pay(server.url, "k-hang", pay_body(), timeout=0.3)
    assert len(earnings_with_key(_state(server.url), "k-hang")) == 1
    httpx.delete(f"{server.url}/admin/faults")
    retry = _pay(server.url, "k-hang", pay_body())
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert len(earnings_with_key(_state(server.url), "k-hang")) == 1


def _statuses(client: TestClient, seed: int) -> list[int]:
    faults = {"seed": seed, "routes": {"GET /offers/{offer_id}": {"error_rate": 0.5}}}
    assert client.put("/admin/faults", json=faults).status_code == 200
    return [client.get("/offers/ofr-50001").status_code for _ in range(30)]


def test_seeded_faults_repeat(client: TestClient) -> None:
    first = _statuses(client, seed=7)
    assert set(first) == {200, 503}
    assert _statuses(client, seed=7) == first
    assert _statuses(client, seed=8) != first
    assert client.get("/offers").status_code == 200


def test_wildcard_latency_spares_admin(client: TestClient) -> None:
    faults = {"routes": {"*": {"latency_ms": 150}}}
    client.put("/admin/faults", json=faults)
    started = time.monotonic()
    client.get("/clock")
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    client.get("/admin/faults")
    assert time.monotonic() - started < 0.15
    client.delete("/admin/faults")
    assert client.get("/admin/faults").json()["routes"] == {}


def test_fault_config_validated(client: TestClient) -> None:
    unknown = client.put("/admin/faults", json={"routes": {"POST /pay": {"error_rate": 1}}})
    assert unknown.status_code == 422 and "POST /pay" in unknown.json()["detail"]
    bad_rate = client.put("/admin/faults", json={"routes": {"*": {"error_rate": 2}}})
    assert bad_rate.status_code == 422


def test_world_load_clears_faults(client: TestClient, world_data: dict) -> None:
    client.put("/admin/faults", json={"routes": {"*": {"error_rate": 1}}})
    assert client.get("/clock").status_code == 503
    client.put("/admin/world", json=world_data)
    assert client.get("/clock").status_code == 200


def test_server_lifecycle(tmp_path: Any) -> None:
    server = SandboxServer(tmp_path / "life.db", api_key="k")
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        assert httpx.get(f"{server.url}/clock").status_code == 401
        auth = {"Authorization": "Bearer k"}
        assert httpx.get(f"{server.url}/clock", headers=auth).status_code == 200
    with pytest.raises(RuntimeError):
        _ = server.url


def test_export_streams_over_http(server: SandboxServer, world_data: dict) -> None:
    url = f"{server.url}/exports/earnings"
    with httpx.stream("GET", url, params={"since": "2026-11-01T00:00:00Z"}) as answer:
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        lines = list(answer.iter_lines())
    assert len(lines) == len(world_data["earnings"])


def test_run_sandbox_refuses_a_malformed_world(tmp_path: Any) -> None:
    path = tmp_path / "w.json"
    path.write_text('{"now": "2026-11-20T18:00:00Z", "drivers": [{"id": "d-1"}]}')
    with pytest.raises(WorldFileError, match=r"w\.json.*drivers\.0\.name"):
        run_sandbox(path, port=0)
