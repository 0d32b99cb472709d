"""`GET /help` (signed like the intake, over the query string) and `GET /help/articles/{topic}`
(open): the in-app help API, served beside the intake."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import ValidationError

from integrations import Platform, PlatformError
from integrations.rephraser import Rephraser
from onetouch.casestore import CaseStore
from onetouch.help.kb import knowledge_base
from onetouch.help.query import HelpQuery
from onetouch.help.service import HelpNotFound, HelpService
from onetouch.inputs import error_field, printable, shown
from onetouch.intake.limits import RateLimits
from onetouch.intake.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRejected,
    verify,
)
from onetouch.models import Contact
from onetouch.settings import Settings
from policy.config import load_policy

Dispatch = Callable[[dict[str, Any]], str | None]


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    extra = {"field": field} if field else {}
    return JSONResponse(status_code=status,
                        content={"error": {"code": code, "message": message, **extra}})


def _shared_platform(settings: Settings) -> Callable[[], Platform]:
    """One platform client for every request, made on first use."""
    lock = threading.Lock()
    held: list[Platform] = []

    def get() -> Platform:
        with lock:
            if not held:
                held.append(Platform.from_settings(settings))
            return held[0]
    return get


def intake_start(store: CaseStore, dispatch: Dispatch) -> Callable[[Contact, dict], bool]:
    """The intake's own path: store the contact once, then dispatch it; True when new."""
    def start(contact: Contact, raw: dict[str, Any]) -> bool:
        from onetouch.intake.app import keep, pass_on

        if keep(contact, raw, store, dispatch).status_code != 202:
            return False
        pass_on(contact.id, raw, store, dispatch)
        return True
    return start


def refused(request: Request, settings: Settings, now: float) -> JSONResponse | None:
    """The 401 for a request whose query string is not signed with the intake's secret, fresh."""
    try:
        verify(settings.intake_secret.get_secret_value(), request.headers.get(TIMESTAMP_HEADER),
               request.headers.get(SIGNATURE_HEADER), request.scope.get("query_string", b""),
               now, settings.intake_max_skew_s)
    except SignatureRejected as exc:
        hint = " (HMAC over '<timestamp>.' + the query string as sent)" if (
            str(exc) == "wrong signature") else ""
        return _error(401, "unauthorized", f"{exc}{hint}")
    return None


def help_router(settings: Settings, store: CaseStore, dispatch: Dispatch,
                platform: Platform | None = None, rephraser: Rephraser | None = None,
                intent_model: Callable[[], Any] | None = None,
                clock: Callable[[], float] = time.time,
                limits: RateLimits | None = None) -> APIRouter:
    """The help routes over the platform, the case store and the intake's dispatch."""
    service = HelpService(
        (lambda: platform) if platform is not None else _shared_platform(settings), store,
        intake_start(store, dispatch), load_policy(settings.policy_file),
        settings.templates_dir, rephraser or Rephraser.from_settings(settings), intent_model)
    router = APIRouter(tags=["help"])
    limits = limits or RateLimits.from_settings(settings)

    @router.get("/help")
    def get_help(request: Request) -> JSONResponse:
        """The driver's own facts on the question, and a resolution started when owed."""
        if (too_many := limits.sender(request)) is not None:
            return too_many.response()
        if (refusal := refused(request, settings, clock())) is not None:
            return refusal  # nothing read, validated or started
        try:
            query = HelpQuery.model_validate(dict(request.query_params))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = error_field(first, root="query")
            return _error(422, "invalid_query", f"field '{field}': {printable(first['msg'])}",
                          field)
        if query.screen is None and not query.q.strip():
            return _error(422, "invalid_query", "field 'q': give a screen or a question", "q")
        if (too_many := limits.driver(query.driver_id)) is not None:
            return too_many.response()
        try:
            return JSONResponse(service.answer(query))
        except HelpNotFound as exc:
            return _error(404, "not_found", str(exc), exc.field)
        except PlatformError as exc:
            return _error(503, "platform_unavailable", f"platform: {type(exc).__name__}")

    router.add_api_route("/help/articles/{topic}", article, methods=["GET"])
    return router


def article(topic: str, lang: str = "en") -> Response:
    """One help article as markdown."""
    if lang not in ("en", "es"):
        return _error(422, "invalid_query", "field 'lang': one of en, es", "lang")
    found = knowledge_base(lang).topic(topic)
    if found is None:
        return _error(404, "not_found", f"no help article {shown(topic)!r}", "topic")
    return PlainTextResponse(f"# {found.title}\n\n{found.body}\n",
                             media_type="text/markdown; charset=utf-8")
