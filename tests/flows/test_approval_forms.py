"""Every pending escalation gets its approval form: an escalation whose form could not be
opened (the server answered 503) is opened by the contact's re-run or by the sweep, once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

import flows.agent_queues as agent_queues
from flows import deps
from flows.agent_queues import open_missing_forms
from flows.resolve_contact import resolve_contact
from onetouch.models import utc_now
from onetouch.settings import get_settings
from tests.flows.conftest import DATA

CONTACT = next(json.loads(line) for line in (DATA / "contacts.jsonl").read_text().splitlines()
               if json.loads(line)["id"] == "c-21")


class Unreachable(Exception):
    """What the Prefect server's 503 looks like to the caller."""


@pytest.fixture
def forms(monkeypatch, platform):
    """The server's side of opening a form: fails while `down`, else a run id per call."""
    opened: list[str] = []
    state = {"down": True}

    def open_wait(deployment: str, escalation: dict) -> str:
        if state["down"]:
            raise Unreachable("503 Service Unavailable")
        opened.append(escalation["id"])
        return f"run-{len(opened)}"

    monkeypatch.setattr(agent_queues, "open_approval_wait", open_wait)
    monkeypatch.setenv("ONETOUCH_APPROVAL_DEPLOYMENT", "await-agent-decision/await-agent-decision")
    get_settings.cache_clear()
    platform.admin.set_clock(datetime.fromisoformat(CONTACT["received_at"]))
    with pytest.raises(Unreachable):
        resolve_contact(CONTACT)
    state["down"] = False
    yield opened
    get_settings.cache_clear()


def test_the_escalation_is_recorded_though_its_form_could_not_be_opened(forms):
    escalation = deps.case_store().escalation("esc-c-21")
    assert escalation["status"] == "pending" and escalation["approval_run_id"] is None
    assert deps.case_store().pending_without_form(utc_now() + timedelta(hours=1)) == ["esc-c-21"]


def test_a_rerun_opens_the_missing_form_once(forms):
    for _ in range(3):
        assert resolve_contact(CONTACT)["outcome"] == "escalated"
    assert forms == ["esc-c-21"]
    assert deps.case_store().escalation("esc-c-21")["approval_run_id"] == "run-1"


def test_the_sweep_opens_the_missing_form_once(forms):
    later = utc_now() + timedelta(hours=1)
    assert open_missing_forms(later) == ["esc-c-21"]
    assert open_missing_forms(later) == []
    assert forms == ["esc-c-21"]
    assert deps.case_store().pending_without_form(later) == []


def test_the_sweep_leaves_a_new_escalation_to_its_own_run(forms):
    created = datetime.fromisoformat(deps.case_store().escalation("esc-c-21")["created_at"])
    assert open_missing_forms(created) == []
    assert forms == []


def test_the_form_shows_the_case_as_an_agent_reads_it(platform):
    from flows.approval_form import form_context
    from onetouch.render import render

    written = CONTACT | {"text": "Priya Brown here, bonus for the 3 trip challenge? Call me at "
                                 "(615) 979-7004 or priya.1022@example.com"}
    platform.admin.set_clock(datetime.fromisoformat(CONTACT["received_at"]))
    assert resolve_contact(written)["outcome"] == "escalated"
    form = render("agents/approval_form.md.j2",
                  form_context(deps.case_store().escalation("esc-c-21")))
    assert "**driver** Priya (drv-1022) · **answer due** Nov 21 at 12:41 PM CST" in form
    assert ("> Priya [name] here, bonus for the 3 trip challenge? Call me at [contact details] "
            "or [contact details]") in form
    assert "**Read as:** incentive not credited" in form
    assert "would pay $90.00, above the case cap of $75.00" in form
    assert "| challenge “Complete 3 deliveries” (inc-13) | $90.00 |" in form
    assert not {"Brown", "979-7004", "example.com", "cents, above"} & set(form.split())
