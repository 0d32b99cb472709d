"""Error answers in the contract's shape: {"error": code, "detail": text}."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answered to the client with a status, a code and a detail."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


def error_response(
    status: int, code: str, detail: str = "", headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON error answer."""
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def describe_errors(errors: Iterable[Mapping[str, Any]], skip_body: bool = True) -> str:
    """One line naming each bad field (dotted path) and what is wrong with it."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if skip_body and loc and loc[0] == "body":
            loc = loc[1:]
        if err.get("type") == "json_invalid":
            loc = []
        parts.append(f"{'.'.join(loc) or '(document)'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def invalid(exc: ValidationError, code: str = "invalid_request") -> ApiError:
    """A 422 ApiError from a pydantic ValidationError."""
    return ApiError(422, code, describe_errors(exc.errors(include_url=False), skip_body=False))


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the contract's JSON shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", describe_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(500, "internal_error", type(exc).__name__)
