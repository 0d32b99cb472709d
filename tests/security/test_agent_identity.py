"""Every agent decision records who made it: the CLI's --agent and the UI form's agent are
required, a blank name is refused before anything is recorded, and the name (trimmed) is on
the escalation and on every audit entry of the decision and of what was carried out."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.flow_runs import resume_flow_run
from typer.testing import CliRunner

from flows import deps
from flows.approval import await_agent_decision
from flows.resolve_contact import resolve_contact
from onetouch.cli import app
from tests.paused import paused_run
from tests.security.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}
DECISIONS = ("approved", "rejected")


@pytest.fixture
def escalated(platform) -> str:
    contact = CONTACTS["c-21"]  # pay-review: an incentive of $90.00 to approve
    platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    assert resolve_contact(contact)["outcome"] == "escalated"
    return "esc-c-21"


def _trail(escalation_id: str) -> list[tuple[str, str]]:
    store = deps.case_store()
    case_id = store.escalation(escalation_id)["case_id"]
    return [(row["actor"], row["action"]) for row in store.audit_trail(case_id)]


def _decided_rows(escalation_id: str) -> list[tuple[str, str]]:
    return [(actor, action) for actor, action in _trail(escalation_id)
            if action in DECISIONS or action.startswith("executed_")]


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_the_cli_refuses_a_blank_agent_and_records_nothing(escalated, blank):
    before = _trail(escalated)
    result = CliRunner().invoke(app, ["escalations", "approve", escalated, "--agent", blank])
    assert result.exit_code == 2 and "--agent needs your name" in result.output
    assert deps.case_store().escalation(escalated)["status"] == "pending"
    assert _trail(escalated) == before


def test_the_cli_records_the_agent_on_the_decision_and_every_effect(escalated):
    result = CliRunner().invoke(app, ["escalations", "approve", escalated, "--agent", " kim "])
    assert result.exit_code == 0, result.output
    escalation = deps.case_store().escalation(escalated)
    assert escalation["decided_by"] == "kim" and escalation["decision"]["agent"] == "kim"
    assert _decided_rows(escalated) == [("kim", "approved"), ("kim", "executed_pay_adjustment")]


def test_a_cli_rejection_records_the_agent(escalated):
    result = CliRunner().invoke(app, ["escalations", "reject", escalated, "--agent", "ravi",
                                      "--reason", "trips outside the zone"])
    assert result.exit_code == 0, result.output
    assert deps.case_store().escalation(escalated)["decided_by"] == "ravi"
    assert _decided_rows(escalated) == [("ravi", "rejected")]




def test_the_form_refuses_a_blank_agent_then_records_the_one_given(escalated):
    result: dict[str, Any] = {}

    def wait() -> None:
        try:
            result.update(await_agent_decision(escalated, suspend=False, timeout_s=120))
        except BaseException as exc:  # noqa: BLE001 - reported by _paused or the asserts
            result["error"] = repr(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    run = paused_run(f"approve-{escalated}", result=result)
    with get_client(sync_client=True) as client:
        inputs = {i.key: i.value for i in client.filter_flow_run_input(
            run.id, key_prefix="", limit=10, exclude_keys=set())}
    schema = json.loads(next(v for k, v in inputs.items() if k.endswith("-schema")))
    assert schema["properties"]["agent"] | {"default": ""} == {
        "default": "", "maxLength": 120, "minLength": 1, "pattern": r"\S", "title": "Agent",
        "type": "string"}
    for blank in ("", "   "):
        with pytest.raises(RuntimeError, match="Cannot resume"):
            resume_flow_run(run.id, run_input={"verdict": "approve", "agent": blank})
    resume_flow_run(run.id, run_input={"verdict": "approve", "agent": " lee "})
    waiter.join()
    assert result.get("status") == "done", result
    assert deps.case_store().escalation(escalated)["decided_by"] == "lee"
    assert _decided_rows(escalated) == [("lee", "approved"), ("lee", "executed_pay_adjustment")]
