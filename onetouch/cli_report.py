"""`onetouch report`: the scorecard of a case store — printed, saved as HTML, published to
Prefect as artifacts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

TIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M"]


def report(
    cases: Annotated[str | None, typer.Option(
        help="the case store: a database URL or an SQLite file such as run1/cases.db "
             "(default: ONETOUCH_CASE_STORE_URL)")] = None,
    since: Annotated[datetime | None, typer.Option(
        formats=TIME_FORMATS, help="period start, UTC (default: everything)")] = None,
    until: Annotated[datetime | None, typer.Option(
        formats=TIME_FORMATS, help="period end, UTC, excluded")] = None,
    day: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="one UTC day instead of --since/--until")] = None,
    state: Annotated[Path | None, typer.Option(
        help="a replay's STATE.json: deliveries and defect onsets (and, with --truth, money)")
    ] = None,
    truth: Annotated[Path | None, typer.Option(
        help="a simulated day's truth.json: accuracy (needs --state)")] = None,
    platform: Annotated[bool, typer.Option(
        help="read deliveries and onsets from the configured platform")] = False,
    html: Annotated[Path, typer.Option(help="where to write the HTML report")
                    ] = Path("scorecard.html"),
    publish: Annotated[bool, typer.Option(help="publish the scorecard as Prefect artifacts")
                       ] = True,
    root_causes: Annotated[bool, typer.Option(
        "--root-causes", help="also the root-cause report of the period (the store's last "
        "day when the period is open), against the period before")] = False,
) -> None:
    """Print the scorecard of a case store, save it as HTML and publish it to Prefect."""
    from rich.console import Console
    from sqlalchemy import create_engine

    from onetouch.scorecard import Period, build
    from onetouch.scorecard.render import rich_table, write_html

    if truth is not None and state is None:
        _fail("--truth needs --state: accuracy compares what the platform paid")
    if day is not None:
        since, until = day, day + timedelta(days=1)
    period = Period(start=_utc(since), end=_utc(until))
    engine = create_engine(_url(cases))
    try:
        card = build(engine, period, state=_read(state), truth=_read(truth),
                     platform=_platform() if platform else None,
                     grace_minutes=_grace(), segment_rules=_policy().segments)
    finally:
        engine.dispose()
    causes = _causes(cases, period, state, platform) if root_causes else None
    console = Console()
    console.print(rich_table(card))
    if causes is not None:
        from onetouch.rootcause.view import rich_tables

        for table in rich_tables(causes):
            console.print(table)
    typer.echo(f"HTML report: {write_html(card, html, causes=causes)}")
    if publish:
        from flows.reports import publish_scorecard

        publish_scorecard(card)
        typer.echo("published as Prefect artifacts `scorecard` and `scorecard-table`")
        if causes is not None:
            from flows.root_causes import publish_root_causes

            publish_root_causes(causes)
            typer.echo("published as Prefect artifacts `root-causes` and `root-causes-table`")


def _causes(cases: str | None, period: Any, state: Path | None, platform: bool) -> Any:
    """The root-cause report of a closed period, else of the store's last day."""
    from sqlalchemy import create_engine

    from onetouch.rootcause import build_report

    policy = _policy()
    engine = create_engine(_url(cases))
    closed = period if period.start is not None and period.end is not None else None
    try:
        return build_report(engine, closed, policy=policy, state=_read(state),
                            platform=_platform() if platform else None)
    finally:
        engine.dispose()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _url(cases: str | None) -> str:
    if cases is None:
        from onetouch.settings import get_settings

        return get_settings().case_store_url
    if "://" in cases:
        return cases
    path = Path(cases)
    if not path.exists():
        _fail(f"no case store at {path}")
    return f"sqlite:///{path.resolve()}"


def _read(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        _fail(f"{path}: {exc}")
        raise


def _platform():
    from flows import deps

    return deps.platform()


def _policy():
    from onetouch.settings import get_settings
    from policy.config import load_policy

    return load_policy(get_settings().policy_file)


def _grace() -> int:
    return _policy().pay_grace_minutes


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    """Add the `report` command to the CLI."""
    app.command()(report)
