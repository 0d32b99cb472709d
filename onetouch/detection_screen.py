"""The columnar screen ahead of detection: DuckDB checks every row of the window's earnings and
offers against the models, and hands Python only the offers the amount rules could find owed
(with their earnings); None when any row fails a check, so the caller reads every row instead."""

from __future__ import annotations

import functools
import types
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import duckdb
from annotated_types import Ge, Gt
from pydantic import BaseModel, TypeAdapter, ValidationError

from onetouch.models import Earning, Incentive, Offer
from policy.config import PolicyConfig

UTC_TEXT = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z"
INTEGER_JSON = ("UBIGINT", "BIGINT")
TABLES: dict[str, type[BaseModel]] = {"earnings": Earning, "offers": Offer}
MEMORY_LIMIT = "1GB"

PAID_SQL = """
CREATE TEMP TABLE paid AS
SELECT driver_id, coalesce(nullif(offer_id, ''), nullif(incentive_id, ''), '') AS subject,
       sum(amount_cents::BIGINT) FILTER (kind = 'base') AS base,
       sum(amount_cents::BIGINT) FILTER (kind = 'tip') AS tip,
       count(*) FILTER (kind = 'wait_time') AS waits,
       sum(amount_cents::BIGINT) FILTER (kind = 'cancellation') AS cancellation,
       count(*) FILTER (kind = 'incentive') AS rewards
FROM earnings GROUP BY ALL
"""

PASSED_SQL = """
CREATE TEMP TABLE passed AS
WITH o AS (
    SELECT id, driver_id, zone, status, cancelled_by, cancel_reason, reissued_from,
           base_pay_cents::BIGINT AS base, customer_tip_cents::BIGINT AS tip,
           delivered_at::TIMESTAMPTZ AS delivered, cancelled_at::TIMESTAMPTZ AS cancelled,
           epoch(picked_up_at::TIMESTAMPTZ) - epoch(arrived_at_store::TIMESTAMPTZ) AS waited
    FROM offers
), owed AS (
    SELECT o.id FROM o LEFT JOIN paid p ON p.driver_id = o.driver_id AND p.subject = o.id
    WHERE o.status = 'delivered' AND o.delivered BETWEEN $since AND $posted
          AND (o.base > coalesce(p.base, 0) OR o.tip > coalesce(p.tip, 0)
               OR coalesce(p.waits, 0) = 0 AND o.waited >= $free_seconds)
       OR o.status = 'cancelled' AND o.cancelled BETWEEN $since AND $now
          AND o.cancelled_by IN ('customer', 'store', 'system')
          AND (coalesce(p.cancellation, 0) < o.base
               OR o.cancelled_by = 'system' AND o.cancel_reason = 'app_error')
       OR o.reissued_from IS NOT NULL
), unpaid AS (
    SELECT c.* FROM challenges c
    LEFT JOIN paid p ON p.driver_id = c.driver_id AND p.subject = c.incentive_id
    WHERE coalesce(p.rewards, 0) = 0
), progress AS (
    SELECT o.id, u.required, count(*) OVER (PARTITION BY u.incentive_id, u.driver_id) AS done
    FROM o JOIN unpaid u ON o.driver_id = u.driver_id AND o.zone = u.zone
                        AND o.delivered BETWEEN u.starts_at AND u.ends_at
)
SELECT id FROM owed UNION SELECT id FROM progress WHERE done >= required
"""


class Screened(NamedTuple):
    """What passed the screen, and how many rows of each file it checked."""

    earnings: list[Earning]
    offers: list[Offer]
    scanned: dict[str, int]


def screen(files: dict[str, Path], now: datetime, policy: PolicyConfig,
           incentives: list[Incentive], workdir: Path) -> Screened | None:
    """The offers that could be owed and every earning they need, or None to read every row."""
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT,
                                 "temp_directory": str(workdir / "duckdb.tmp")})
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not all(_load(con, name, files[name]) for name in TABLES):
            return None
        _load_challenges(con, incentives)
        con.execute(PAID_SQL)
        since = now - timedelta(hours=policy.detection_window_hours)
        con.execute(PASSED_SQL, {
            "now": now, "since": since, "posted": now - timedelta(minutes=policy.pay_grace_minutes),
            "free_seconds": policy.wait_free_minutes * 60})
        return _passed(con)
    except (duckdb.Error, ValidationError):
        return None
    finally:
        con.close()


