"""Paged reads, single-entity reads, the clock and NDJSON exports."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import ColumnElement, select

from onetouch.models import (
    DepositStatus,
    EarningKind,
    EarningSource,
    OfferStatus,
    OrderStatus,
    UtcDatetime,
    format_utc,
)

from .db import ENTITY_TABLES, Database, enrollments
from .deps import Cursor, DbDep, Limit, json_text
from .errors import ApiError
from .paging import equal_to, export_lines, page_json, time_range, unindexed
from .store import get_clock, get_entity_json

router = APIRouter()
T = ENTITY_TABLES
EXPORT_TIME = {
    "offers": "export_at",
    "earnings": "created_at",
    "incentives": "ends_at",
    "deposits": "created_at",
}


def _page(
    db: Database, name: str, where: Sequence[ColumnElement[bool]], cursor: str | None, limit: int
) -> Response:
    """Answer one page of an entity list."""
    with db.reader() as session:
        return json_text(page_json(session, T[name], where, cursor, limit))


def _one(db: Database, name: str, entity_id: str) -> Response:
    """Answer one entity or 404."""
    with db.reader() as session:
        data = get_entity_json(session, name, entity_id)
    if data is None:
        raise ApiError(404, "not_found", f"{name[:-1]} {entity_id!r} not found")
    return json_text(data)


@router.get("/drivers")
def list_drivers(db: DbDep, cursor: Cursor = None, limit: Limit = 100) -> Response:
    """Drivers by id."""
    return _page(db, "drivers", [], cursor, limit)


@router.get("/drivers/{driver_id}")
def read_driver(driver_id: str, db: DbDep) -> Response:
    """One driver."""
    return _one(db, "drivers", driver_id)


@router.get("/stores")
def list_stores(
    db: DbDep, zone: str | None = None, cursor: Cursor = None, limit: Limit = 100
) -> Response:
    """Stores, optionally in one zone."""
    return _page(db, "stores", equal_to(T["stores"], zone=zone), cursor, limit)


@router.get("/orders")
def list_orders(
    db: DbDep, status: OrderStatus | None = None, cursor: Cursor = None, limit: Limit = 100
) -> Response:
    """Orders, optionally with one status."""
    return _page(db, "orders", equal_to(T["orders"], status=status), cursor, limit)


@router.get("/orders/{order_id}")
def read_order(order_id: str, db: DbDep) -> Response:
    """One order."""
    return _one(db, "orders", order_id)


@router.get("/offers")
def list_offers(
    db: DbDep,
    driver_id: str | None = None,
    order_id: str | None = None,
    reissued_from: str | None = None,
    status: OfferStatus | None = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Offers filtered by driver, order, origin, status and accepted_at window."""
    table = T["offers"]
    where = equal_to(
        table, driver_id=driver_id, order_id=order_id, reissued_from=reissued_from, status=status
    )
    where += time_range(table.c.accepted_at, since, until)
    return _page(db, "offers", where, cursor, limit)


@router.get("/offers/{offer_id}")
def read_offer(offer_id: str, db: DbDep) -> Response:
    """One offer."""
    return _one(db, "offers", offer_id)


@router.get("/earnings")
def list_earnings(
    db: DbDep,
    driver_id: str | None = None,
    offer_id: str | None = None,
    incentive_id: str | None = None,
    kind: EarningKind | None = None,
    source: EarningSource | None = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Earnings filtered by driver, offer, incentive, kind, source and created_at window."""
    table = T["earnings"]
    where = equal_to(
        table,
        driver_id=driver_id,
        offer_id=offer_id,
        incentive_id=incentive_id,
        kind=kind,
        source=source,
    )
    where += time_range(table.c.created_at, since, until)
    return _page(db, "earnings", where, cursor, limit)


@router.get("/incentives")
def list_incentives(
    db: DbDep,
    zone: str | None = None,
    driver_id: str | None = None,
    ends_after: UtcDatetime | None = None,
    ends_before: UtcDatetime | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Incentives filtered by zone, enrolled driver and ends_at window."""
    table = T["incentives"]
    where = equal_to(table, zone=zone) + time_range(table.c.ends_at, ends_after, ends_before)
    if driver_id is not None:
        enrolled = select(enrollments.c.incentive_id).where(enrollments.c.driver_id == driver_id)
        where.append(table.c.id.in_(enrolled))
    return _page(db, "incentives", where, cursor, limit)


@router.get("/incentives/{incentive_id}")
def read_incentive(incentive_id: str, db: DbDep) -> Response:
    """One incentive."""
    return _one(db, "incentives", incentive_id)


@router.get("/deposits")
def list_deposits(
    db: DbDep,
    driver_id: str | None = None,
    status: DepositStatus | None = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Deposits filtered by driver, status and created_at window."""
    table = T["deposits"]
    where = equal_to(table, driver_id=driver_id, status=status)
    where += time_range(table.c.created_at, since, until)
    return _page(db, "deposits", where, cursor, limit)


@router.get("/deposits/{deposit_id}")
def read_deposit(deposit_id: str, db: DbDep) -> Response:
    """One deposit."""
    return _one(db, "deposits", deposit_id)


@router.get("/notifications")
def list_notifications(
    db: DbDep,
    driver_id: str | None = None,
    reference: str | None = None,
    idempotency_key: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Notifications filtered by driver, reference and idempotency key."""
    where = equal_to(
        T["notifications"],
        driver_id=driver_id,
        reference=reference,
        idempotency_key=idempotency_key,
    )
    return _page(db, "notifications", where, cursor, limit)


@router.get("/clock")
def read_clock(db: DbDep) -> dict[str, str]:
    """The platform's current time."""
    with db.reader() as session:
        return {"now": format_utc(get_clock(session))}


@router.get("/exports/{entity}")
def export(
    entity: str,
    db: DbDep,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
) -> StreamingResponse:
    """Every entity whose time falls in [since, until), as NDJSON."""
    if entity not in EXPORT_TIME:
        raise ApiError(404, "not_found", f"no export for {entity!r}; one of {sorted(EXPORT_TIME)}")
    table = T[entity]
    where = time_range(unindexed(table.c[EXPORT_TIME[entity]]), since, until)
    return StreamingResponse(
        export_lines(db.reader, table, where), media_type="application/x-ndjson"
    )
