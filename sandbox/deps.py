"""Shared request dependencies and parameter types for the route modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from .db import Database

JSON = "application/json"


def get_db(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db


DbDep = Annotated[Database, Depends(get_db)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query()]


def json_text(
    content: str, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response whose body is already JSON text."""
    return Response(content, status_code=status_code, media_type=JSON, headers=headers)
