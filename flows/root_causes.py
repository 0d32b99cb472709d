"""The root-causes flow: why drivers needed help on a UTC day (yesterday by the platform's
clock), against the day before, published as Prefect artifacts (docs/root-causes.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from flows import deps
from flows.reports import day_period
from integrations import PlatformError
from onetouch.rootcause import RootCauseReport, build_report
from onetouch.rootcause.view import markdown, table_rows

KEY = "root-causes"
DAY = timedelta(days=1)


@task(cache_policy=NONE, task_run_name="root causes {day}")
def day_report(day: date, as_of: datetime) -> RootCauseReport:
    """The day's report; without the platform, places, onsets and segments are unknown."""
    engine, policy = deps.case_store().engine, deps.policy()
    try:
        return build_report(engine, day_period(day), policy=policy, as_of=as_of,
                            platform=deps.platform())
    except PlatformError as exc:
        get_run_logger().warning("platform not readable (%s): places and segments unknown",
                                 type(exc).__name__)
        return build_report(engine, day_period(day), policy=policy, as_of=as_of)


@task(cache_policy=NONE)
def publish(report: RootCauseReport, key: str = KEY) -> list[dict[str, str]]:
    """The report as a markdown artifact and a table artifact."""
    rows = table_rows(report)
    create_markdown_artifact(key=key, markdown=markdown(report),
                             description="Why drivers needed help (docs/root-causes.md)")
    create_table_artifact(key=f"{key}-table", table=rows,
                          description="Causes ranked by drivers affected and dollars")
    return rows


def _run_name() -> str:
    return f"root-causes-{flow_run.parameters.get('day') or 'yesterday'}"


@flow(name="root-causes", flow_run_name=_run_name, persist_result=False)
def root_causes(day: date | None = None) -> dict[str, Any]:
    """Publish the root-cause report of a UTC day (yesterday by the platform's clock)."""
    now = deps.platform_now()
    day = day or (now - DAY).date()
    report = day_report(day, now)
    rows = publish(report)
    top = [r["name"] for r in rows if r["dimension"] == "cause"][:3]
    return {"day": day.isoformat(), "contacts": report.contacts,
            "repeat": report.repeat.part, "preventable": report.preventable.part, "top": top}


@flow(name="publish-root-causes", persist_result=False)
def publish_root_causes(report: RootCauseReport, key: str = KEY) -> str:
    """One root-cause report as artifacts (`onetouch report --root-causes`)."""
    publish(report, key)
    return key
