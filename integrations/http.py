"""The one HTTP layer under every platform client: typed errors, retries, paging and streaming."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from integrations.errors import (
    ConnectionFailed,
    InvalidResponse,
    PlatformError,
    Timeout,
    error_from_response,
)
from onetouch.models import format_utc

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
Params = Mapping[str, Any]


class RetryPolicy(BaseModel):
    """How often and how patiently a failed call is tried again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(default=5, ge=1, le=20)
    base_delay_s: float = Field(default=0.1, ge=0)
    max_delay_s: float = Field(default=3.0, ge=0)
    max_retry_after_s: float = Field(default=60.0, ge=0)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential delay before the retry that follows `attempt`."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return rng.uniform(0.0, ceiling)

    def delay(self, attempt: int, error: PlatformError, rng: random.Random) -> float:
        """The server's Retry-After when it gave one, else the jittered backoff."""
        if error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after_s)
        return self.backoff(attempt, rng)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The answer to an action: the entity's JSON and whether the platform replayed it."""

    body: dict[str, Any]
    replayed: bool


class PlatformHttp:
    """JSON over an injected httpx.Client, with the project's only retry loop."""

    def __init__(
        self,
        client: httpx.Client,
        retry: RetryPolicy | None = None,
        *,
        page_size: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= page_size <= 500:
            raise ValueError("page_size must be between 1 and 500")
        self._client = client
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._sleep = sleep
        self._rng = rng or random.Random()

    @property
    def client(self) -> httpx.Client:
        """The underlying httpx client."""
        return self._client

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in use."""
        return self._retry

    def close(self) -> None:
        """Close the underlying httpx client."""
        self._client.close()

    def get(self, path: str, params: Params | None = None) -> Any:
        """GET a JSON document."""
        return _json(self._send("GET", path, params=params))

    def put(self, path: str, body: Any) -> Any:
        """PUT a JSON body (sandbox administration) and return the JSON answer."""
        return _json(self._send("PUT", path, body=body))

    def delete(self, path: str) -> Any:
        """DELETE a resource (sandbox administration) and return the JSON answer."""
        return _json(self._send("DELETE", path))

    def post_action(self, path: str, body: dict[str, Any], idempotency_key: str) -> ActionResult:
        """POST an action; every attempt carries the same Idempotency-Key."""
        if not idempotency_key or not idempotency_key.strip():
            raise ValueError("an action needs a non-empty idempotency key")
        headers = {IDEMPOTENCY_KEY_HEADER: idempotency_key}
        response = self._send("POST", path, body=body, headers=headers)
        data = _json(response)
        if not isinstance(data, dict):
            raise InvalidResponse(f"POST {path}: expected a JSON object")
        replayed = response.headers.get(REPLAYED_HEADER, "").strip().lower() == "true"
        return ActionResult(body=data, replayed=replayed)

    def paginate(self, path: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following next_cursor until it is null."""
        query = {**(params or {}), "limit": self._page_size}
        cursor: str | None = None
        while True:
            items, next_cursor = _page(self.get(path, {**query, "cursor": cursor}), path)
            yield from items
            if next_cursor is None:
                return
            if next_cursor == cursor:
                raise InvalidResponse(f"GET {path}: the platform repeated a page cursor")
            cursor = next_cursor

    def stream_ndjson(self, path: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """Every object of an NDJSON answer; only opening the stream is retried."""
        for number, line in enumerate(self.stream_lines(path, params), start=1):
            if line.strip():
                yield _ndjson_object(line, path, number)

    def stream_lines(self, path: str, params: Params | None = None) -> Iterator[bytes]:
        """Every line of a streamed answer (bytes, without the newline), blank ones included;
        only opening the stream is retried."""
        rest = b""
        for chunk in self.stream_bytes(path, params):
            lines = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
            rest = lines.pop()
            yield from lines
        if rest:
            yield rest

    def stream_bytes(self, path: str, params: Params | None = None) -> Iterator[bytes]:
        """A streamed answer's body as it arrives; only opening the stream is retried."""
        response = self._send("GET", path, params=params, stream=True)
        try:
            yield from _chunks(response, path)
        finally:
            response.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        query = _query(params)
        attempts = self._retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(method, path, query, body, headers, stream, attempt)
            except PlatformError as error:
                if not error.retryable or attempt == attempts:
                    error.attempts = attempt
                    raise
                delay = self._retry.delay(attempt, error, self._rng)
                log.warning(
                    "retrying %s %s status=%s attempt=%d delay=%.3fs",
                    method,
                    path,
                    error.status_code,
                    attempt,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        body: Any,
        headers: Mapping[str, str] | None,
        stream: bool,
        attempt: int,
    ) -> httpx.Response:
        request = self._client.build_request(
            method, path, params=query or None, json=body, headers=headers
        )
        try:
            response = self._client.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise Timeout(f"{method} {path}: timed out") from exc
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"{method} {path}: connection failed") from exc
        log.debug("%s %s status=%d attempt=%d", method, path, response.status_code, attempt)
        if response.is_success:
            return response
        try:
            raise error_from_response(response, method, path)
        finally:
            response.close()


def _query(params: Params | None) -> dict[str, Any]:
    """Query parameters with None dropped and datetimes as ISO-8601 Z strings."""
    query: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"query parameter {name!r} must carry a timezone")
            value = format_utc(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        query[name] = value
    return query


def _json(response: httpx.Response) -> Any:
    """The JSON body of a successful answer, or None when it is empty."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        request = response.request
        raise InvalidResponse(f"{request.method} {request.url.path}: not JSON") from None


def _page(page: Any, path: str) -> tuple[list[dict[str, Any]], str | None]:
    """The items and next cursor of one page."""
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise InvalidResponse(f"GET {path}: expected a page with items")
    cursor = page.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise InvalidResponse(f"GET {path}: next_cursor is not a string")
    return page["items"], cursor or None


def _chunks(response: httpx.Response, path: str) -> Iterator[bytes]:
    """A streamed answer's chunks, with transport failures as typed errors."""
    try:
        yield from response.iter_bytes()
    except httpx.TimeoutException as exc:
        raise Timeout(f"GET {path}: timed out while streaming") from exc
    except httpx.TransportError as exc:
        raise ConnectionFailed(f"GET {path}: connection lost while streaming") from exc


def _ndjson_object(line: bytes, path: str, number: int) -> dict[str, Any]:
    """One NDJSON line parsed as an object."""
    try:
        data = json.loads(line)
    except ValueError:
        raise InvalidResponse(f"GET {path}: line {number} is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidResponse(f"GET {path}: line {number} is not a JSON object")
    return data
