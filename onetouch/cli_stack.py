"""`onetouch up`, `down` and `sign`: the local stack and signed requests to its intake."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Annotated

import typer

from onetouch.stack import DEFAULT_STATE_DIR, Layout, Ports, StackError, Status
from onetouch.stack_resolvers import DEFAULT_RESOLVER_LIMIT, DEFAULT_RESOLVERS
from onetouch.stack_workers import DEFAULT_WORKER_LIMIT

DATA = Path(__file__).parent / "data"
EXAMPLE_CONTACT = "c-1"
StateDir = Annotated[Path, typer.Option(envvar="ONETOUCH_STACK_DIR",
                                        help="where the stack keeps pids, logs and secrets")]


def _shown(path: Path | str) -> str:
    """A path relative to the working directory when it is inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _example_contact(state_dir: Path) -> Path:
    """A bundled contact written to a file, ready to sign and send."""
    import json

    for line in (DATA / "contacts.jsonl").read_text().splitlines():
        if json.loads(line)["id"] == EXAMPLE_CONTACT:
            path = state_dir / "contact.json"
            path.write_text(line)
            return path
    raise FileNotFoundError(f"contact {EXAMPLE_CONTACT} is not in the bundled contacts")


def _curl_lines(status: Status) -> list[str]:
    contact = _shown(_example_contact(status.state_dir))
    given = status.state_dir.resolve() != DEFAULT_STATE_DIR
    sign = f"./run onetouch sign {contact} --curl" + (
        f" --state-dir {_shown(status.state_dir)}" if given else "")
    intake = status.urls["intake"]
    return [f"curl -sS {intake}/contacts -H 'Content-Type: application/json' \\",
            f"  $({sign}) \\", f"  --data-binary @{contact}",
            f"eval \"$(./run onetouch sign --path /cases/case-{EXAMPLE_CONTACT} --curl"
            + (f" --state-dir {_shown(status.state_dir)}" if given else "") + ")\""]


def _stop_command(status: Status) -> str:
    given = status.state_dir.resolve() != DEFAULT_STATE_DIR
    return "./run onetouch down" + (f" --state-dir {_shown(status.state_dir)}" if given else "")


def _panel(status: Status) -> None:
    """The URLs in a panel, then commands to copy: send a contact, stop the stack."""
    from rich.console import Console
    from rich.panel import Panel

    urls, notes = status.urls, status.notes
    secret = notes["intake_secret"]
    rows = [("Prefect UI", urls["ui"]), ("Prefect API", urls["api"]),
            ("sandbox", f"{urls['sandbox']}  (API key: {_shown(notes['sandbox_key'])})"),
            ("intake", f"{urls['intake']}  (signing secret: "
                       f"{secret if secret.startswith('$') else _shown(secret)})"),
            ("Prefect db", notes["prefect_db"]), ("case store", notes["case_store"]),
            ("resolvers", notes.get("resolvers", "")),
            ("workers", notes.get("workers", "1")),
            ("logs", _shown(notes["logs"]))]
    lines = [f"{name:<12} {value}" for name, value in rows]
    title = ("onetouch: already up" if status.already
             else f"onetouch: up in {status.timings.get('total_s')} s")
    console = Console(highlight=False)
    console.width = max(console.width, max(len(line) for line in lines) + 4)
    console.print(Panel("\n".join(lines), title=title, expand=False))
    typer.echo(f"Send contact {EXAMPLE_CONTACT} and read its case:")
    typer.echo("\n".join(f"  {line}" for line in _curl_lines(status)))
    typer.echo("Agents (approve in the UI, or from any shell that reaches the server; no "
               "platform key needed):")
    typer.echo(f"  export PREFECT_API_URL={urls['api']}; ./run onetouch escalations list")
    typer.echo(f"Stop: {_stop_command(status)}")


