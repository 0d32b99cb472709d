"""A contact reaches Prefect by reference: the run's parameter holds only the contact's id.

Prefect keeps every flow run's parameters on its server, shows them in its UI, and copies an
event's payload into the runs its triggers start. A contact's text is the driver's own words
and may hold a phone number, an email address, a full name or a bank account, so:

- the intake keeps the contact in the case store and its `driver.contact.received` event
  carries `{"id": …}` only; the deployment's trigger passes that on as `contact`;
- the `receive` step reads a reference back from the case store (the contact as first received);
- a direct call (replay, tests) still passes the whole contact, but Prefect stores only its
  id (`keep_contact_id_only`); the flow stores the contact itself before anything else, so a
  re-run from the UI finds it by that id.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow


def reference(contact: Any) -> dict[str, str]:
    """What Prefect keeps of a contact: `{"id": …}`, or `{}` when it has no usable id."""
    ident = contact.get("id") if isinstance(contact, dict) else None
    return {"id": ident} if isinstance(ident, str) else {}


def is_reference(contact: Any) -> bool:
    """A contact given by its id alone (an event's payload, a re-run from the UI)."""
    return isinstance(contact, dict) and set(contact) == {"id"} and isinstance(
        contact["id"], str)


def keep_contact_id_only(flow: Flow) -> Flow:
    """Make Prefect store and show only the id of the flow's `contact` parameter.

    The flow itself still receives the whole contact when called directly; only what goes to
    the Prefect API (`Flow.serialize_parameters`, used for every flow run Prefect creates) is
    reduced. Applies to this flow object, not to copies made by `with_options`.
    """
    serialize = flow.serialize_parameters

    def serialize_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
        stored = serialize({k: v for k, v in parameters.items() if k != "contact"})
        if "contact" in parameters:
            stored["contact"] = reference(parameters["contact"])
        return stored

    flow.serialize_parameters = serialize_parameters  # type: ignore[method-assign]
    return flow
