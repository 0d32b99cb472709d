"""Handing a stored contact on: to the resolvers, or as an event to the flow-run deployment.

`resolvers` (the default): a `resolve-contact` background task run, served by a long-lived
resolver (flows/resolver.py). `flow-runs`: the `driver.contact.received` event, on which the
`resolve-contact` deployment's trigger starts a flow run in a new process (the path resolvers
replaced, kept to compare against: benchmarks/throughput.py). Either way Prefect gets the
contact's id only: its text, which may hold personal data, stays in the case store.
"""

from __future__ import annotations

from typing import Any

from prefect.events import emit_event

from flows.resolver import Submitter
from onetouch.settings import get_settings

CONTACT_EVENT = "driver.contact.received"


def hand_on(raw: dict[str, Any], submitter: Submitter) -> str | None:
    """Hand a stored contact on as the settings say; its task run's id, if it has one."""
    if get_settings().contact_dispatch == "flow-runs":
        emit_contact_event(raw)
        return None
    return str(submitter.submit(raw["id"]))


def emit_contact_event(raw: dict[str, Any]) -> None:
    """Tell Prefect a stored contact arrived; the resolve-contact deployment's trigger starts
    its flow run."""
    driver = raw.get("driver_id")
    emit_event(event=CONTACT_EVENT, resource={
        "prefect.resource.id": f"onetouch.contact.{raw['id']}",
        "prefect.resource.name": f"contact-{raw['id']}"}, payload={"id": raw["id"]},
        related=[{"prefect.resource.id": f"onetouch.driver.{driver}",
                  "prefect.resource.role": "driver"}] if isinstance(driver, str) else [])
