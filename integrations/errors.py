"""Typed errors raised by the platform clients; messages never carry bodies or personal data."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx

from onetouch.models import utc_now


class PlatformError(Exception):
    """A platform call that failed, with the HTTP status and the platform's error code."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.attempts = attempts

    def __str__(self) -> str:
        base = super().__str__()
        return base if self.attempts <= 1 else f"{base} (after {self.attempts} attempts)"


class BadRequest(PlatformError):
    """The platform refused the request as malformed or invalid (400, 422)."""


class Unauthorized(PlatformError):
    """The credentials were missing, wrong or not allowed (401, 403)."""


class NotFound(PlatformError):
    """The entity or route does not exist (404)."""


class Conflict(PlatformError):
    """The action conflicts with the platform's state or a reused idempotency key (409)."""


class RateLimited(PlatformError):
    """The platform asked the caller to slow down (429)."""

    retryable = True


class ServerError(PlatformError):
    """The platform failed (5xx)."""

    retryable = True


class Timeout(PlatformError):
    """The platform did not answer in time."""

    retryable = True


class ConnectionFailed(PlatformError):
    """The platform could not be reached."""

    retryable = True


class InvalidResponse(PlatformError):
    """The platform answered with a body that does not match the contract."""


_BY_STATUS: dict[int, type[PlatformError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    409: Conflict,
    422: BadRequest,
    429: RateLimited,
}


def error_class_for(status_code: int) -> type[PlatformError]:
    """The error class for an HTTP error status."""
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, PlatformError)


def error_from_response(response: httpx.Response, method: str, path: str) -> PlatformError:
    """The typed error for an unsuccessful answer."""
    code, detail = _error_fields(response)
    message = f"{method} {path}: HTTP {response.status_code}" + (f" {code}" if code else "")
    return error_class_for(response.status_code)(
        message,
        status_code=response.status_code,
        code=code,
        detail=detail,
        retry_after=_retry_after(response),
    )


def _error_fields(response: httpx.Response) -> tuple[str | None, str | None]:
    """The platform's error code and detail, when the body carries them."""
    try:
        response.read()
        data = response.json()
    except (ValueError, httpx.HTTPError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    code, detail = data.get("error"), data.get("detail")
    code = code[:100] if isinstance(code, str) and code else None
    return code, detail if isinstance(detail, str) else None


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header given as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utc_now()).total_seconds())
