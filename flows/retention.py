"""The retention-outreach flow: drivers hurt by an incident or an escalation whose deliveries
then fell get one templated check-in with what was fixed, once per driver and cause
(policy/retention.py decides; docs/root-causes.md)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from flows import deps
from flows.tasks import send_once
from integrations import OutgoingNotification
from onetouch.models import Channel, Driver, Offer
from onetouch.render import render
from onetouch.scorecard.segments import UNKNOWN, drivers_and_offers, segment_map
from policy.retention import Check, Hurt, select_checks

CHANNEL: Channel = "in_app"


@task(cache_policy=NONE)
def find_hurts(now: datetime) -> tuple[list[Hurt], set[str]]:
    """Hurts inside the lookback, and the driver-and-cause keys already judged."""
    store, policy = deps.case_store(), deps.policy()
    return (store.hurts(now - timedelta(days=policy.retention_lookback_days)),
            store.outreach_done())


@task(cache_policy=NONE)
def read_activity(driver_ids: list[str], since: datetime, now: datetime
                  ) -> tuple[dict[str, Driver], list[Offer]]:
    """The hurt drivers, and every offer from a window before the earliest hurt to now."""
    return drivers_and_offers(deps.platform(), driver_ids, since, now)


@task(cache_policy=NONE, task_run_name="check-in {check.hurt.cause}")
def render_checkin(check: Check, driver: Driver, segment: str) -> tuple[str, str]:
    """The check-in's subject and body, in the driver's language."""
    context = {"first_name": driver.first_name, "kind": check.hurt.kind, "segment": segment,
               "fixed": [f.model_dump() for f in check.hurt.fixed]}
    return (render(f"outreach/subject.{driver.locale}.txt.j2", context).strip(),
            render(f"outreach/checkin.{driver.locale}.txt.j2", context))


@task(cache_policy=NONE, task_run_name="send check-in {check.hurt.cause}")
def send_checkin(check: Check, driver: Driver, subject: str, body: str) -> str:
    """Send the check-in once: a re-run finds the one already sent under its key."""
    message = OutgoingNotification(driver_id=driver.id, channel=CHANNEL, locale=driver.locale,
                                   subject=subject, body=body, reference=check.hurt.cause)
    return send_once(message, check.key).id


@task(cache_policy=NONE)
def record_check(check: Check, segment: str, at: datetime, notification_id: str | None
                 ) -> bool:
    """Keep the judged hurt, so no later run looks at it again."""
    return deps.case_store().record_outreach(check, segment, at, notification_id)


def deliveries_by_driver(offers: list[Offer]) -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = defaultdict(list)
    for offer in offers:
        if offer.status == "delivered" and offer.delivered_at is not None:
            found[offer.driver_id].append(offer.delivered_at)
    return found


@flow(name="retention-outreach", persist_result=False)
def retention_outreach() -> dict[str, Any]:
    """Judge each hurt whose window has passed; check in once with those who drove less."""
    now, policy = deps.platform_now(), deps.policy()
    hurts, done = find_hurts(now)
    window = timedelta(days=max(policy.retention_window_days, policy.segments.window_days))
    since = min((h.at for h in hurts), default=now) - window
    drivers, offers = read_activity(sorted({h.driver_id for h in hurts}), since, now)
    checks = select_checks([h for h in hurts if h.driver_id in drivers],
                           deliveries_by_driver(offers), done, now, policy)
    segments = segment_map([drivers[c.hurt.driver_id] for c in checks], offers, now,
                           policy.segments)
    sent = []
    for check in checks:
        driver, segment = drivers[check.hurt.driver_id], segments.get(check.hurt.driver_id,
                                                                      UNKNOWN)
        notification = None
        if check.verdict == "dropped":
            subject, body = render_checkin(check, driver, segment)
            notification = send_checkin(check, driver, subject, body)
            sent.append(check.key)
        record_check(check, segment, now, notification)
    return {"checked": len(checks), "sent": len(sent),
            "drivers_checked": len({c.hurt.driver_id for c in checks}),
            "by_segment": dict(Counter(segments.get(c.hurt.driver_id, UNKNOWN)
                                       for c in checks if c.key in sent))}
