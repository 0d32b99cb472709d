"""The columnar screen: the same findings as every row through the rules, or no answer at all."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from integrations import InvalidResponse
from onetouch.detection_read import feed, read_window
from onetouch.detection_screen import screen
from onetouch.models import World
from policy.config import PolicyConfig
from policy.detect import Reconciler, Scope
from tests.detection_worlds import build_detection_world
from tests.policy.test_detect import HELD_OUT_SEEDS, detect

POLICY = PolicyConfig()
SOURCES = {"earnings": "GET /exports/earnings", "offers": "GET /exports/offers"}


def _write(tmp_path: Path, raw: dict) -> dict[str, Path]:
    files = {}
    for name in ("earnings", "offers"):
        files[name] = tmp_path / f"{name}.ndjson"
        files[name].write_text("".join(json.dumps(row) + "\n" for row in raw[name]))
    return files


def _screened_findings(raw: dict, tmp_path: Path, scope: Scope | None = None):
    world = World.model_validate(raw)
    reconciler = Reconciler(world.now, POLICY, world.incentives, scope)
    read = feed(reconciler, _write(tmp_path, raw), SOURCES, tmp_path)
    orders = {o.id: o for o in world.orders if o.id in reconciler.orders_needed()}
    return read, reconciler.finish(orders, world.deposits)


@pytest.mark.parametrize("seed", [0, *HELD_OUT_SEEDS])
def test_screened_findings_equal_every_row_through_the_rules(seed, tmp_path):
    raw, _ = build_detection_world(seed)
    read, findings = _screened_findings(raw, tmp_path)
    assert read.screened
    assert findings == detect(World.model_validate(raw))
    assert read.scanned == {"earnings": len(raw["earnings"]), "offers": len(raw["offers"])}
    assert read.reconciler.offers_read < len(raw["offers"])


@pytest.mark.parametrize("seed", [0, 7])
def test_the_screen_keeps_every_earning_its_offers_and_challenges_need(seed, tmp_path):
    raw, _ = build_detection_world(seed)
    world = World.model_validate(raw)
    kept = screen(_write(tmp_path, raw), world.now, POLICY, world.incentives, tmp_path)
    offers = {o.id for o in kept.offers}
    needed = {e["id"] for e in raw["earnings"] if not e.get("offer_id") or e["offer_id"] in offers}
    assert {e.id for e in kept.earnings} == needed
    assert any(not e.offer_id for e in kept.earnings)


@pytest.mark.parametrize("narrowed_by", [("zone",), ("store_id",), ("zone", "store_id")])
def test_a_narrowed_run_finds_what_every_row_finds(narrowed_by, tmp_path):
    raw, expected = build_detection_world(3)
    owed = {f["subject_id"] for f in expected["findings"]}
    offer = next(o for o in raw["offers"] if o["id"] in owed)
    scope = Scope(**{field: offer[field] for field in narrowed_by})
    read, findings = _screened_findings(raw, tmp_path, scope)
    assert read.screened and findings
    assert findings == detect(World.model_validate(raw), scope)


def test_a_window_with_nothing_in_it_screens_to_nothing(tmp_path):
    raw, _ = build_detection_world(0)
    empty = {**raw, "earnings": [], "offers": []}
    read, findings = _screened_findings(empty, tmp_path)
    assert (read.screened, read.scanned) == (True, {"earnings": 0, "offers": 0})
    assert findings == detect(World.model_validate({**empty, "deposits": raw["deposits"]}))


def _first(raw: dict, name: str, **where) -> dict:
    return next(row for row in raw[name] if all(row.get(k) == v for k, v in where.items()))


BAD_ROWS = {
    "time with an offset": ("offers", {"status": "delivered"}, "delivered_at",
                            "2026-11-20T10:00:00+02:00"),
    "no time zone": ("earnings", {}, "created_at", "2026-11-20T10:00:00"),
    "not a date": ("offers", {}, "accepted_at", "2026-13-40T10:00:00Z"),
    "cents as a decimal": ("offers", {}, "base_pay_cents", 650.0),
    "cents as text": ("earnings", {}, "amount_cents", "650"),
    "cents as a flag": ("offers", {}, "customer_tip_cents", True),
    "negative tip": ("offers", {}, "customer_tip_cents", -1),
    "zero earning": ("earnings", {}, "amount_cents", 0),
    "unknown status": ("offers", {}, "status", "lost"),
    "unknown kind": ("earnings", {}, "kind", "bonus"),
    "missing driver": ("earnings", {}, "driver_id", None),
    "delivered without a time": ("offers", {"status": "delivered"}, "delivered_at", None),
    "unknown key": ("offers", {}, "surge_cents", 100),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_row_the_models_refuse_makes_the_screen_step_aside(case, tmp_path, caplog):
    raw, _ = build_detection_world(1)
    name, where, field, value = BAD_ROWS[case]
    row = _first(raw, name, **where)
    if value is None:
        row.pop(field, None)
    else:
        row[field] = value
    world = World.model_validate(build_detection_world(1)[0])
    got = screen(_write(tmp_path, raw), world.now, POLICY, world.incentives, tmp_path)
    assert got is None
    assert "the screen stepped aside" in caplog.text


def test_a_line_that_is_not_json_makes_the_screen_step_aside(tmp_path):
    raw, _ = build_detection_world(1)
    files = _write(tmp_path, raw)
    files["offers"].write_text(files["offers"].read_text() + "{not json\n")
    world = World.model_validate(raw)
    assert screen(files, world.now, POLICY, world.incentives, tmp_path) is None


class SavedExports:
    """The exports client at the outer edge: a world's rows written as the platform sends them."""

    def __init__(self, raw: dict, broken: dict[str, str] | None = None) -> None:
        self.raw, self.broken = raw, broken or {}

    def download(self, entity: str, since: datetime, until: datetime, destination: Path) -> str:
        lines = [json.dumps(row) for row in self.raw[entity]]
        if entity in self.broken:
            lines.insert(1, self.broken[entity])
        destination.write_text("".join(line + "\n" for line in lines))
        return f"GET /exports/{entity}"


