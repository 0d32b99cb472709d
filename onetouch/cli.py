"""The `onetouch` command: replay, demo, the sandbox, the intake and the local stack."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from onetouch.cli_escalations import app as escalations_app
from onetouch.cli_payments import app as payments_app
from onetouch.cli_report import register as register_report_command
from onetouch.cli_resolver import register as register_resolver_commands
from onetouch.cli_simulate import register as register_simulate_command
from onetouch.cli_stack import register as register_stack_commands
from onetouch.settings import PROJECT_LOGGERS

# The user's PREFECT_HOME and profile stand (./run sets a project-local one when there is none).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", PROJECT_LOGGERS)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

app = typer.Typer(help="onetouch: driver support resolved in one touch.", no_args_is_help=True)
app.add_typer(escalations_app, name="escalations")
app.add_typer(payments_app, name="payments")
DATA = Path(__file__).parent / "data"


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code=2)


@app.command()
def replay(
    world: Annotated[Path, typer.Argument(help="WORLD.json to load into a fresh sandbox")],
    out: Annotated[Path, typer.Option("--out", help="OUTCOMES.jsonl to write")],
    contacts: Annotated[Path | None, typer.Option(help="CONTACTS.jsonl")] = None,  # noqa: UP007
    state: Annotated[Path | None, typer.Option(help="STATE.json to write")] = None,  # noqa: UP007
    detect: Annotated[bool, typer.Option(help="run defect detection once first")] = False,
    keep: Annotated[Path | None, typer.Option(
        help="keep the sandbox and case store databases in this folder")] = None,
    dry_run: Annotated[bool, typer.Option(
        help="decide and record, but pay and send nothing (kept in dry_run_actions)")] = False,
    detect_every: Annotated[int, typer.Option(
        help="with --detect: detect again every SECONDS while contacts arrive (0: once)",
        metavar="SECONDS", min=0)] = 0,
) -> None:
    """Run the real system over a world and contacts; write outcomes (and state)."""
    from onetouch.inputs import InputFileError
    from onetouch.replay import run_replay

    if detect_every and not detect:
        _fail("--detect-every needs --detect")
    try:
        outcomes = run_replay(world, contacts, out, state, keep=keep, detect=detect,
                              dry_run=dry_run, detect_every_s=detect_every or None)
    except InputFileError as exc:
        _fail(str(exc))
    if detect:
        summary = outcomes.pop(0)["detection"]
        typer.echo(f"detection: {summary['findings']} findings, "
                   f"{len(summary['incidents'])} incidents", err=True)
    rejected = sum(1 for o in outcomes if o.get("outcome") == "rejected")
    typer.echo(f"{len(outcomes)} outcomes written to {out} ({rejected} rejected)", err=True)


@app.command()
def sandbox(
    world: Annotated[Path | None, typer.Option(
        help="WORLD.json to load at start (default: the bundled world, unless --db)")] = None,
    db: Annotated[Path | None, typer.Option(
        help="sandbox database to serve, e.g. one kept by `replay --keep`")] = None,
    port: Annotated[int, typer.Option(help="port to listen on")] = 8700,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    api_key: Annotated[str | None, typer.Option(
        envvar="ONETOUCH_SANDBOX_API_KEY", show_default=False,
        help="refuse requests without `Authorization: Bearer KEY`")] = None,
) -> None:
    """Serve the sandbox platform over HTTP until interrupted."""
    from sandbox.server import WorldFileError, run_sandbox

    if world is None and db is None:
        world = DATA / "world.json"
    try:
        run_sandbox(world, port=port, host=host, db_path=db, api_key=api_key or None)
    except WorldFileError as exc:
        _fail(str(exc))


@app.command()
def intake(
    port: Annotated[int, typer.Option(help="port to listen on")] = 8701,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
) -> None:
    """Serve the intake API (signed POST /contacts, GET /cases/ID) until interrupted."""
    import uvicorn

    from onetouch.intake.app import create_app
    from onetouch.settings import get_settings

    settings = get_settings()
    if not settings.intake_secret.get_secret_value():
        _fail("set ONETOUCH_INTAKE_SECRET: the secret senders sign contacts with")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def demo(
    size: Annotated[str, typer.Option(help="the simulated day: tiny | small | city | large")
                    ] = "small",
    seed: Annotated[int, typer.Option(help="the simulated day's seed")] = 1,
    out: Annotated[Path | None, typer.Option(
        help="folder for the day, its databases and the HTML report (default .onetouch/demo)")
    ] = None,
    world: Annotated[Path | None, typer.Option(
        help="run this world instead of a simulated day (with --contacts)")] = None,
    contacts: Annotated[Path | None, typer.Option(help="contacts for --world")] = None,
    bundled: Annotated[bool, typer.Option(
        help="run the bundled example world and contacts instead of a simulated day")] = False,
    ui: Annotated[bool, typer.Option(
        help="start the Prefect server and UI first, and keep it up until Ctrl-C")] = False,
    detect_every: Annotated[int, typer.Option(
        help="detect defects every SECONDS of the day while contacts arrive (0: once at now)",
        metavar="SECONDS", min=0)] = 300,
) -> None:
    """Simulate a day, run it like production through Prefect, and print its scorecard."""
    from onetouch.demo import DemoOptionError, main
    from onetouch.inputs import InputFileError

    try:
        main(size=size, seed=seed, out=out, world=world, contacts=contacts, bundled=bundled,
             ui=ui, detect_every=detect_every)
    except (InputFileError, DemoOptionError) as exc:
        _fail(str(exc))


register_stack_commands(app)
register_simulate_command(app)
register_report_command(app)
register_resolver_commands(app)


def main() -> None:
    app(prog_name="onetouch")


if __name__ == "__main__":
    main()
