"""The intake API: signed contacts in, stored before answering, then handed to the resolvers."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.background import BackgroundTask

from flows.dispatch import hand_on
from flows.resolver import Submitter
from onetouch.casestore import CaseStore
from onetouch.inputs import error_field, printable, shown
from onetouch.intake.limits import RateLimits
from onetouch.intake.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRejected,
    reader_refusal,
    verify,
)
from onetouch.models import Contact, utc_now
from onetouch.settings import Settings, get_settings
from policy.case import case_id_for

MAX_BODY_BYTES = 64_000
LOG = logging.getLogger("onetouch.intake")
Dispatch = Callable[[dict[str, Any]], str | None]


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"error": {"code": code, "message": message, **extra}})


def _field_error(exc: ValidationError) -> JSONResponse:
    first = exc.errors()[0]
    field = error_field(first, root="contact")
    return _error(422, "invalid_contact", f"field '{field}': {printable(first['msg'])}",
                  field=field)


def create_app(settings: Settings | None = None, store: CaseStore | None = None,
               dispatch: Dispatch | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:
    """The intake app over one case store; `dispatch` hands a stored contact on (to the
    resolvers, through one submitter, unless another is given)."""
    settings = settings or get_settings()
    store = store or CaseStore(settings.case_store_url)
    submitter = Submitter()
    dispatch = dispatch or partial(hand_on, submitter=submitter)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(submitter.close)

    app = FastAPI(title="onetouch intake", version="1", lifespan=lifespan)
    limits = RateLimits.from_settings(settings)

    @app.post("/contacts", status_code=202)
    async def receive_contact(request: Request) -> JSONResponse:
        """Verify, validate, store, then hand on; 202 with the case id once it is safe."""
        if (too_many := limits.sender(request)) is not None:
            return too_many.response()
        body = b""
        async for chunk in request.stream():  # never more than the limit in memory
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _error(413, "too_large", f"body above {MAX_BODY_BYTES} bytes")
        try:
            verify(settings.intake_secret.get_secret_value(),
                   request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
                   body, clock(), settings.intake_max_skew_s)
        except SignatureRejected as exc:
            return _error(401, "unauthorized", str(exc))
        parsed = parse(body)
        if isinstance(parsed, JSONResponse):  # refused: nothing written, not even the signature
            return parsed
        if (too_many := limits.driver(parsed[0].driver_id)) is not None:
            return too_many.response()
        if not store.remember_signature(request.headers[SIGNATURE_HEADER].removeprefix("v1="),
                                        utc_now(), settings.intake_max_skew_s):
            return _error(401, "unauthorized", "replayed: this signed request was already used")
        return await run_in_threadpool(keep, *parsed, store, dispatch)

    @app.get("/cases/{case_id}")
    def case(case_id: str, request: Request) -> JSONResponse:
        """A case's status and, once resolved, its outcome: for a signed request or an agent."""
        refusal = reader_refusal(settings.intake_secret.get_secret_value(),
                                 settings.agent_token.get_secret_value(), request.headers,
                                 request.scope["path"].encode(), clock(),
                                 settings.intake_max_skew_s)
        if refusal is not None:
            return _error(401, "unauthorized", refusal)
        status = store.case_status(case_id)
        if status is None:
            return _error(404, "not_found", f"case {shown(case_id)!r} not found")
        return JSONResponse(status)

    from onetouch.help.api import help_router  # the in-app help API (docs/help.md)

    app.include_router(help_router(settings, store, dispatch, clock=clock, limits=limits))

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    return app


def parse(body: bytes) -> tuple[Contact, dict[str, Any]] | JSONResponse:
    """The contact in a body and the body's object, or the error answer naming what is wrong."""
    try:
        raw = json.loads(body)
    except RecursionError:
        return _error(400, "invalid_json", "body is not JSON: nested too deeply")
    except ValueError as exc:  # not UTF-8, not JSON, or an integer of over 4,300 digits
        return _error(400, "invalid_json", f"body is not JSON: {printable(str(exc))}")
    if not isinstance(raw, dict):
        return _error(422, "invalid_contact", "body must be a JSON object", field="contact")
    try:
        return Contact.model_validate(raw), raw
    except ValidationError as exc:
        return _field_error(exc)


def keep(contact: Contact, raw: dict[str, Any], store: CaseStore, dispatch: Dispatch
         ) -> JSONResponse:
    """Store a valid contact once: 202, and the hand-off runs once the answer is sent (a slow
    or unreachable Prefect server never holds up the intake; a lost hand-off is swept up);
    200 for one already stored."""
    case_id = case_id_for(contact.id)
    if not store.store_contact(contact, raw):
        return JSONResponse(status_code=200, content={"case_id": case_id, "duplicate": True})
    return JSONResponse(status_code=202, content={"case_id": case_id, "status": "received"},
                        background=BackgroundTask(pass_on, contact.id, raw, store, dispatch))


def pass_on(contact_id: str, raw: dict[str, Any], store: CaseStore, dispatch: Dispatch
             ) -> None:
    """Hand a stored contact on and note it; a failure is logged, the sweep retries."""
    try:
        store.mark_dispatched(contact_id, utc_now(), dispatch(raw))
    except Exception as exc:  # noqa: BLE001 - the contact is stored; the sweep hands it on
        LOG.warning("contact %s stored, hand-off failed (%s); the sweep will retry",
                    contact_id, type(exc).__name__)
