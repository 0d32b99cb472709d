"""The columnar screen ahead of detection: DuckDB checks every row of the window's earnings and
offers against the models, and hands Python only the offers the amount rules could find owed
(with their earnings); None when any row fails a check, so the caller reads every row instead."""

from __future__ import annotations

import json
import logging
import types
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import duckdb
from annotated_types import Ge, Gt
from pydantic import BaseModel, ValidationError

from integrations.exports import list_adapter
from onetouch.models import Earning, Incentive, Offer
from policy.config import PolicyConfig
from policy.detect import detection_since

log = logging.getLogger(__name__)

UTC_SHAPE = "____-__-__T__:__:__%"
UTC_FORMATS = "['%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%M:%S.%fZ']"
INTEGER_JSON = ("UBIGINT", "BIGINT")
KEY_SAMPLE = 512
TABLES: dict[str, type[BaseModel]] = {"earnings": Earning, "offers": Offer}
MEMORY_LIMIT = "1GB"

PAID_SQL = """
CREATE TEMP TABLE paid AS
SELECT driver_id, coalesce(nullif(offer_id, ''), nullif(incentive_id, ''), '') AS subject,
       sum(amount_cents_int) FILTER (kind = 'base') AS base,
       sum(amount_cents_int) FILTER (kind = 'tip') AS tip,
       count(*) FILTER (kind = 'wait_time') AS waits,
       sum(amount_cents_int) FILTER (kind = 'cancellation') AS cancellation,
       count(*) FILTER (kind = 'incentive') AS rewards
FROM earnings GROUP BY ALL
"""

PASSED_SQL = """
CREATE TEMP TABLE passed AS
WITH o AS (
    SELECT id, driver_id, zone, status, cancelled_by, cancel_reason, reissued_from,
           arrived_at_store IS NOT NULL AS arrived,
           base_pay_cents_int AS base, customer_tip_cents_int AS tip,
           delivered_at_ts AS delivered, cancelled_at_ts AS cancelled,
           epoch(picked_up_at_ts) - epoch(arrived_at_store_ts) AS waited
    FROM offers
), owed AS (
    SELECT o.id FROM o LEFT JOIN paid p ON p.driver_id = o.driver_id AND p.subject = o.id
    WHERE o.status = 'delivered' AND o.delivered BETWEEN $since AND $posted
          AND (o.base > coalesce(p.base, 0) OR o.tip > coalesce(p.tip, 0)
               OR coalesce(p.waits, 0) = 0 AND o.waited >= $free_seconds)
       OR o.status = 'cancelled' AND o.cancelled BETWEEN $since AND $now
          AND (o.arrived AND o.cancelled_by IN ('customer', 'store', 'system')
                   AND coalesce(p.cancellation, 0) < o.base
               OR o.cancelled_by IN ('store', 'system')
                   AND coalesce(p.cancellation, 0) < o.base // 2
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
        con.execute("SET TimeZone = 'UTC'; SET preserve_insertion_order = false")
        if not all(_load(con, name, files[name]) for name in TABLES):
            log.warning("the screen stepped aside: a row does not fit the models")
            return None
        _load_challenges(con, incentives)
        con.execute(PAID_SQL)
        con.execute(PASSED_SQL, {
            "now": now, "since": detection_since(now, policy),
            "posted": now - timedelta(minutes=policy.pay_grace_minutes),
            "free_seconds": policy.wait_free_minutes * 60})
        return _passed(con)
    except (duckdb.Error, ValidationError) as exc:
        log.warning("the screen stepped aside: %s", type(exc).__name__)
        return None
    finally:
        con.close()


def _load(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> bool:
    """One export into a table with its times and cents typed, every row checked; False when
    a row or a key does not fit."""
    model = TABLES[name]
    if _unknown_keys(model, path):
        return False
    columns = ", ".join(f"{field}: '{_column_type(model, field)}'" for field in model.model_fields)
    fits = "coalesce(" + " AND ".join(f"({check})" for check in row_checks(model)) + ", false)"
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT *, {fits} AS fits FROM ("
                f"SELECT *, {', '.join(_typed(model))} "
                f"FROM read_ndjson(?, columns = {{{columns}}}))", [str(path)])
    return _count(con, f"{name} WHERE NOT fits") == 0


def _unknown_keys(model: type[BaseModel], path: Path) -> bool:
    """Keys outside the model, or a line that is not a JSON object, in the file's first lines."""
    with path.open("rb") as file:
        try:
            keys = set().union(*(json.loads(line) for line in islice(file, KEY_SAMPLE)
                                 if line.strip()))
        except (ValueError, TypeError):
            return True
    return bool(keys - set(model.model_fields))


