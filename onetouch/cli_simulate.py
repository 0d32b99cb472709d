"""`onetouch simulate`: a realistic platform day — world, contacts, ground truth — from a seed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

MAX_OFFERS = 1_000_000


def simulate(
    out: Annotated[Path, typer.Option("--out", help="folder to write world.json, "
                                                    "contacts.jsonl and truth.json into")],
    seed: Annotated[int, typer.Option(help="the seed: the same seed and size, the same files")
                    ] = 1,
    size: Annotated[str, typer.Option(help="small | city | large")] = "city",
    drivers: Annotated[int | None, typer.Option(help="drivers (overrides the size's)")] = None,
    stores: Annotated[int | None, typer.Option(help="stores (overrides the size's)")] = None,
    offers: Annotated[int | None, typer.Option(
        help=f"offers in the day (overrides the size's; at most {MAX_OFFERS:,})")] = None,
    detect_every: Annotated[int, typer.Option(
        help="the truth for detection every SECONDS while contacts arrive (0: once at now, "
             "as `replay --detect`)", metavar="SECONDS", min=0)] = 0,
) -> None:
    """Generate a platform day with injected defects, the contacts they cause, and the truth."""
    from simulate import PRESETS, Size, write

    if size not in PRESETS:
        _fail(f"--size must be one of {', '.join(PRESETS)}, not {size!r}")
    base = PRESETS[size]
    chosen = Size(drivers or base.drivers, stores or base.stores, offers or base.offers)
    if chosen.drivers < 10 or chosen.stores < 3 or not 100 <= chosen.offers <= MAX_OFFERS:
        _fail(f"need at least 10 drivers, 3 stores and 100 to {MAX_OFFERS:,} offers")
    started = time.perf_counter()
    facts = write(seed, chosen, out, detect_every or None)
    for line in describe(facts, out, time.perf_counter() - started):
        typer.echo(line)


def describe(facts: dict, out: Path, seconds: float) -> list[str]:
    """The summary as a few readable lines."""
    d, c, det, w = facts["defects"], facts["contacts"], facts["detection"], facts["world"]
    size = facts["size"]
    return [
        f"seed {facts['seed']}: {size['drivers']:,} drivers, {size['stores']:,} stores, "
        f"{w['offers']:,} offers in {w['zones']} zones, now {facts['now']}",
        f"defects {d['total']}: {_pairs(d['by_kind'])}",
        f"  caused by: {_pairs(d['by_origin'])}",
        f"  detection at now should find {det['findings']} ({det['incidents']} incidents); "
        f"fixed by: {_pairs(d['fixed_by'])}; proactive share {d['proactive_share']}",
        *([f"  detection every {s['every_s']} s: {s['runs']} runs fix {s['fixed']} "
           f"(${s['paid_cents'] / 100:,.2f})"] if (s := facts.get("schedule")) else []),
        f"contacts {c['total']}: {_pairs(c['by_intent'])}",
        f"  languages: {_pairs(c['by_language'])}; about: {_pairs(c['by_about'])}",
        f"  expected outcomes: {_pairs(c['by_outcome'])}; owed by contacts "
        f"${c['owed_cents'] / 100:,.2f}",
        f"wrote {out / 'world.json'}, {out / 'contacts.jsonl'}, {out / 'truth.json'} "
        f"in {seconds:.1f} s",
    ]


def _pairs(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    """Add the `simulate` command to the CLI."""
    app.command()(simulate)
