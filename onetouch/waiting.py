"""Waiting for a freshly started HTTP service to answer: one poll loop for every starter."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import httpx

Waited = Literal["answered", "stopped", "timeout"]


def wait_until_answering(url: str, timeout: float, *, alive: Callable[[], bool] = lambda: True,
                         accept: Callable[[int], bool] = lambda status: True,
                         headers: dict[str, str] | None = None, interval: float = 0.2) -> Waited:
    """Poll `url` until an answer `accept`s, the service stops being `alive`, or time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return "stopped"
        try:
            if accept(httpx.get(url, headers=headers, timeout=2).status_code):
                return "answered"
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    return "timeout"


def is_ok(status: int) -> bool:
    """A health check's success."""
    return status == 200
