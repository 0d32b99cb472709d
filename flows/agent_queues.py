"""Telling agents about escalations: new cases, and answer times breached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from flows import deps
from flows.approval_form import open_approval_wait
from integrations.queues import announce, queue_urls
from onetouch.render import render
from onetouch.settings import get_settings


@task(cache_policy=NONE)
def announce_escalation(escalation_id: str, template: str = "agents/escalation.md.j2") -> bool:
    """Post an escalation to its queue's channels."""
    escalation = deps.case_store().escalation(escalation_id)
    if escalation is None:
        return False
    urls = queue_urls(deps.queue_notify_urls(), escalation["queue"])
    body = render(template, {"escalation": escalation})
    title = f"[{escalation['queue']}] {escalation['id']}"
    sent = announce(urls, title, body)
    if not sent:
        get_run_logger().warning("could not announce %s to its queue", escalation_id)
    return sent


@task(cache_policy=NONE)
def start_approval_wait(escalation_id: str) -> str | None:
    """Open the escalation's approval form in the Prefect UI, when a deployment is configured:
    its await-agent-decision run, suspended from the start (no process waits); kept on the
    escalation, so a second call (a re-run, the sweep) finds it open instead of opening one."""
    name = get_settings().approval_deployment
    store = deps.case_store()
    escalation = store.escalation(escalation_id)
    if not name or escalation is None or escalation.get("joined_to"):
        return None
    if escalation.get("approval_run_id"):
        return escalation["approval_run_id"]
    run_id = open_approval_wait(name, escalation)
    store.note_approval_run(escalation_id, run_id)
    return run_id


def open_missing_forms(created_before: datetime) -> list[str]:
    """Open the approval form of each pending escalation left without one (its contact's run
    recorded it, then could not reach the server); the escalations now open."""
    if not get_settings().approval_deployment:
        return []
    opened = []
    for escalation_id in deps.case_store().pending_without_form(created_before):
        try:
            start_approval_wait.fn(escalation_id)
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again
            get_run_logger().warning("approval form of %s not opened (%s); next sweep retries",
                                     escalation_id, type(exc).__name__)
            continue
        opened.append(escalation_id)
    return opened


@flow(name="check-escalation-slas", persist_result=False)
def check_escalation_slas() -> list[dict[str, Any]]:
    """Mark pending escalations past their answer time, announce each once, and report them."""
    breached = deps.case_store().mark_breaches(deps.platform_now())
    for escalation in breached:
        announce_escalation(escalation["id"], "agents/sla_breach.md.j2")
    rows = "\n".join(f"| {e['id']} | {e['queue']} | {e['due_at']} |" for e in breached)
    create_markdown_artifact(
        key="escalation-sla-breaches",
        markdown=f"# SLA breaches\n\n{len(breached)} new.\n\n| escalation | queue | due |\n"
                 f"|---|---|---|\n{rows}\n",
        description="Escalations whose answer time passed while still pending")
    return breached
