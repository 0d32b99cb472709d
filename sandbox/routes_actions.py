"""The action routes: pay adjustments, offer reissue, deposit retry and notifications."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import Response
from pydantic import ValidationError

from .actions import (
    ActionBody,
    NotificationBody,
    PayAdjustment,
    ReferenceBody,
    pay_adjustment,
    reissue_offer,
    retry_deposit,
    run_idempotent,
    send_notification,
)
from .deps import DbDep
from .errors import ApiError, invalid

router = APIRouter()
IdempotencyKey = Annotated[str | None, Header()]
JsonBody = Annotated[Any, Body()]
MAX_KEY_LENGTH = 255
B = TypeVar("B", bound=ActionBody)


def _key(value: str | None) -> str:
    """The Idempotency-Key header, or 400."""
    if value is None or not value.strip():
        raise ApiError(400, "missing_idempotency_key", "the Idempotency-Key header is required")
    if len(value) > MAX_KEY_LENGTH:
        raise ApiError(400, "bad_idempotency_key", f"keys are at most {MAX_KEY_LENGTH} characters")
    return value


def _parse(model: type[B], body: Any) -> B:
    """The validated action body, or 422 naming the bad fields."""
    try:
        return model.model_validate({} if body is None else body)
    except ValidationError as exc:
        raise invalid(exc) from exc


def _act(request: Request, db: Any, idempotency_key: str | None, body: Any,
         model: type[B], effect: Any, **bound: Any) -> Response:
    """Check the key and body, then run the effect once under the key."""
    key = _key(idempotency_key)
    parsed = _parse(model, body)
    if not bound:
        bound = {"body": parsed}
    return run_idempotent(db, key, request.url.path, parsed, partial(effect, **bound))


@router.post("/pay-adjustments", status_code=201)
def post_pay_adjustment(
    request: Request, db: DbDep, idempotency_key: IdempotencyKey = None, body: JsonBody = None
) -> Response:
    """Add a remediation Earning."""
    return _act(request, db, idempotency_key, body, PayAdjustment, pay_adjustment)


@router.post("/offers/{offer_id}/reissue", status_code=201)
def post_reissue(
    offer_id: str, request: Request, db: DbDep, idempotency_key: IdempotencyKey = None,
    body: JsonBody = None,
) -> Response:
    """Reissue an offer for the same order and driver."""
    return _act(request, db, idempotency_key, body, ReferenceBody, reissue_offer,
                offer_id=offer_id)


@router.post("/deposits/{deposit_id}/retry", status_code=201)
def post_deposit_retry(
    deposit_id: str, request: Request, db: DbDep, idempotency_key: IdempotencyKey = None,
    body: JsonBody = None,
) -> Response:
    """Retry a failed deposit."""
    return _act(request, db, idempotency_key, body, ReferenceBody, retry_deposit,
                deposit_id=deposit_id)


@router.post("/notifications", status_code=201)
def post_notification(
    request: Request, db: DbDep, idempotency_key: IdempotencyKey = None, body: JsonBody = None
) -> Response:
    """Record a notification to a driver."""
    return _act(request, db, idempotency_key, body, NotificationBody, send_notification)
