"""Sandbox administration: load and dump the world, set the clock, configure faults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from onetouch.models import UtcDatetime, World, format_utc

from .deps import DbDep, json_text
from .errors import ApiError
from .faults import ALL_ROUTES, FaultConfig, route_keys
from .store import ENTITY_NAMES, dump_state_json, load_world, set_clock, world_problems

router = APIRouter(prefix="/admin")


class ClockBody(BaseModel):
    """The body of PUT /admin/clock."""

    model_config = ConfigDict(extra="forbid")

    now: UtcDatetime


@router.put("/world")
def put_world(world: World, request: Request, db: DbDep) -> dict[str, Any]:
    """Replace all state with a world; the clock becomes its now and faults are cleared."""
    problems = world_problems(world)
    if problems:
        raise ApiError(422, "invalid_world", "; ".join(problems))
    with db.writer() as session:
        load_world(session, world)
        session.commit()
    request.app.state.faults.clear()
    counts = {name: len(getattr(world, name)) for name in ENTITY_NAMES}
    return {"now": format_utc(world.now), "counts": counts}


@router.get("/state")
def get_state(db: DbDep) -> Response:
    """Every entity list plus notifications and now."""
    with db.reader() as session:
        return json_text(dump_state_json(session))


@router.put("/clock")
def put_clock(body: ClockBody, db: DbDep) -> dict[str, str]:
    """Set the platform clock."""
    with db.writer() as session:
        set_clock(session, body.now)
        session.commit()
    return {"now": format_utc(body.now)}


@router.get("/faults")
def get_faults(request: Request) -> dict[str, Any]:
    """The fault configuration in force, and how many faults it has injected."""
    faults = request.app.state.faults
    return faults.config.model_dump() | {"injected": dict(faults.injected)}


@router.put("/faults")
def put_faults(config: FaultConfig, request: Request) -> dict[str, Any]:
    """Install a fault configuration (route keys as declared, or "*")."""
    known = {k for k in route_keys(request.app) if " /admin" not in k} | {ALL_ROUTES}
    unknown = sorted(set(config.routes) - known)
    if unknown:
        raise ApiError(422, "invalid_request", f"routes: unknown route keys {unknown}")
    request.app.state.faults.configure(config)
    return config.model_dump()


@router.delete("/faults")
def delete_faults(request: Request) -> dict[str, Any]:
    """Remove every fault."""
    request.app.state.faults.clear()
    return request.app.state.faults.config.model_dump()