def up(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    prefect_port: Annotated[int, typer.Option(envvar="ONETOUCH_STACK_PREFECT_PORT",
                                              help="Prefect server and UI")] = 4200,
    sandbox_port: Annotated[int, typer.Option(envvar="ONETOUCH_STACK_SANDBOX_PORT")] = 8700,
    intake_port: Annotated[int, typer.Option(envvar="ONETOUCH_STACK_INTAKE_PORT")] = 8701,
    prefect_home: Annotated[Path | None, typer.Option(
        envvar="ONETOUCH_STACK_PREFECT_HOME", show_default=False,
        help="PREFECT_HOME of the server [default: .onetouch/prefect]")] = None,
    workers: Annotated[int, typer.Option(
        envvar="ONETOUCH_STACK_WORKERS", min=1,
        help="process workers on the pool, each its own process and name")] = 1,
    worker_limit: Annotated[int, typer.Option(
        envvar="ONETOUCH_STACK_WORKER_LIMIT", min=0,
        help="flow runs each worker runs at once (0: no limit)")] = DEFAULT_WORKER_LIMIT,
    resolvers: Annotated[int, typer.Option(
        envvar="ONETOUCH_STACK_RESOLVERS", min=1,
        help="long-lived resolvers of contacts, each its own process")] = DEFAULT_RESOLVERS,
    resolver_limit: Annotated[int, typer.Option(
        envvar="ONETOUCH_STACK_RESOLVER_LIMIT", min=1,
        help="contacts each resolver works on at once")] = DEFAULT_RESOLVER_LIMIT,
) -> None:
    """Start the local stack (Prefect server + UI, resolvers, workers, sandbox, intake), deploy,
    show URLs."""
    from onetouch import stack

    layout = Layout(state_dir=state_dir, prefect_home=prefect_home,
                    ports=Ports(prefect_port, sandbox_port, intake_port),
                    workers=workers, worker_limit=worker_limit or None,
                    resolvers=resolvers, resolver_limit=resolver_limit)
    try:
        status = stack.up(layout, echo=lambda line: typer.echo(line, err=True))
    except StackError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(code=1) from None
    _panel(status)


def down(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Stop every process `onetouch up` started."""
    from onetouch import stack

    stopped = stack.down(state_dir, echo=typer.echo)
    if stopped:
        typer.echo(f"stack down: {', '.join(stopped)} stopped")


def _intake_secret(state_dir: Path) -> str:
    if os.environ.get("ONETOUCH_INTAKE_SECRET"):
        return os.environ["ONETOUCH_INTAKE_SECRET"]
    path = state_dir / "intake.secret"
    if not path.exists():
        raise typer.BadParameter(f"set ONETOUCH_INTAKE_SECRET or run `onetouch up` ({path})")
    return path.read_text().strip()


QUERY_CHAR = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2}")


def _sendable_query(query: str) -> str:
    """The query string as it goes on the wire; refused when it needs encoding first."""
    at = int(query.startswith("?"))
    while at < len(query):
        if not (found := QUERY_CHAR.match(query, at)):
            raise typer.BadParameter(
                f"{query[at]!r} at character {at + 1} must be URL-encoded (a space is + or %20): "
                "the signature covers the query string exactly as sent", param_hint="--query")
        at = found.end()
    return query.removeprefix("?")


def _intake_url(state_dir: Path) -> str:
    from onetouch.stack import read_state

    state = read_state(state_dir)
    return state["urls"]["intake"] if state else Layout().urls()["intake"]


def sign(
    body: Annotated[Path | None, typer.Argument(
        help="the exact request body, e.g. a contact's JSON", show_default=False)] = None,
    query: Annotated[str | None, typer.Option(
        help="sign a GET /help query string instead, URL-encoded as sent "
             "(driver_id=drv-1002&screen=tip)", show_default=False)] = None,
    path: Annotated[str | None, typer.Option(
        help="sign a GET of this path instead, as sent (/cases/case-c-100)",
        show_default=False)] = None,
    curl: Annotated[bool, typer.Option(
        help="print as curl arguments (-H NAME:VALUE …); with --query, a whole curl command")
    ] = False,
    url: Annotated[str | None, typer.Option(
        help="the intake for --query/--path --curl (default: the running stack's, else :8701)",
        show_default=False)] = None,
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Print the signature headers for a request body, a /help query or a GET path, sent now."""
    import shlex

    from onetouch.intake.signing import signed_headers

    if sum(given is not None for given in (body, query, path)) != 1:
        raise typer.BadParameter("give a BODY file, --query or --path, one of the three")
    signed = (body.read_bytes() if body is not None else path.encode() if path is not None
              else _sendable_query(query or "").encode())
    headers = signed_headers(_intake_secret(state_dir), int(time.time()), signed)
    if curl and body is None:
        intake = (url or _intake_url(state_dir)).rstrip("/")
        target = f"{intake}{path}" if path is not None else f"{intake}/help?{signed.decode()}"
        typer.echo(" ".join(["curl -sS", shlex.quote(target), *(
            f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers.items())]))
    elif curl:
        typer.echo(" ".join(f"-H {name}:{value}" for name, value in headers.items()))
    else:
        typer.echo("\n".join(f"{name}: {value}" for name, value in headers.items()))


def register(app: typer.Typer) -> None:
    """Add the stack commands to the `onetouch` app."""
    for command in (up, down, sign):
        app.command()(command)
