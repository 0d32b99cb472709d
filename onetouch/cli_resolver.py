"""`onetouch resolver` and `onetouch contacts rerun`: the long-lived resolvers, and one contact
handed to them again."""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated

import typer

# A resolver on another machine needs only PREFECT_API_URL: what it does not find in its own
# environment it reads from the Variables and Secret blocks `onetouch up` set on the server.
FROM_SERVER = {"ONETOUCH_PLATFORM_URL": "onetouch_platform_url",
               "ONETOUCH_CASE_STORE_URL": "onetouch_case_store_url"}
DEFAULTS = {"ONETOUCH_PLATFORM_LIMITS_SCOPE": "process",
            "ONETOUCH_PLATFORM_API_KEY_BLOCK": "onetouch-platform-api-key",
            "ONETOUCH_QUEUE_NOTIFY_URLS_BLOCK": "onetouch-queue-notify-urls",
            "ONETOUCH_APPROVAL_DEPLOYMENT": "await-agent-decision/await-agent-decision"}
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}

contacts_app = typer.Typer(help="Contacts: hand one to the resolvers again.",
                           no_args_is_help=True)


def settings_from_server() -> list[str]:
    """Fill in what the environment leaves out from the server; the names filled in."""
    from prefect.variables import Variable

    filled = []
    for name, variable in FROM_SERVER.items():
        if not os.environ.get(name) and (value := Variable.get(variable, default=None)):
            os.environ[name] = str(value)
            filled.append(name)
    has_key = os.environ.get("ONETOUCH_PLATFORM_API_KEY")
    for name, value in DEFAULTS.items():
        if name == "ONETOUCH_PLATFORM_API_KEY_BLOCK" and has_key:
            continue
        if not os.environ.get(name):
            os.environ[name] = value
            filled.append(name)
    return filled


def settings_from_stack() -> list[str]:
    """On a server `onetouch up` configured, what the environment leaves out from it (the
    platform, the case store, the key's Secret block); else nothing."""
    from prefect.variables import Variable

    if Variable.get(FROM_SERVER["ONETOUCH_CASE_STORE_URL"], default=None) is None:
        return []
    return settings_from_server()


def resolver(
    limit: Annotated[int, typer.Option(
        min=1, help="contacts this resolver works on at once (threads)")] = 8,
    supervise: Annotated[bool, typer.Option(
        help="serve in a child process, started again whenever it dies")] = True,
) -> None:
    """Serve the resolve-contact task: resolve contacts handed on by the intake until stopped."""
    from prefect.settings import PREFECT_API_URL

    from flows.resolver import serve
    from onetouch.settings import get_settings
    from onetouch.stack_procs import keep_running

    if not PREFECT_API_URL.value():
        typer.secho("error: set PREFECT_API_URL to the Prefect server the intake uses",
                    fg="red", err=True)
        raise typer.Exit(code=2)
    if supervise:
        command = [sys.executable, "-m", "onetouch.cli", "resolver", "--limit", str(limit),
                   "--no-supervise"]
        raise typer.Exit(keep_running(command, lambda line: typer.echo(line, err=True)))
    filled = settings_from_server()
    get_settings.cache_clear()
    typer.echo(f"resolver: {limit} at once on {PREFECT_API_URL.value()}"
               + (f" (from the server: {', '.join(filled)})" if filled else ""), err=True)
    serve(limit)


@contacts_app.command()
def rerun(
    contact_id: Annotated[str, typer.Argument(help="the contact's id, as the intake took it")],
    wait: Annotated[float, typer.Option(
        help="seconds to wait for the run to end (0: do not wait)")] = 60,
) -> None:
    """Hand a stored contact to the resolvers again: a new contact-ID task run. A contact that
    has an outcome keeps it; nothing is paid or sent twice."""
    from prefect.client.orchestration import get_client

    from flows.resolver import dispatch

    run_id = dispatch(contact_id)
    typer.echo(f"contact-{contact_id}: task run {run_id}")
    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while wait and time.monotonic() < deadline:
            run = client.read_task_run(run_id)
            if run.state and run.state.type.value in FINAL:
                typer.echo(f"{run.state.name}: {', '.join(sorted(run.tags))}")
                raise typer.Exit(code=0 if run.state.type.value == "COMPLETED" else 1)
            time.sleep(0.5)
    if wait:
        typer.echo(f"not finished after {wait:.0f} s (is a resolver running?)", err=True)
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add `resolver` and `contacts` to the `onetouch` app."""
    app.command()(resolver)
    app.add_typer(contacts_app, name="contacts")
