"""`onetouch replay` over the examples: the policy's expected outcomes, deterministically."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from onetouch.cli import app
from onetouch.replay import run_replay
from tests.flows.conftest import DATA

EXPECTED = [json.loads(line) for line in (DATA / "expected.jsonl").read_text().splitlines()]


def _comparable(outcome):
    return {
        "contact_id": outcome["contact_id"], "driver_id": outcome["driver_id"],
        "intent": outcome["intent"], "outcome": outcome["outcome"], "queue": outcome["queue"],
        "actions": [{k: v for k, v in a.items() if k != "new_offer_id"}
                    for a in outcome["actions"]],
        "recommended_actions": outcome["recommended_actions"],
        "reply_locale": outcome["reply"]["locale"], "reply_channel": outcome["reply"]["channel"],
    }


def _expected(row):
    return {"recommended_actions": []} | row


@pytest.fixture(scope="module")
def replayed(examples_replay):
    return examples_replay


def test_outcomes_match_the_policy_examples(replayed):
    out, outcomes = replayed
    lines = [json.loads(line) for line in (out / "outcomes.jsonl").read_text().splitlines()]
    assert lines == outcomes
    assert [_comparable(o) for o in lines] == [_expected(e) for e in EXPECTED]


def test_replies_name_every_amount_paid(replayed):
    _, outcomes = replayed
    for outcome in outcomes:
        for action in outcome["actions"]:
            if action["type"] == "pay_adjustment":
                cents = action["amount_cents"]
                assert f"${cents // 100}.{cents % 100:02d}" in outcome["reply"]["text"]
                assert action["subject_id"] in outcome["reply"]["text"]


def test_state_has_no_duplicate_idempotency_key(replayed):
    out, _ = replayed
    state = json.loads((out / "state.json").read_text())
    for entity in ("earnings", "notifications"):
        keys = [e["idempotency_key"] for e in state[entity] if e["idempotency_key"]]
        assert len(keys) == len(set(keys)), entity
    assert {"incidents", "escalations", "notifications"} <= set(state)
    assert len(state["escalations"]) == sum(e["outcome"] == "escalated" for e in EXPECTED)


def test_reissue_creates_the_new_offer(replayed):
    out, outcomes = replayed
    state = json.loads((out / "state.json").read_text())
    [reissue] = [a for o in outcomes for a in o["actions"] if a["type"] == "offer_reissue"]
    new = next(o for o in state["offers"] if o["id"] == reissue["new_offer_id"])
    assert (new["reissued_from"], new["status"]) == ("ofr-50068", "accepted")


def test_no_personal_data_in_replies(replayed):
    _, outcomes = replayed
    world = json.loads((DATA / "world.json").read_text())
    personal = {d["phone"] for d in world["drivers"]} | {d["email"] for d in world["drivers"]}
    text = " ".join(o["reply"]["text"] for o in outcomes)
    assert not any(p in text for p in personal)


def test_a_bad_contact_line_is_rejected_and_the_rest_processed(tmp_path):
    lines = (DATA / "contacts.jsonl").read_text().splitlines()[:2]
    contacts = tmp_path / "contacts.jsonl"
    contacts.write_text("\n".join([lines[0], "{not json", '["a list"]', lines[1]]) + "\n")
    outcomes = run_replay(DATA / "world.json", contacts, tmp_path / "out.jsonl")
    assert [o["outcome"] for o in outcomes] == ["resolved", "rejected", "rejected", "resolved"]
    assert re.search(r"contacts\.jsonl line 2: not valid JSON", outcomes[1]["reasons"][0])
    assert "line 3: not a JSON object" in outcomes[2]["reasons"][0]


@pytest.mark.parametrize(
    ("world_text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"now": "2026-11-20T18:00:00Z", "drivers": [{"id": "d"}]}', "field 'drivers.0.name'"),
        ('{"drivers": []}', "field 'now'"),
    ],
)
def test_a_malformed_world_fails_with_file_and_field(tmp_path, world_text, message):
    world = tmp_path / "world.json"
    world.write_text(world_text)
    result = CliRunner().invoke(app, ["replay", str(world), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert str(world) in result.output and message in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_two_runs_write_identical_files(tmp_path):
    contacts = tmp_path / "contacts.jsonl"
    lines = (DATA / "contacts.jsonl").read_text().splitlines()
    contacts.write_text("\n".join(lines[::3]) + "\n")
    for run in ("a", "b"):
        run_replay(DATA / "world.json", contacts, tmp_path / f"{run}.jsonl",
                   tmp_path / f"{run}.json")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_replay_with_detect_writes_the_summary_first_and_links_contacts(tmp_path):
    from tests.detection_worlds import build_detection_world

    raw, expected = build_detection_world(3)
    held = next(i for i in expected["incidents"] if i["status"] == "awaiting_approval")
    finding = next(f for f in expected["findings"] if f["subject_id"] in held["subjects"])
    world, contacts, out = tmp_path / "w.json", tmp_path / "c.jsonl", tmp_path / "o.jsonl"
    world.write_text(json.dumps(raw))
    contacts.write_text(json.dumps({
        "id": "c-1", "driver_id": finding["driver_id"], "channel": "phone",
        "received_at": raw["now"],
        "text": f"where is my bonus for {finding['subject_id']}"}) + "\n")
    state = tmp_path / "s.json"
    result = CliRunner().invoke(app, ["replay", str(world), "--contacts", str(contacts),
                                      "--detect", "--out", str(out), "--state", str(state)])
    assert result.exit_code == 0, result.output
    first, outcome = (json.loads(line) for line in out.read_text().splitlines())
    assert first["detection"]["findings"] == len(expected["findings"])
    assert len(first["detection"]["incidents"]) == len(expected["incidents"])
    held_id = next(i["id"] for i in first["detection"]["incidents"]
                   if i["status"] == "awaiting_approval")
    assert (outcome["outcome"], outcome["incident_id"]) == ("linked", held_id)
    saved = json.loads(state.read_text())
    incident_ids = {i["id"] for i in first["detection"]["incidents"]}
    assert {i["id"] for i in saved["incidents"]} == incident_ids
    assert f"esc-{held_id}" in {e["id"] for e in saved["escalations"]}
