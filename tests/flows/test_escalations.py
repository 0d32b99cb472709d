"""Escalations approved from the command line: exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows import deps
from flows.escalations import execute_escalation, record_decision
from flows.resolve_contact import resolve_contact
from onetouch.cli import app
from onetouch.settings import get_settings
from policy.approval import AgentDecision
from tests.flows.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _reset_postgres() -> None:
    engine = sa.create_engine(POSTGRES)
    tables = sa.MetaData()
    tables.reflect(engine)
    tables.drop_all(engine)
    engine.dispose()
    deps._store_for.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def escalated(request, platform, monkeypatch):
    """The examples' pay-review case (c-21, $90.00 incentive) escalated and pending."""
    if request.param == "postgresql":
        _reset_postgres()
        monkeypatch.setenv("ONETOUCH_CASE_STORE_URL", POSTGRES)
        get_settings.cache_clear()
    contact = CONTACTS["c-21"]
    platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    outcome = resolve_contact(contact)
    assert outcome["outcome"] == "escalated"
    yield "esc-c-21"
    get_settings.cache_clear()


def _agent_pay(platform, driver_id="drv-1022"):
    return [(e.kind, e.amount_cents, e.source, e.idempotency_key)
            for e in platform.earnings.list(driver_id=driver_id) if e.source != "platform"]


def _finals(platform):
    return [n for n in platform.notifications.list(reference="case-c-21")
            if n.idempotency_key.endswith("/final")]


