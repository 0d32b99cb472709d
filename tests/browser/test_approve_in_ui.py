"""An agent approves an escalated case in the Prefect UI, in headless Chromium."""

from __future__ import annotations

import contextvars
import json
import threading
from datetime import datetime
from pathlib import Path

from flows.approval import await_agent_decision
from flows.resolve_contact import resolve_contact
from onetouch.inputs import load_world
from onetouch.replay import embedded_platform
from tests.browser.conftest import ARTIFACTS
from tests.browser.ui import approve_in_ui
from tests.paused import paused_run

DATA = Path(__file__).resolve().parent.parent / "data"

def test_agent_approves_in_the_prefect_ui(prefect_server, tmp_path):
    contact = next(json.loads(line) for line in (DATA / "contacts.jsonl").read_text()
                   .splitlines() if json.loads(line)["id"] == "c-21")
    ARTIFACTS.mkdir(exist_ok=True)
    with embedded_platform(load_world(DATA / "world.json"), tmp_path) as platform:
        platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
        assert resolve_contact(contact)["outcome"] == "escalated"
        result: dict = {}

        def wait_for_agent() -> None:
            try:
                result.update(await_agent_decision("esc-c-21", suspend=False, timeout_s=300))
            except BaseException as exc:  # noqa: BLE001
                result["error"] = repr(exc)
                raise

        waiter = threading.Thread(target=contextvars.copy_context().run, args=(wait_for_agent,),
                                  daemon=True)
        waiter.start()
        run = paused_run("approve-esc-c-21", result=result, every=0.5)
        approve_in_ui(prefect_server, run.id, "kim", "pay-review escalation esc-c-21",
                      ARTIFACTS / "approval-form.png")
        waiter.join(timeout=120)
        paid = [(e.amount_cents, e.source, e.idempotency_key)
                for e in platform.earnings.list(driver_id="drv-1022") if e.source != "platform"]
        finals = [n.body for n in platform.notifications.list(reference="case-c-21")
                  if n.idempotency_key.endswith("/final")]
    assert result["status"] == "done"
    assert paid == [(9000, "agent", "drv-1022/inc-13/incentive")]
    assert len(finals) == 1 and "$90.00" in finals[0]
    assert (ARTIFACTS / "approval-form.png").stat().st_size > 10_000
