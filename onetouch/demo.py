"""`onetouch demo`: a simulated day run like production — detection on a schedule (every 5
minutes of the day's clock), each contact as it arrives, through the Prefect flows — then its
scorecard, HTML report and Prefect artifacts."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine

from onetouch.inputs import load_world, read_contacts
from onetouch.prefect_server import running_server
from onetouch.render import dollars
from onetouch.replay import run_replay
from onetouch.scorecard import Scorecard, build
from onetouch.scorecard.render import rich_table, write_html
from onetouch.settings import PROJECT_ROOT
from simulate import PRESETS, Size, write

SIZES = {"tiny": Size(drivers=15, stores=5, offers=200), **PRESETS}
DEFAULT_OUT = PROJECT_ROOT / ".onetouch" / "demo"
BUNDLED = Path(__file__).parent / "data"
OUTCOME_STYLE = {"resolved": "green", "escalated": "yellow", "linked": "cyan", "rejected": "red"}
UI_PORT = 4200
DETECT_EVERY_S = 300  # production's detect-defects schedule (prefect.yaml)


class DemoOptionError(ValueError):
    """The demo's options do not fit together."""


@dataclass
class DemoRun:
    """What a demo left behind: its folder, outcomes, scorecard and HTML report."""

    folder: Path
    outcomes: list[dict[str, Any]]
    card: Scorecard
    html: Path


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
    return (f"{len(outcomes)} contacts: {parts}; contacts paid {dollars(total)}. "
            f"Detection and contacts took {seconds:.1f} s.")


def simulate_day(out: Path, size: str, seed: int, detect_every: int = 0
                 ) -> tuple[Path, Path, Path]:
    """A simulated day written into the folder: world, contacts, and the truth for detection
    on that schedule (0: once at now)."""
    write(seed, SIZES[size], out, detect_every or None)
    return out / "world.json", out / "contacts.jsonl", out / "truth.json"


def detection_runs(world: Path, contacts: Path, every: int) -> int:
    """How many times detection runs: at now, then every interval up to the last contact."""
    if not every:
        return 1
    times = [ln.received_at for ln in read_contacts(contacts) if ln.received_at is not None]
    now = load_world(world).now
    return 1 + (max(0, int((max(times) - now).total_seconds()) // every) if times else 0)


def replay_with_progress(console: Console, world: Path, contacts: Path, out: Path,
                         detect_every: int = 0) -> list[dict[str, Any]]:
    """Detection at the world's now (and every `detect_every` seconds after), every contact in
    arrival order, with a progress bar counting both."""
    runs = detection_runs(world, contacts, detect_every)
    total = len(read_contacts(contacts)) + (runs if detect_every else 0)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"detection ({runs} runs) and contacts as they arrive", total=total)
        seen = Counter[str]()

        def advance(line: dict[str, Any]) -> None:
            seen["detection runs" if "detection" in line else "contacts"] += 1
            bar.update(task, advance=1, description=", ".join(
                f"{n} {name}" for name, n in sorted(seen.items())))

        outcomes = run_replay(world, contacts, out / "outcomes.jsonl", out / "state.json",
                              progress=advance, keep=out / "run", detect=True,
                              detect_every_s=detect_every or None)
    return outcomes[1:]  # the first line is detection's summary


def scorecard_of(out: Path, truth: Path | None) -> Scorecard:
    """The run's scorecard from its case store, final state and (if any) ground truth."""
    engine = create_engine(f"sqlite:///{out / 'run' / 'cases.db'}")
    try:
        state = json.loads((out / "state.json").read_text())
        known = json.loads(truth.read_text()) if truth is not None else None
        return build(engine, state=state, truth=known)
    finally:
        engine.dispose()


def run_demo(out: Path = DEFAULT_OUT, size: str = "small", seed: int = 1,
             world: Path | None = None, contacts: Path | None = None,
             publish: bool = True, detect_every: int = DETECT_EVERY_S) -> DemoRun:
    """Simulate a day (or take the given world and contacts), run it with detection every
    `detect_every` seconds (0: once at now), report on it."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    truth = None
    if world is None or contacts is None:
        world, contacts, truth = simulate_day(out, size, seed, detect_every)
        console.print(f"Simulated a [bold]{size}[/] day (seed {seed}) into {out}.")
    started = time.perf_counter()
    outcomes = replay_with_progress(console, world, contacts, out, detect_every)
    if truth is None:
        console.print(outcome_table(outcomes))
    console.print(summary(outcomes, time.perf_counter() - started))
    card = scorecard_of(out, truth)
    console.print(rich_table(card))
    if card.accuracy is not None and card.accuracy.mismatched:
        console.print(f"[red]cases unlike the truth:[/] {', '.join(card.accuracy.mismatched)}")
    html = write_html(card, out / "scorecard.html")
    console.print(f"HTML report: {html}")
    if publish:
        from flows.reports import publish_scorecard

        publish_scorecard(card)
    return DemoRun(folder=out, outcomes=outcomes, card=card, html=html)


def ui_hint(console: Console) -> None:
    """How to open the Prefect UI on the runs the demo kept."""
    home = os.environ.get("PREFECT_HOME", ".prefect")
    console.print(f"\nExplore the runs and the scorecard artifacts in the Prefect UI:\n"
                  f"  PREFECT_HOME={home} .venv/bin/prefect server start\n"
                  f"  then open http://127.0.0.1:{UI_PORT}/runs and "
                  f"http://127.0.0.1:{UI_PORT}/artifacts\n"
                  f"(or run `onetouch demo --ui` to have the demo start it and keep it up)")


def prefect_ui(log: Path, port: int = UI_PORT) -> AbstractContextManager[str]:
    """The Prefect server on PREFECT_HOME with its UI, the process's API pointed at it."""
    return running_server(log, port)


def run_demo_with_ui(out: Path, **options: Any) -> DemoRun:
    """The demo against a Prefect server with its UI, kept up until Ctrl-C."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    console.print("Starting the Prefect server and its UI…")
    with prefect_ui(out / "prefect-server.log") as url:
        console.print(f"Prefect UI: {url}/runs (the runs appear as they happen)")
        run = run_demo(out, **options)
        console.print(f"\nThe Prefect UI is up: {url}/runs and {url}/artifacts. "
                      f"Ctrl-C to stop it.")
        wait_for_interrupt()
        console.print("Stopping the Prefect server.")
    return run


def wait_for_interrupt() -> None:
    """Sleep until Ctrl-C (SIGINT) or SIGTERM."""
    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return


def main(size: str = "small", seed: int = 1, out: Path | None = None, world: Path | None = None,
         contacts: Path | None = None, bundled: bool = False, ui: bool = False,
         detect_every: int = DETECT_EVERY_S) -> DemoRun:
    """The `demo` command: check the options, run, and say how to explore the runs."""
    if size not in SIZES:
        raise DemoOptionError(f"--size must be one of {', '.join(SIZES)}, not {size!r}")
    if detect_every < 0:
        raise DemoOptionError(f"--detect-every must be 0 or more seconds, not {detect_every}")
    if bundled:
        world, contacts = BUNDLED / "world.json", BUNDLED / "contacts.jsonl"
    if (world is None) != (contacts is None):
        raise DemoOptionError("--world and --contacts go together")
    options: dict[str, Any] = {"size": size, "seed": seed, "world": world, "contacts": contacts,
                               "detect_every": detect_every}
    if ui:
        return run_demo_with_ui(out or DEFAULT_OUT, **options)
    run = run_demo(out or DEFAULT_OUT, **options)
    ui_hint(Console())
    return run
