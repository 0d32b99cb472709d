"""The sandbox platform as a FastAPI app over a SQLite file."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

from . import routes_actions, routes_admin, routes_read
from .db import Database
from .errors import error_response, install_error_handlers
from .faults import CallNext, FaultInjector, install_fault_middleware
from .store import ensure_clock


def create_app(db_path: str | Path, api_key: str | None = None) -> FastAPI:
    """Build the sandbox app on the SQLite file at db_path; require the bearer key if given."""
    db = Database.open(db_path)
    with db.writer() as session:
        ensure_clock(session)
        session.commit()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.close()

    app = FastAPI(title="onetouch platform sandbox", lifespan=lifespan)
    app.state.db = db
    app.state.faults = FaultInjector()
    install_error_handlers(app)
    app.include_router(routes_read.router)
    app.include_router(routes_actions.router)
    app.include_router(routes_admin.router)
    install_fault_middleware(app)
    if api_key:
        _install_auth(app, api_key)
    return app


def _install_auth(app: FastAPI, api_key: str) -> None:
    """Refuse with 401 every request without `Authorization: Bearer <api_key>`."""
    expected = api_key.encode()

    @app.middleware("http")
    async def _require_bearer(request: Request, call_next: CallNext) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), expected):
            headers = {"WWW-Authenticate": "Bearer"}
            return error_response(401, "unauthorized", "a valid bearer key is required", headers)
        return await call_next(request)
