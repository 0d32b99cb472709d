"""The server-side automations that mark Crashed a flow run whose process died unseen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onetouch.stack import Layout
from onetouch.stack_restart import (
    SILENT_BEATS,
    ZOMBIE_PENDING,
    ZOMBIE_RUNNING,
    zombie_automations,
)
from onetouch.stack_workers import HEARTBEAT_SETTING, LIVENESS


@pytest.mark.parametrize(("name", "after", "expect", "within_s"), [
    (ZOMBIE_RUNNING, {"prefect.flow-run.Running", "prefect.flow-run.heartbeat"},
     "prefect.flow-run.heartbeat", 90),
    (ZOMBIE_PENDING, {"prefect.flow-run.Pending"}, "prefect.flow-run.Running", 60),
])
def test_a_run_silent_too_long_is_crashed(name, after, expect, within_s):
    automation = next(a for a in zombie_automations() if a.name == name)
    trigger = automation.trigger
    assert trigger.after == after and expect in trigger.expect
    assert {"prefect.flow-run.Completed", "prefect.flow-run.Crashed"} <= trigger.expect
    assert trigger.within == timedelta(seconds=within_s)
    assert trigger.match_related.get("prefect.resource.name") == ["!await-agent-decision"]
    assert [a.type for a in automation.actions] == ["change-flow-run-state"]
    assert automation.actions[0].state.value == "CRASHED"


def test_the_stack_runs_flows_with_the_heartbeats_the_automations_are_written_for():
    assert Layout().tuning[HEARTBEAT_SETTING] == LIVENESS[HEARTBEAT_SETTING] == "30"
    running = next(a for a in zombie_automations() if a.name == ZOMBIE_RUNNING)
    assert running.trigger.within == timedelta(seconds=SILENT_BEATS * 30)
