"""`onetouch demo`: the bundled world's contacts resolved through Prefect, shown as a table."""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from onetouch.inputs import load_world, read_contacts
from onetouch.render import dollars
from onetouch.replay import embedded_platform, resolve_lines

OUTCOME_STYLE = {"resolved": "green", "escalated": "yellow", "linked": "cyan", "rejected": "red"}


def paid_cents(outcome: dict[str, Any]) -> int:
    """Money this contact's resolution paid."""
    return sum(a.get("amount_cents") or 0 for a in outcome.get("actions", [])
               if a.get("type") == "pay_adjustment")


def outcome_table(outcomes: list[dict[str, Any]]) -> Table:
    """One row a contact: driver, intent, outcome, what was done and paid."""
    table = Table(title="Contacts resolved", show_lines=False)
    for column in ("contact", "driver", "intent", "outcome", "actions", "paid"):
        table.add_column(column, justify="right" if column == "paid" else "left")
    for o in outcomes:
        style = OUTCOME_STYLE.get(o["outcome"], "")
        acts = ", ".join(_describe(a) for a in o.get("actions", [])) or (
            f"queue {o['queue']}" if o.get("queue") else "answered")
        table.add_row(o.get("contact_id") or "?", o.get("driver_id") or "?",
                      o.get("intent") or "-", f"[{style}]{o['outcome']}[/]", acts,
                      dollars(paid_cents(o)))
    return table


def _describe(action: dict[str, Any]) -> str:
    if action["type"] == "pay_adjustment":
        return f"{action['kind']} {action['subject_id']}"
    return f"{action['type'].replace('_', ' ')} {action['subject_id']}"


def summary(outcomes: list[dict[str, Any]], seconds: float) -> str:
    """One paragraph: counts by outcome, money paid, time taken."""
    counts = Counter(o["outcome"] for o in outcomes)
    parts = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    total = sum(paid_cents(o) for o in outcomes)
    return (f"{len(outcomes)} contacts: {parts}. Paid {dollars(total)} to drivers "
            f"in {seconds:.1f} s.")


def run_demo(world_path: Path, contacts_path: Path) -> list[dict[str, Any]]:
    """Resolve every contact of the bundled world and print what happened."""
    console = Console()
    world, lines = load_world(world_path), read_contacts(contacts_path)
    console.print(f"Starting the sandbox platform with {len(world.drivers)} drivers and "
                  f"{len(world.offers)} offers; resolving {len(lines)} contacts through Prefect…")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="onetouch-demo-") as tmp, \
            embedded_platform(world, Path(tmp)) as platform, Progress(console=console) as bar:
        task = bar.add_task("resolving", total=len(lines))
        outcomes = resolve_lines(platform, lines, lambda _: bar.advance(task))
    console.print(outcome_table(outcomes))
    console.print(summary(outcomes, time.perf_counter() - started))
    home = os.environ.get("PREFECT_HOME", ".prefect")
    console.print(f"\nSee the flow runs in the Prefect UI:\n  PREFECT_HOME={home} "
                  ".venv/bin/prefect server start\n  then open http://127.0.0.1:4200/runs")
    return outcomes
