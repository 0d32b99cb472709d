"""Paged reads, filters, single reads and exports."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient


def _all_pages(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=query)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_paging_gives_every_offer_once(client: TestClient, world_data: dict) -> None:
    items = _all_pages(client, "/offers", limit=7)
    ids = [i["id"] for i in items]
    assert ids == sorted(o["id"] for o in world_data["offers"])
    assert len(set(ids)) == len(ids)


def test_default_limit_and_last_page(client: TestClient) -> None:
    page = client.get("/earnings").json()
    assert len(page["items"]) == 100
    assert page["next_cursor"] is not None
    rest = client.get("/earnings", params={"cursor": page["next_cursor"], "limit": 500}).json()
    assert len(rest["items"]) == 85
    assert rest["next_cursor"] is None


def test_bad_limit_and_cursor(client: TestClient) -> None:
    for params in ({"limit": 0}, {"limit": 501}, {"limit": "x"}, {"cursor": "not-a-cursor"}):
        answer = client.get("/offers", params=params)
        assert answer.status_code == 422, params
        assert set(answer.json()) == {"error", "detail"}


def test_offer_filters(client: TestClient, world_data: dict) -> None:
    mine = _all_pages(client, "/offers", driver_id="drv-1001")
    assert {o["id"] for o in mine} == {
        o["id"] for o in world_data["offers"] if o["driver_id"] == "drv-1001"
    }
    since, until = "2026-11-16T00:00:00Z", "2026-11-17T00:00:00Z"
    window = _all_pages(client, "/offers", since=since, until=until)
    expected = {o["id"] for o in world_data["offers"] if since <= o["accepted_at"] < until}
    assert {o["id"] for o in window} == expected and expected
    cancelled = _all_pages(client, "/offers", status="cancelled")
    assert {o["id"] for o in cancelled} == {"ofr-50061", "ofr-50068", "ofr-50073"}
    assert client.get("/offers", params={"status": "lost"}).status_code == 422


def test_other_filters(client: TestClient) -> None:
    tips = _all_pages(client, "/earnings", kind="tip", driver_id="drv-1001")
    assert tips and all(e["kind"] == "tip" and e["driver_id"] == "drv-1001" for e in tips)
    enrolled = _all_pages(client, "/incentives", driver_id="drv-1022")
    assert [i["id"] for i in enrolled] == ["inc-13"]
    ending = _all_pages(client, "/incentives", ends_after="2026-11-20T00:00:00Z")
    assert [i["id"] for i in ending] == ["inc-13"]
    assert [s["zone"] for s in _all_pages(client, "/stores", zone="nashville-1")]
    failed = _all_pages(client, "/deposits", status="failed")
    assert {d["id"] for d in failed} == {"dep-3001", "dep-3002"}
    assert [o["status"] for o in _all_pages(client, "/orders", status="open")] == ["open"]


def test_single_reads(client: TestClient) -> None:
    assert client.get("/drivers/drv-1001").json()["name"] == "Mei Johnson"
    assert client.get("/offers/ofr-50001").json()["accepted_at"] == "2026-11-16T03:24:30Z"
    assert client.get("/deposits/dep-3001").json()["status"] == "failed"
    assert client.get("/incentives/inc-11").json()["reward_cents"] == 2500
    assert client.get("/orders/ord-70068").json()["status"] == "open"
    missing = client.get("/offers/ofr-nope")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def _export_time(offer: dict[str, Any]) -> str:
    times = [offer[k] for k in ("accepted_at", "delivered_at", "cancelled_at") if offer[k]]
    return max(times)


def test_exports(client: TestClient, world_data: dict, monkeypatch: Any) -> None:
    monkeypatch.setattr("sandbox.paging.EXPORT_BATCH", 7)
    since, until = "2026-11-16T00:00:00Z", "2026-11-18T00:00:00Z"
    answer = client.get("/exports/offers", params={"since": since, "until": until})
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in answer.text.splitlines()]
    expected = {o["id"] for o in world_data["offers"] if since <= _export_time(o) < until}
    assert {o["id"] for o in lines} == expected and expected
    earnings = client.get("/exports/earnings").text.splitlines()
    assert len(earnings) == len(world_data["earnings"])
    assert [json.loads(e)["id"] for e in earnings] == sorted(
        e["id"] for e in world_data["earnings"]
    )
    assert client.get("/exports/drivers").status_code == 404
