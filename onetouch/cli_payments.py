"""`onetouch payments`: pause and resume automatic payments, and see the hour against its caps."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onetouch.render import dollars

app = typer.Typer(help="Automatic payments: the kill switch and the hourly caps.",
                  no_args_is_help=True)
console = Console()


@app.command()
def pause(
    reason: Annotated[str, typer.Option(help="why payments are paused")],
    operator: Annotated[str, typer.Option(help="your name")],
) -> None:
    """Pause every automatic remediation: cases that would pay go to pay-review instead."""
    from flows.payments_safety import switch_payments

    switch_payments(True, operator, reason)
    console.print(f"automatic payments [red]paused[/] by {operator}: {reason}\n"
                  "contacts that would pay are escalated to pay-review; detection fixes nothing")


@app.command()
def resume(
    operator: Annotated[str, typer.Option(help="your name")],
    reason: Annotated[str | None, typer.Option(help="why")] = None,  # noqa: UP007
) -> None:
    """Resume automatic payments (cases held meanwhile stay with pay-review)."""
    from flows.payments_safety import switch_payments

    switch_payments(False, operator, reason)
    console.print(f"automatic payments [green]resumed[/] by {operator}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Paused or not, the caps, and this hour's automatic pay overall and by detector."""
    from flows import deps
    from flows.payments_safety import payments_status

    state = payments_status(deps.platform_now())
    if as_json:
        typer.echo(json.dumps(state, indent=1, sort_keys=True))
        return
    switch = state["switch"]
    if switch["paused"]:
        console.print(f"automatic payments: [red]PAUSED[/] by {switch['operator'] or '?'} "
                      f"at {switch['at'] or '?'}: {switch['reason'] or 'no reason given'}")
    else:
        console.print("automatic payments: [green]on[/]")
    if state["dry_run"]:
        console.print("dry run: decisions are recorded, nothing is paid or sent")
    window = state["window"]
    table = Table(title=f"Automatic pay {window['start']} – {window['end']}")
    for column in ("scope", "paid", "cap", "tripped"):
        table.add_column(column)
    tripped = set(state["tripped"])
    table.add_row("overall", dollars(state["automatic_cents"]), dollars(state["cap_cents"]),
                  "yes" if "overall" in tripped else "")
    for detector, row in state["detectors"].items():
        table.add_row(detector, dollars(row["automatic_cents"]), dollars(row["cap_cents"]),
                      "yes" if f"detector:{detector}" in tripped else "")
    console.print(table)
    console.print(f"other detectors: {dollars(state['default_detector_cap_cents'])} an hour each")
