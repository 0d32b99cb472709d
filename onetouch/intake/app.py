"""The intake API: signed contacts in, stored before answering, handed to Prefect by an event."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from onetouch.casestore import CaseStore
from onetouch.intake.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRejected,
    verify,
)
from onetouch.models import Contact, utc_now
from onetouch.settings import Settings, get_settings
from policy.case import case_id_for

CONTACT_EVENT = "driver.contact.received"
MAX_BODY_BYTES = 64_000
LOG = logging.getLogger("onetouch.intake")
Dispatch = Callable[[dict[str, Any]], None]


def emit_contact_event(raw: dict[str, Any]) -> None:
    """Tell Prefect a contact arrived; the resolve-contact deployment's trigger starts its run."""
    from prefect.events import emit_event

    emit_event(event=CONTACT_EVENT, resource={
        "prefect.resource.id": f"onetouch.contact.{raw['id']}",
        "prefect.resource.name": f"contact-{raw['id']}"}, payload=raw)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"error": {"code": code, "message": message, **extra}})


def _field_error(exc: ValidationError) -> JSONResponse:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "contact"
    return _error(422, "invalid_contact", f"field '{field}': {first['msg']}", field=field)


def create_app(settings: Settings | None = None, store: CaseStore | None = None,
               dispatch: Dispatch = emit_contact_event,
               clock: Callable[[], float] = time.time) -> FastAPI:
    """The intake app over one case store; `dispatch` hands a stored contact to the flows."""
    settings = settings or get_settings()
    store = store or CaseStore(settings.case_store_url)
    app = FastAPI(title="onetouch intake", version="1")

    @app.post("/contacts", status_code=202)
    async def receive_contact(request: Request) -> JSONResponse:
        """Verify, validate, store, then hand on; 202 with the case id once it is safe."""
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "too_large", f"body above {MAX_BODY_BYTES} bytes")
        try:
            verify(settings.intake_secret.get_secret_value(),
                   request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
                   body, clock(), settings.intake_max_skew_s)
        except SignatureRejected as exc:
            return _error(401, "unauthorized", str(exc))
        if not store.remember_signature(request.headers[SIGNATURE_HEADER].removeprefix("v1="),
                                        utc_now(), settings.intake_max_skew_s):
            return _error(401, "unauthorized", "replayed: this signed request was already used")
        return accept(body, store, dispatch)

    @app.get("/cases/{case_id}")
    def case(case_id: str) -> JSONResponse:
        """A case's status and, once resolved, its outcome."""
        status = store.case_status(case_id)
        if status is None:
            return _error(404, "not_found", f"case {case_id!r} not found")
        return JSONResponse(status)

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    return app


def accept(body: bytes, store: CaseStore, dispatch: Dispatch) -> JSONResponse:
    """Parse and validate a contact, keep it, then hand it on (a lost hand-off is swept up)."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, "invalid_json", f"body is not JSON: {exc}")
    if not isinstance(raw, dict):
        return _error(422, "invalid_contact", "body must be a JSON object", field="contact")
    try:
        contact = Contact.model_validate(raw)
    except ValidationError as exc:
        return _field_error(exc)
    case_id = case_id_for(contact.id)
    if not store.store_contact(contact, raw):
        return JSONResponse(status_code=200, content={"case_id": case_id, "duplicate": True})
    try:
        dispatch(raw)
        store.mark_dispatched(contact.id, utc_now())
    except Exception as exc:  # noqa: BLE001 - the contact is stored; the sweep hands it on
        LOG.warning("contact %s stored, hand-off failed (%s); the sweep will retry",
                    contact.id, type(exc).__name__)
    return JSONResponse(status_code=202, content={"case_id": case_id, "status": "received"})
