"""The detect-defects flow: reconcile a window of platform data, fix what is owed, report."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from flows import deps, events
from flows.agent_queues import announce_escalation, start_approval_wait
from flows.failpoints import failpoint
from flows.pay_review import watch_automatic_pay
from flows.payments_safety import admission_markdown, admission_summary, admit_findings
from flows.tasks import carry_out
from integrations import Conflict, OutgoingNotification, PlatformError
from onetouch.casestore.incidents import incident_escalation_id
from onetouch.detection_read import read_window, window
from onetouch.render import render, render_reply, timezone_for_zone
from policy.approval import final_reply_items
from policy.case import RemediationAction, ReplyItem, ReplyPlan
from policy.config import PolicyConfig
from policy.detect import Finding, Scope, detection_since
from policy.incidents import DetectionPlan, plan_detection


@task(cache_policy=NONE)
def reconcile(now: datetime, policy: PolicyConfig, scope: Scope) -> list[Finding]:
    """Read the window's exports through the screen and the amount rules: every shortfall."""
    platform = deps.platform()
    with TemporaryDirectory(prefix="onetouch-detect-") as workdir:
        read = read_window(platform.exports, now, policy, scope, Path(workdir))
    reconciler = read.reconciler
    orders = {order_id: platform.offers.get_order(order_id)
              for order_id in reconciler.orders_needed()}
    since, until = window(now, policy)
    deposits = platform.exports.stream("deposits", since, until) if scope.everything else ()
    findings = reconciler.finish(orders, deposits)
    get_run_logger().info(
        "read %d offers and %d earnings, %s; %d offers through the rules: %d findings",
        read.scanned["offers"], read.scanned["earnings"],
        "screened in DuckDB" if read.screened else "every row through the models",
        reconciler.offers_read, len(findings))
    return findings


@task(cache_policy=NONE)
def plan_and_record(findings: list[Finding], now: datetime, policy: PolicyConfig
                    ) -> tuple[DetectionPlan, list[str]]:
    """Group findings into incidents (joining those awaiting an agent) and keep them all."""
    store = deps.case_store()
    plan = plan_detection(findings, policy, now, store.awaiting_incidents())
    opened = store.record_detection(plan, now, policy.standard_ack_hours)
    return plan, opened


def lane_width() -> int:
    """Parallel lanes for remediation: the platform slots, less one left for contacts."""
    slots = min(deps.limit_in_force("payments") or 2, deps.limit_in_force("notifications") or 2)
    return max(1, slots - 1)


def lanes(plan: DetectionPlan, width: int) -> list[list[tuple[str, list[Finding]]]]:
    """The findings to fix now, by driver, dealt round-robin into `width` lanes."""
    by_driver: dict[str, list[Finding]] = defaultdict(list)
    for finding in plan.fix_now:
        by_driver[finding.action.driver_id].append(finding)
    drivers = sorted(by_driver.items())
    return [lane for lane in (drivers[n::width] for n in range(width)) if lane]


@task(cache_policy=NONE)
def plan_payments(plan: DetectionPlan, findings: list[Finding], now: datetime,
                  policy: PolicyConfig, scope: Scope) -> tuple[DetectionPlan, dict[str, str]]:
    """Each finding to pay with its reference, noted before any is paid; plus, on a full run,
    the findings a run that died between its payments and its push left unfinished: carried
    out again under their key and reference (the platform replays them), pushed, recorded."""
    store, incident_of = deps.case_store(), plan.incident_of()
    references = {f.key: incident_of.get(f.key) or detection_reference(now) for f in plan.fix_now}
    resumed = store.unfinished_fixes(detection_since(now, policy), {f.key for f in findings}
                                     ) if scope.everything else []
    resumed = [(finding, reference) for finding, reference in resumed
               if finding.key not in references]
    if resumed:
        get_run_logger().warning("%d findings paid by a run that died before its push: "
                                 "finishing them", len(resumed))
    store.note_paying(references, now)
    return plan.model_copy(update={"fix_now": (*plan.fix_now, *(f for f, _ in resumed))}), (
        references | {finding.key: reference for finding, reference in resumed})


@task(cache_policy=NONE, task_run_name="remediate drivers from {lane[0][0]}")
def remediate_lane(lane: list[tuple[str, list[Finding]]], references: dict[str, str],
                   now: datetime) -> dict[str, list[Finding]]:
    """Fix each driver's findings and push once (the flow holds the lane's platform slots)."""
    fixed: dict[str, list[Finding]] = {}
    for driver_id, findings in lane:
        done = _fix_driver(findings, references, now)
        failpoint("after_lane_payment", driver_id)
        if done:
            notify_driver.fn(driver_id, [f.action for f in done], [f.item for f in done],
                             detection_reference(now), now)
            fixed[driver_id] = done
    return fixed


