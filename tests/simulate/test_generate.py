"""The simulated day: repeatable, loadable, every defect kind, both languages, consistent truth."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from onetouch.inputs import load_world, read_contacts
from onetouch.models import Contact
from simulate import PRESETS, Size, generate
from simulate.defects import Defect
from tests.simulate.conftest import simulate

KINDS = {"base", "tip", "wait_time", "cancellation", "reissue", "incentive", "deposit_retry"}
ORIGINS = {"pay_run_failure", "tips_stopped", "app_release", "payout_outage",
           "incentive_payout", "scattered"}
FILES = ("world.json", "contacts.jsonl", "truth.json")


def test_the_same_seed_writes_the_same_files(city_day, tmp_path):
    out, _ = city_day
    result = simulate(tmp_path, "--seed", "1")
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    assert "defects" in result.output and "contacts" in result.output


def test_another_seed_writes_another_day(city_day, tmp_path):
    simulate(tmp_path, "--seed", "2", "--size", "small")
    assert (tmp_path / "world.json").read_bytes() != (city_day[0] / "world.json").read_bytes()


def test_the_files_load_with_the_replays_loaders(city_day):
    out, truth = city_day
    world = load_world(out / "world.json")
    lines = read_contacts(out / "contacts.jsonl")
    contacts = [Contact.model_validate(line.raw) for line in lines]
    assert len(world.offers) == truth["summary"]["world"]["offers"]
    assert [c.id for c in contacts] == [t["contact_id"] for t in truth["contacts"]]
    assert [c.received_at for c in contacts] == sorted(c.received_at for c in contacts)
    drivers = {d.id for d in world.drivers}
    assert all(c.driver_id in drivers for c in contacts)


def test_every_defect_kind_and_cause_is_planted(city_day):
    _, truth = city_day
    assert {d["kind"] for d in truth["defects"]} == KINDS
    assert {d["origin"].split(":")[0] for d in truth["defects"]} == ORIGINS


def test_contacts_come_in_both_languages_on_every_channel(city_day):
    _, truth = city_day
    assert {c["language"] for c in truth["contacts"]} == {"en", "es"}
    assert {c["channel"] for c in truth["contacts"]} == {"chat", "in_app", "email", "phone"}
    assert {"defect", "false_alarm", "question", "safety", "noise"} <= {
        c["about"] for c in truth["contacts"]}


def test_every_outcome_and_queue_is_expected_somewhere(city_day):
    _, truth = city_day
    assert {c["outcome"] for c in truth["contacts"]} == {"resolved", "escalated", "linked"}
    assert {c["queue"] for c in truth["contacts"]} - {None} == {
        "trust-safety", "account-review", "pay-review", "general"}


def test_detection_finds_exactly_the_planted_defects(city_day):
    _, truth = city_day
    assert truth["unplanned_findings"] == []
    found = [d for d in truth["defects"] if d["finding"]]
    assert truth["detection"]["findings"] == len(found)
    incidents = {i["id"]: i for i in truth["detection"]["incidents"]}
    for d in found:
        if d["incident_id"]:
            assert d["subject_id"] in incidents[d["incident_id"]]["subjects"]


def test_contacts_about_defects_owe_what_the_oracle_says(city_day):
    _, truth = city_day
    defects = {d["id"]: d for d in truth["defects"]}
    about = [c for c in truth["contacts"] if c["about"] == "defect"]
    assert about
    for c in about:
        d = defects[c["defect_id"]]
        assert c["driver_id"] == d["driver_id"]
        paid = [a for a in c["actions"] + c["recommended_actions"]
                if a["subject_id"] == d["subject_id"]]
        if d["fixed_by"] == f"contact:{c['contact_id']}":
            assert paid, c
        assert c["owed_cents"] == sum(a.get("amount_cents", 0) for a in
                                      c["actions"] + c["recommended_actions"])
    assert sum(1 for d in defects.values() if d["fixed_by"].startswith("contact:")) > 0


@pytest.fixture(scope="module")
def small_day():
    return generate(3, PRESETS["small"])


def _quoted_shortfall(d: Defect) -> int:
    """What the generator left unpaid, read from its own bookkeeping (not the ledger)."""
    o = d.subject
    field = {"base": ("base", "paid_base"), "tip": ("tip", "paid_tip")}.get(d.kind)
    if field:
        return getattr(o, field[0]) - getattr(o, field[1])
    if d.kind == "wait_time":
        return min((o.wait_minutes - 15) * 25, 1000)
    if d.kind == "cancellation":
        owed = o.base if o.arr is not None else o.base // 2
        return owed - o.paid_cancel
    return {"incentive": getattr(o, "reward", 0), "deposit_retry": getattr(o, "amount", 0),
            "reissue": 0}[d.kind]


def test_the_oracle_reads_from_the_world_what_the_generator_planted(small_day):
    day, truth = small_day
    rows = {r["id"]: r for r in truth.defects}
    for d in day.defects:
        finding = rows[d.id]["finding"]
        if finding:
            assert finding["amount_cents"] == _quoted_shortfall(d), (d.kind, d.origin)


def test_explicit_sizes_override_the_preset(tmp_path):
    simulate(tmp_path, "--seed", "5", "--size", "small", "--offers", "400", "--drivers", "30")
    summary = json.loads((tmp_path / "truth.json").read_text())["summary"]
    assert summary["size"] == {"drivers": 30, "stores": 24, "offers": 400}
    assert Counter(c["intent"] for c in json.loads(
        (tmp_path / "truth.json").read_text())["contacts"])


def test_a_size_out_of_range_is_refused(tmp_path):
    from typer.testing import CliRunner

    from onetouch.cli import app

    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--offers",
                                      "2000000"])
    assert result.exit_code == 2
    assert not (tmp_path / "world.json").exists()


def test_sizes_are_named():
    assert set(PRESETS) == {"small", "city", "large"}
    assert PRESETS["large"] == Size(25_000, 6_000, 1_000_000)