def test_cli_approval_pays_once_and_tells_the_driver(platform, escalated):
    runner = CliRunner()
    first = runner.invoke(app, ["escalations", "approve", escalated, "--agent", "kim"])
    second = runner.invoke(app, ["escalations", "approve", escalated, "--agent", "lee"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0 and "already decided" in second.output
    assert _agent_pay(platform) == [("incentive", 9000, "agent", "drv-1022/inc-13/incentive")]
    [final] = _finals(platform)
    assert "$90.00" in final.body and "the challenge “Complete 3 deliveries” (inc-13)" in final.body
    store = deps.case_store()
    assert store.escalation(escalated)["status"] == "done"
    actions = [(a["actor"], a["action"], a["amount_cents"]) for a in store.audit_trail("case-c-21")]
    assert ("kim", "approved", None) in actions
    assert ("lee", "decision_refused", None) in actions
    assert ("kim", "executed_pay_adjustment", 9000) in actions


def test_escalations_about_one_subject_join_the_first_and_close_with_it(platform, escalated):
    """Three pay-review cases about one challenge: the later two join the first, which alone
    is decided; approving it pays once and closes all three, each driver's case answered once.
    A case about it after that is answered as already paid."""
    runner, store = CliRunner(), deps.case_store()
    for later in ("c-21b", "c-21c"):
        contact = CONTACTS["c-21"] | {"id": later, "received_at": "2026-11-20T19:30:00Z"}
        assert resolve_contact(contact)["outcome"] == "escalated"
        assert store.escalation(f"esc-{later}")["joined_to"] == escalated
    refused = runner.invoke(app, ["escalations", "approve", "esc-c-21b", "--agent", "kim"])
    assert refused.exit_code == 2 and f"joined {escalated}" in refused.output
    done = runner.invoke(app, ["escalations", "approve", escalated, "--agent", "kim"])
    assert done.exit_code == 0, done.output
    after = CONTACTS["c-21"] | {"id": "c-21d", "received_at": "2026-11-20T20:00:00Z"}
    assert resolve_contact(after)["outcome"] == "resolved"
    cases = ("c-21", "c-21b", "c-21c")
    assert [store.escalation(f"esc-{c}")["status"] for c in cases] == ["done"] * 3
    assert [store.escalation(f"esc-{c}")["decided_by"] for c in cases] == ["kim"] * 3
    assert _agent_pay(platform) == [("incentive", 9000, "agent", "drv-1022/inc-13/incentive")]
    for case in cases:
        [final] = [n for n in platform.notifications.list(reference=f"case-{case}")
                   if n.idempotency_key.endswith("/final")]
        assert "$90.00" in final.body, case


def test_a_case_about_a_rejected_subject_joins_it_and_is_closed_at_once(platform, escalated):
    rejected = CliRunner().invoke(app, ["escalations", "reject", escalated, "--agent", "kim",
                                        "--reason", "trips were in another zone"])
    assert rejected.exit_code == 0, rejected.output
    again = CONTACTS["c-21"] | {"id": "c-21e", "received_at": "2026-11-20T20:00:00Z"}
    assert resolve_contact(again)["outcome"] == "escalated"
    joined = deps.case_store().escalation("esc-c-21e")
    assert (joined["joined_to"], joined["status"], joined["decided_by"]) == (
        escalated, "done", "kim")
    [final] = [n for n in platform.notifications.list(reference="case-c-21e")
               if n.idempotency_key.endswith("/final")]
    assert "could not make a change" in final.body
    assert _agent_pay(platform) == []


def test_changed_amount_needs_a_reason_and_pays_that_amount(platform, escalated):
    runner = CliRunner()
    refused = runner.invoke(app, ["escalations", "approve", escalated, "--agent", "kim",
                                  "--amount", "5000"])
    assert refused.exit_code == 2 and "needs a reason" in refused.output
    ok = runner.invoke(app, ["escalations", "approve", escalated, "--agent", "kim",
                             "--amount", "5000", "--reason", "half the trips were outside"])
    assert ok.exit_code == 0, ok.output
    assert _agent_pay(platform) == [("incentive", 5000, "agent", "drv-1022/inc-13/incentive")]


def test_rejection_pays_nothing_and_explains(platform, escalated):
    result = CliRunner().invoke(app, ["escalations", "reject", escalated, "--agent", "kim",
                                      "--reason", "trips were in another zone"])
    assert result.exit_code == 0, result.output
    assert _agent_pay(platform) == []
    [final] = _finals(platform)
    assert "could not make a change" in final.body
    assert "another zone" not in final.body


def test_concurrent_decisions_record_one_and_pay_once(platform, escalated):
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def decide(agent: str) -> None:
        barrier.wait()
        results.append(record_decision(escalated, AgentDecision(verdict="approve", agent=agent)))

    threads = [threading.Thread(target=decide, args=(f"agent-{i}",), daemon=True) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]
    execute_escalation(escalated)
    execute_escalation(escalated)
    assert len(_agent_pay(platform)) == 1 and len(_finals(platform)) == 1


def test_a_crash_between_payment_and_reply_is_finished_by_a_rerun(platform, escalated,
                                                                   monkeypatch):
    record_decision(escalated, AgentDecision(verdict="approve", agent="kim"))
    monkeypatch.setenv("ONETOUCH_RETRY_ATTEMPTS", "1")
    get_settings.cache_clear()
    platform.admin.set_faults({"routes": {"POST /notifications": {"error_rate": 1.0}}})
    with pytest.raises(Exception, match="notifications"):
        execute_escalation(escalated)
    platform.admin.clear_faults()
    assert deps.case_store().escalation(escalated)["status"] == "approved"
    assert len(_agent_pay(platform)) == 1
    execute_escalation(escalated)
    assert len(_agent_pay(platform)) == 1 and len(_finals(platform)) == 1
    assert deps.case_store().escalation(escalated)["status"] == "done"


def test_list_shows_age_and_flags_a_breached_sla(platform, escalated):
    runner = CliRunner()
    fresh = runner.invoke(app, ["escalations", "list", "--queue", "pay-review"])
    assert escalated in fresh.output and "breached" not in fresh.output
    platform.admin.set_clock(datetime.fromisoformat("2026-11-21T19:00:00+00:00")
                             + timedelta(hours=1))
    late = runner.invoke(app, ["escalations", "list"])
    assert escalated in late.output and "breached" in late.output
    shown = runner.invoke(app, ["escalations", "show", escalated])
    assert '"sla": "breached"' in shown.output


def test_escalations_kept_by_a_replay_are_approved_from_the_cli(tmp_path, monkeypatch,
                                                               examples_replay):
    from sandbox.server import SandboxServer

    shutil.copytree(examples_replay[0] / "run", tmp_path / "run")
    with SandboxServer(db_path=tmp_path / "run" / "sandbox.db") as sandbox:
        monkeypatch.setenv("ONETOUCH_PLATFORM_URL", sandbox.url)
        monkeypatch.setenv("ONETOUCH_CASE_STORE_URL", f"sqlite:///{tmp_path / 'run' / 'cases.db'}")
        get_settings.cache_clear()
        runner = CliRunner()
        listed = runner.invoke(app, ["escalations", "list"])
        assert all(f"esc-c-{n}" in listed.output for n in (17, 18, 19, 20, 21))
        approved = runner.invoke(app, ["escalations", "approve", "esc-c-21", "--agent", "kim"])
        assert approved.exit_code == 0, approved.output
        paid = [e for e in deps.platform().earnings.list(driver_id="drv-1022")
                if e.source == "agent"]
    get_settings.cache_clear()
    assert [(e.amount_cents, e.idempotency_key) for e in paid] == [
        (9000, "drv-1022/inc-13/incentive")]
