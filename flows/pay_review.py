"""Automatic pay watched over the last hour, and the pay-review queue alerted past a threshold.

After each automatic payment is recorded, `watch_automatic_pay` sums the automatic pay of the
last hour from the case store and emits `onetouch.money.hourly-threshold-crossed` for the
payment that reached the threshold; the `alert-pay-review` deployment's trigger on that
event (prefect.yaml) runs `alert_pay_review`, which posts to the pay-review queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from flows import deps, events
from integrations.queues import announce, queue_urls
from onetouch.casestore.money import automatic_cents
from onetouch.render import dollars, render
from onetouch.settings import get_settings
from policy.case import RemediationAction
from policy.pay_review import HourlyPayAlert, paid_cents, pay_window, threshold_alert

QUEUE = "pay-review"


class QueueUnreachable(RuntimeError):
    """The pay-review queue's channels did not take the alert."""


@task(cache_policy=NONE)
def watch_automatic_pay(done: Sequence[RemediationAction], now: datetime,
                        reference: str) -> HourlyPayAlert | None:
    """After automatic pay is recorded: the alert, emitted, if this pay crossed the threshold."""
    just_paid = paid_cents(done)
    if just_paid <= 0:
        return None
    since, until = pay_window(now)
    total = automatic_cents(deps.case_store().engine, since, until)
    threshold = get_settings().pay_review_hourly_threshold_cents
    alert = threshold_alert(total, just_paid, threshold, now, reference)
    if alert is not None:
        events.hourly_threshold_crossed(alert)
    return alert


@flow(name="alert-pay-review", persist_result=False, retries=2, retry_delay_seconds=30)
def alert_pay_review(alert: HourlyPayAlert) -> bool:
    """Tell the pay-review queue that automatic pay in the last hour reached the threshold."""
    body = render("agents/pay_review.md.j2", {"alert": alert})
    create_markdown_artifact(key="pay-review-alert", markdown=body,
                             description="The last hourly automatic-pay alert")
    title = f"[{QUEUE}] automatic pay {dollars(alert.total_cents)} in the last hour"
    if not announce(queue_urls(deps.queue_notify_urls(), QUEUE), title, body):
        raise QueueUnreachable(f"could not post the alert for {alert.crossed_by} to {QUEUE}")
    return True