def _fix_driver(findings: list[Finding], references: dict[str, str], now: datetime
                ) -> list[Finding]:
    """Carry out one driver's findings, each under its key and reference; what the platform
    took. A key the platform holds with another body (fixed by another path) is superseded."""
    done, superseded = [], []
    for finding in findings:
        try:
            action = carry_out(finding.action, references[finding.key], "proactive",
                               as_task=False)
        except Conflict as exc:
            get_run_logger().warning("%s was fixed another way: %s", finding.key, exc)
            superseded.append(finding.key)
            continue
        except PlatformError as exc:
            get_run_logger().warning("could not fix %s yet: %s", finding.key, exc)
            continue
        done.append(finding.model_copy(update={"action": action}))
    if superseded:
        deps.case_store().mark_superseded(superseded, now)
    return done


def detection_reference(now: datetime) -> str:
    return f"detect-{now:%Y%m%dT%H%M}"


@task(cache_policy=NONE, task_run_name="notify {driver_id}")
def notify_driver(driver_id: str, done: list[RemediationAction], items: list[ReplyItem],
                  reference: str, at: datetime, actor: str = "detection") -> str:
    """One push to the driver listing what was fixed (once for the same fixes), then record it."""
    platform = deps.platform()
    driver = platform.drivers.get(driver_id)
    keys = "\n".join(sorted(a.idempotency_key for a in done))
    key = f"proactive/{driver_id}/{hashlib.sha256(keys.encode()).hexdigest()[:16]}"
    plan = ReplyPlan(template="proactive", channel="push", locale=driver.locale,
                     first_name=driver.first_name, items=tuple(items))
    subject, body = render_reply(plan, reference, timezone_for_zone(driver.zone))
    message = OutgoingNotification(driver_id=driver_id, channel="push", locale=driver.locale,
                                   subject=subject, body=body, reference=reference)
    try:
        platform.notifications.send(message, idempotency_key=key)
    except Conflict:
        get_run_logger().info("push for %s was already sent", driver_id)
    deps.case_store().mark_remediated(done, at, actor)
    return key


@task(cache_policy=NONE)
def publish_report(plan: DetectionPlan, findings: int, now: datetime, payments: str = ""
                   ) -> None:
    """The run as Prefect artifacts: a readable summary and a table of incidents."""
    summary = render("agents/detection.md.j2", {
        "now": now, "findings": findings, "incidents": [i.summary() for i in plan.incidents],
        "fixed": len(plan.fix_now), "held": len(plan.held)}) + payments
    create_markdown_artifact(key="detection-summary", markdown=summary,
                             description="What the last detection run found and fixed")
    rows = [{k: v for k, v in i.summary().items() if k != "subjects"} | {
        "subjects": len(i.subjects)} for i in plan.incidents]
    create_table_artifact(key="detection-incidents", table=rows or [{"incidents": 0}],
                          description="Incidents of the last detection run")


@flow(name="detect-defects", flow_run_name="detect-{zone}-{store_id}", persist_result=False)
def detect_defects(zone: str | None = None, store_id: str | None = None) -> dict[str, Any]:
    """Find every shortfall of the window, fix it (or hold an incident for an agent), report."""
    now, policy, scope = deps.platform_now(), deps.policy(), Scope(zone=zone, store_id=store_id)
    findings = reconcile(now, policy, scope)
    plan, opened = plan_and_record(findings, now, policy)
    events.detection_recorded(plan, opened)
    for incident_id in opened:
        announce_escalation(incident_escalation_id(incident_id))
        start_approval_wait(incident_escalation_id(incident_id))
    plan, admission = admit_findings(plan, now, policy, detection_reference(now))
    plan, references = plan_payments(plan, findings, now, policy, scope)
    fixed = remediate(plan, references, now) if plan.fix_now else {}
    paid = [f.action for done in fixed.values() for f in done]
    events.incidents_remediated(plan, paid)
    watch_automatic_pay(paid, now, detection_reference(now))
    publish_report(plan, len(findings), now, admission_markdown(admission))
    return {"findings": len(findings), "incidents": [i.summary() for i in plan.incidents],
            **admission_summary(admission)}


def remediate(plan: DetectionPlan, references: dict[str, str], now: datetime
              ) -> dict[str, list[Finding]]:
    """Every driver's findings fixed in parallel lanes, under the lanes' platform slots."""
    width = lane_width()
    with deps.guard("payments", width), deps.guard("notifications", width):
        futures = remediate_lane.map(lanes(plan, width), unmapped(references), unmapped(now))
        return {driver: done for future in futures for driver, done in future.result().items()}


def finish_incident(incident_id: str, verdict: str, done: tuple[RemediationAction, ...],
                    agent: str) -> None:
    """An agent's decision on a held incident carried out: each driver told, the incident closed."""
    now = deps.platform_now()
    by_driver: dict[str, list[RemediationAction]] = defaultdict(list)
    for action in done:
        by_driver[action.driver_id].append(action)
    with deps.guard("notifications"):
        for driver_id, actions in sorted(by_driver.items()):
            notify_driver(driver_id, actions, list(final_reply_items("approve", tuple(actions))),
                          incident_id, now, agent)
    status = "remediated" if verdict == "approve" else "rejected"
    deps.case_store().close_incident(incident_id, status, now, agent)
    events.incident_closed(incident_id, status, done, agent)