def test_a_bad_row_is_named_by_its_line_when_every_row_is_read(tmp_path):
    raw, _ = build_detection_world(2)
    world = World.model_validate(raw)
    broken = SavedExports(raw, {"offers": '{"id": "o-x", "status": "lost"}'})
    with pytest.raises(InvalidResponse, match=r"GET /exports/offers: line 2: .*status"):
        read_window(broken, world.now, POLICY, Scope(), tmp_path)


def test_read_window_downloads_and_screens(tmp_path):
    raw, _ = build_detection_world(4)
    world = World.model_validate(raw)
    read = read_window(SavedExports(raw), world.now, POLICY, Scope(), tmp_path)
    orders = {o.id: o for o in world.orders if o.id in read.reconciler.orders_needed()}
    assert read.screened
    assert read.reconciler.finish(orders, world.deposits) == detect(world)


def test_an_offer_already_reissued_is_not_reissued_again(tmp_path):
    raw, _ = build_detection_world(5)
    original = _first(raw, "offers", status="cancelled", cancelled_by="system")
    original["cancel_reason"], original["arrived_at_store"] = "app_error", None
    _first(raw, "offers", status="delivered")["reissued_from"] = original["id"]
    read, findings = _screened_findings(raw, tmp_path)
    assert read.screened
    assert findings == detect(World.model_validate(raw))
    assert not [f for f in findings
                if f.action.subject_id == original["id"] and f.action.type == "offer_reissue"]


def test_an_app_error_reissue_is_found_even_with_cancellation_pay_already_paid(tmp_path):
    raw, expected = build_detection_world(6)
    reissue = next(f for f in expected["findings"] if f["type"] == "offer_reissue")
    offer = _first(raw, "offers", id=reissue["subject_id"])
    raw["earnings"].append({
        "id": "ern-paid-already", "driver_id": offer["driver_id"], "offer_id": offer["id"],
        "kind": "cancellation", "amount_cents": offer["base_pay_cents"],
        "created_at": offer["cancelled_at"], "source": "platform"})
    read, findings = _screened_findings(raw, tmp_path)
    assert read.screened
    assert findings == detect(World.model_validate(raw))
    assert [f.action.type for f in findings if f.action.subject_id == offer["id"]] == [
        "offer_reissue"]