def _typed(model: type[BaseModel]) -> list[str]:
    """Each time parsed (`<field>_ts`, NULL when it is not ISO-8601 UTC with a Z) and each
    cents figure as an integer (`<field>_int`, NULL when the JSON is not an integer)."""
    typed = []
    for name, field in model.model_fields.items():
        leaves = _leaves(field.annotation)
        if datetime in leaves:
            typed.append(f"try_strptime({name}, {UTC_FORMATS}) AS {name}_ts")
        elif int in leaves:
            typed.append(f"CASE WHEN json_type({name}) IN {INTEGER_JSON} "
                         f"THEN try_cast({name} AS BIGINT) END AS {name}_int")
    return typed


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
            checks.append(f"{name} IS NULL OR {name} LIKE '{UTC_SHAPE}' AND {name}_ts IS NOT NULL")
        elif int in leaves:
            checks.append(f"{name} IS NULL OR coalesce({name}_int {_bound(field.metadata)}, false)")
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
    pairs = [(i, driver_id) for i in incentives for driver_id in sorted(set(i.enrolled_driver_ids))]
    con.execute(
        "CREATE TEMP TABLE challenges AS SELECT unnest($ids::VARCHAR[]) AS incentive_id, "
        "unnest($drivers::VARCHAR[]) AS driver_id, unnest($zones::VARCHAR[]) AS zone, "
        "unnest($starts::TIMESTAMPTZ[]) AS starts_at, unnest($ends::TIMESTAMPTZ[]) AS ends_at, "
        "unnest($required::BIGINT[]) AS required",
        {"ids": [i.id for i, _ in pairs], "drivers": [d for _, d in pairs],
         "zones": [i.zone for i, _ in pairs], "starts": [i.starts_at for i, _ in pairs],
         "ends": [i.ends_at for i, _ in pairs],
         "required": [i.required_deliveries for i, _ in pairs]})


def _passed(con: duckdb.DuckDBPyConnection) -> Screened:
    """The rows that passed, as models, and the rows checked."""
    earnings_read, offers_read = _count(con, "earnings"), _count(con, "offers")
    earnings = _rows(con, Earning, "earnings", "coalesce(offer_id, '') = '' "
                                               "OR offer_id IN (SELECT id FROM passed)")
    offers = _rows(con, Offer, "offers", "id IN (SELECT id FROM passed)")
    return Screened(earnings, offers, {"earnings": earnings_read, "offers": offers_read})


def _count(con: duckdb.DuckDBPyConnection, rows: str) -> int:
    """How many rows `SELECT count(*) FROM <rows>` counts (its one row)."""
    counted = con.execute(f"SELECT count(*) FROM {rows}").fetchone()
    assert counted is not None
    return counted[0]


def _rows(con: duckdb.DuckDBPyConnection, model: type[BaseModel], table: str, where: str
          ) -> list[Any]:
    """The rows of a table that meet a condition, validated as models."""
    names = list(model.model_fields)
    columns = ", ".join(f"{name}_int AS {name}" if _column_type(model, name) == "JSON" else name
                        for name in names)
    rows = con.execute(f"SELECT {columns} FROM {table} WHERE {where}").fetchall()
    return list_adapter(model).validate_python([dict(zip(names, row, strict=True)) for row in rows])
