"""The daily-report flow: the last day's scorecard beside the day before's, as Prefect artifacts;
and publish-scorecard, one scorecard as artifacts (the demo's and `onetouch report`'s)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from flows import deps
from integrations import PlatformError
from onetouch.scorecard import Period, Scorecard, build
from onetouch.scorecard.render import daily_markdown, daily_rows, markdown, table_rows

DAILY_KEY = "daily-scorecard"
DAY = timedelta(days=1)


def day_period(day: date) -> Period:
    """The UTC calendar day."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return Period(start=start, end=start + DAY)


@task(cache_policy=NONE, task_run_name="scorecard {day}")
def day_scorecard(day: date, as_of: datetime) -> Scorecard:
    """One day's scorecard; without the platform, deliveries and onsets are left unknown."""
    engine, grace = deps.case_store().engine, deps.policy().pay_grace_minutes
    try:
        return build(engine, day_period(day), as_of=as_of, platform=deps.platform(),
                     grace_minutes=grace, segment_rules=deps.policy().segments)
    except PlatformError as exc:
        get_run_logger().warning("platform not readable (%s): deliveries and onsets unknown",
                                 type(exc).__name__)
        return build(engine, day_period(day), as_of=as_of)


@task(cache_policy=NONE)
def publish_daily(current: Scorecard, previous: Scorecard) -> list[dict[str, str]]:
    """The two days as a markdown artifact and a table artifact."""
    rows = daily_rows(current, previous)
    create_markdown_artifact(key=DAILY_KEY, markdown=daily_markdown(current, previous),
                             description="Yesterday's scorecard beside the day before's")
    create_table_artifact(key=f"{DAILY_KEY}-table", table=rows,
                          description="Yesterday, the day before, and the change")
    return rows


def _run_name() -> str:
    return f"daily-report-{flow_run.parameters.get('day') or 'yesterday'}"


@flow(name="daily-report", flow_run_name=_run_name, persist_result=False)
def daily_report(day: date | None = None) -> dict[str, Any]:
    """Publish the scorecard of a UTC day (yesterday by the platform's clock) and the day
    before it."""
    now = deps.platform_now()
    day = day or (now - DAY).date()
    current, previous = day_scorecard(day, now), day_scorecard(day - DAY, now)
    rows = publish_daily(current, previous)
    return {"day": day.isoformat(), "day_before": (day - DAY).isoformat(), "figures": rows}


@flow(name="publish-scorecard", persist_result=False)
def publish_scorecard(card: Scorecard, key: str = "scorecard") -> str:
    """One scorecard as a markdown artifact and a table artifact."""
    create_markdown_artifact(key=key, markdown=markdown(card),
                             description="The scorecard of a run (docs/scorecard.md)")
    create_table_artifact(key=f"{key}-table", table=table_rows(card),
                          description="The scorecard's figures")
    return key
