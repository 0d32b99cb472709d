"""`onetouch escalations`: list, show, approve and reject escalated cases."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from onetouch.render import dollars

app = typer.Typer(help="Escalated cases awaiting an agent.", no_args_is_help=True)
console = Console()
WAIT_HELP = "seconds to wait for the stack's run to carry the decision out"


def _on_a_server() -> bool:
    """True when PREFECT_API_URL (environment or profile) names a server; the settings that
    `onetouch up` keeps on it are then read from it."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return False
    from onetouch.cli_resolver import settings_from_stack
    from onetouch.settings import get_settings

    if settings_from_stack():
        get_settings.cache_clear()
    return True


def _now() -> datetime:
    """The platform's clock, which ages and answer times are counted on."""
    from flows import deps
    from integrations import PlatformError

    try:
        return deps.platform().clock.now()
    except PlatformError as exc:
        _fail(f"the platform's clock cannot be read ({exc}); set PREFECT_API_URL to the "
              "stack's server (`onetouch up` prints it), or ONETOUCH_PLATFORM_URL and its key")
        raise


def _span(minutes: int) -> str:
    minutes = abs(minutes)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _age(created: str, now: datetime) -> str:
    return _span(int((now - datetime.fromisoformat(created)).total_seconds() // 60))


def _due(due_at: str, now: datetime) -> str:
    minutes = int((datetime.fromisoformat(due_at) - now).total_seconds() // 60)
    return f"in {_span(minutes)}" if minutes >= 0 else f"{_span(minutes)} ago"


def sla_state(escalation: dict, now: datetime) -> str:
    """`breached`, `due soon` (under an hour left) or `ok`; decided cases say their status."""
    if escalation["status"] != "pending":
        return escalation["status"]
    left = (datetime.fromisoformat(escalation["due_at"]) - now).total_seconds()
    return "breached" if left < 0 else "due soon" if left < 3600 else "ok"


@app.command("list")
def list_escalations(
    queue: Annotated[str | None, typer.Option(help="only this queue")] = None,  # noqa: UP007
    status: Annotated[str, typer.Option(help="pending, approved, rejected, done, all")] = "pending",
) -> None:
    """Every escalation of a queue with its age and SLA."""
    from flows import deps

    _on_a_server()
    now = _now()
    rows = deps.case_store().escalations(queue=queue, status=None if status == "all" else status)
    table = Table(title=f"Escalations ({status})")
    for column in ("id", "queue", "driver", "age", "due", "SLA", "recommended"):
        table.add_column(column)
    for e in rows:
        total = sum(a.get("amount_cents") or 0 for a in e["recommended_actions"])
        sla = sla_state(e, now)
        table.add_row(e["id"], e["queue"], e["driver_id"] or "(incident)",
                      _age(e["created_at"], now),
                      _due(e["due_at"], now), f"[red]{sla}[/]" if sla == "breached" else sla,
                      dollars(total) if total else "-")
    console.print(table)


@app.command()
def show(escalation_id: str) -> None:
    """One escalation: facts, recommended actions, why, and its audit trail."""
    from flows import deps

    _on_a_server()
    store = deps.case_store()
    escalation = store.escalation(escalation_id)
    if escalation is None:
        _fail(f"no escalation {escalation_id}")
    escalation["sla"] = sla_state(escalation, _now())
    escalation["audit"] = store.audit_trail(escalation["case_id"])
    console.print_json(json.dumps(escalation, default=str))


def _decide(escalation_id: str, wait: float, **fields) -> None:
    from policy.approval import AgentDecision

    agent = fields["agent"].strip()
    if not agent:
        _fail("--agent needs your name: it is recorded with the decision and in the audit log")
    try:
        decision = AgentDecision(**fields | {"agent": agent})
    except ValidationError as exc:
        _fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    if _on_a_server() and _through_the_run(escalation_id, decision, wait):
        return
    _decide_here(escalation_id, decision)


def _through_the_run(escalation_id: str, decision, wait: float) -> bool:
    """Send the decision to the escalation's approval run; False if it has none."""
    from onetouch.agent_runs import DecisionNotSent, send_decision

    try:
        state = send_decision(escalation_id, decision, wait)
    except DecisionNotSent as exc:
        _fail(f"{escalation_id}: the form refused the decision: {exc}")
    if state is None:
        return False
    if state.is_paused():
        console.print(f"{escalation_id}: the policy refused the decision; its form asks again "
                      f"and says why (the run's page in the UI)")
        raise typer.Exit(code=1)
    if not state.is_final():
        console.print(f"{escalation_id}: sent; its run is {state.name} after {wait:.0f} s "
                      f"(a worker carries it out once it picks the run up)")
        return True
    console.print(f"{escalation_id}: {state.name}: {state.message}")
    if state.name != "Completed":
        raise typer.Exit(code=1)
    return True


def _decide_here(escalation_id: str, decision) -> None:
    """Record and carry out the decision in this process (no approval run on a server)."""
    from flows.escalations import EscalationNotFound, execute_escalation, record_decision
    from policy.approval import ApprovalRefused

    try:
        recorded = record_decision(escalation_id, decision)
    except (ApprovalRefused, EscalationNotFound) as exc:
        _fail(f"{escalation_id}: {exc}")
    if not recorded:
        console.print(f"{escalation_id} was already decided; making sure it was carried out")
    result = execute_escalation(escalation_id)
    console.print(f"{escalation_id}: {result['status']}, actions {result['actions']}")


@app.command()
def approve(
    escalation_id: str,
    agent: Annotated[str, typer.Option(help="your name, recorded with the decision")],
    amount: Annotated[int | None, typer.Option(help="changed amount in cents")] = None,  # noqa: UP007
    reason: Annotated[str | None, typer.Option(help="why")] = None,  # noqa: UP007
    wait: Annotated[float, typer.Option(help=WAIT_HELP)] = 120,
) -> None:
    """Approve the recommended actions (or one changed amount, with a reason) and carry them out."""
    _decide(escalation_id, wait, verdict="approve", agent=agent, amount_cents=amount,
            reason=reason)


@app.command()
def reject(
    escalation_id: str,
    agent: Annotated[str, typer.Option(help="your name, recorded with the decision")],
    reason: Annotated[str, typer.Option(help="why")],
    wait: Annotated[float, typer.Option(help=WAIT_HELP)] = 120,
) -> None:
    """Reject the case with a reason; the driver is told."""
    _decide(escalation_id, wait, verdict="reject", agent=agent, reason=reason)


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code=2)