def _load(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> bool:
    """One export into a table, every row checked; False when a row or a key does not fit."""
    model = TABLES[name]
    if path.stat().st_size and _unknown_keys(con, model, path):
        return False
    columns = ", ".join(f"{field}: '{_column_type(model, field)}'" for field in model.model_fields)
    con.execute(f"CREATE TEMP TABLE {name} AS "
                f"SELECT * FROM read_ndjson(?, columns = {{{columns}}})", [str(path)])
    checks = " AND ".join(f"coalesce({check}, false)" for check in row_checks(model))
    (bad,) = con.execute(f"SELECT count(*) FROM {name} WHERE NOT ({checks})").fetchone()
    return bad == 0


def _unknown_keys(con: duckdb.DuckDBPyConnection, model: type[BaseModel], path: Path) -> bool:
    """Keys outside the model in the rows DuckDB samples to find the file's columns."""
    found = {row[0] for row in con.execute("DESCRIBE SELECT * FROM read_ndjson(?)",
                                           [str(path)]).fetchall()}
    return bool(found - set(model.model_fields))


def _leaves(annotation: Any) -> list[Any]:
    """The plain types and literal values a field admits, None left out."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _leaves(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [leaf for arg in get_args(annotation) for leaf in _leaves(arg)]
    if origin is Literal:
        return list(get_args(annotation))
    return [] if annotation is type(None) else [annotation]


def _column_type(model: type[BaseModel], field: str) -> str:
    return "JSON" if int in _leaves(model.model_fields[field].annotation) else "VARCHAR"


def row_checks(model: type[BaseModel]) -> list[str]:
    """SQL conditions every row must meet for the model to accept it, field by field."""
    checks = []
    for name, field in model.model_fields.items():
        leaves = _leaves(field.annotation)
        if field.is_required():
            checks.append(f"{name} IS NOT NULL")
        if datetime in leaves:
            checks.append(f"{name} IS NULL OR regexp_full_match({name}, '{UTC_TEXT}')"
                          f" AND try_cast({name} AS TIMESTAMPTZ) IS NOT NULL")
        elif int in leaves:
            checks.append(f"{name} IS NULL OR json_type({name}) IN {INTEGER_JSON}"
                          f" AND {name}::BIGINT {_bound(field.metadata)}")
        elif leaves and all(isinstance(leaf, str) for leaf in leaves):
            checks.append(f"{name} IS NULL OR {name} IN {tuple(leaves)}")
    if model is Offer:
        checks += ["status <> 'delivered' OR delivered_at IS NOT NULL",
                   "status <> 'cancelled' OR cancelled_at IS NOT NULL"]
    return checks


def _bound(metadata: list[Any]) -> str:
    for item in metadata:
        if isinstance(item, Gt):
            return f"> {item.gt}"
        if isinstance(item, Ge):
            return f">= {item.ge}"
    return "IS NOT NULL"


def _load_challenges(con: duckdb.DuckDBPyConnection, incentives: list[Incentive]) -> None:
    """Each enrolled driver of each ended challenge, with what the challenge asks."""
    con.execute("CREATE TEMP TABLE challenges (incentive_id VARCHAR, driver_id VARCHAR, "
                "zone VARCHAR, starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ, required BIGINT)")
    rows = [(i.id, driver_id, i.zone, i.starts_at, i.ends_at, i.required_deliveries)
            for i in incentives for driver_id in sorted(set(i.enrolled_driver_ids))]
    if rows:
        con.executemany("INSERT INTO challenges VALUES (?, ?, ?, ?, ?, ?)", rows)


def _passed(con: duckdb.DuckDBPyConnection) -> Screened:
    """The rows that passed, as models, and the rows checked."""
    (earnings_read,) = con.execute("SELECT count(*) FROM earnings").fetchone()
    (offers_read,) = con.execute("SELECT count(*) FROM offers").fetchone()
    earnings = _rows(con, Earning, "SELECT * FROM earnings WHERE coalesce(offer_id, '') = '' "
                                   "OR offer_id IN (SELECT id FROM passed)")
    offers = _rows(con, Offer, "SELECT * FROM offers WHERE id IN (SELECT id FROM passed)")
    return Screened(earnings, offers, {"earnings": earnings_read, "offers": offers_read})


def _rows(con: duckdb.DuckDBPyConnection, model: type[BaseModel], query: str) -> list[Any]:
    """A query's rows validated as models (integers arrive as JSON text)."""
    result = con.execute(query)
    names = [column[0] for column in result.description]
    cents = {name for name in names if _column_type(model, name) == "JSON"}
    rows = [{name: int(value) if name in cents and value is not None else value
             for name, value in zip(names, row, strict=True)} for row in result.fetchall()]
    return _list_of(model).validate_python(rows)


@functools.cache
def _list_of(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]
