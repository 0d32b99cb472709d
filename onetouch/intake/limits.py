"""Rate limits on the intake and `/help`: per sender (the client's address) and per driver,
moving windows counted by the `limits` library (in this process, or a shared storage)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from onetouch.settings import Settings


@dataclass(frozen=True)
class Refusal:
    """Which limit a request went past and how long until it may try again."""

    key: str
    limit: str
    retry_after_s: int

    def response(self) -> JSONResponse:
        """The 429 answer, with Retry-After."""
        return JSONResponse(
            status_code=429, headers={"Retry-After": str(self.retry_after_s)},
            content={"error": {"code": "rate_limited", "message": (
                f"more than {self.limit} for this {self.key}; retry after "
                f"{self.retry_after_s} s")}})


class RateLimits:
    """The intake's two limits, e.g. "600/minute" per sender and "30/minute" per driver."""

    def __init__(self, per_sender: str, per_driver: str, storage_uri: str = "memory://"
                 ) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._items = {"sender": parse(per_sender), "driver": parse(per_driver)}

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        """The limits the settings name."""
        return cls(settings.rate_limit_per_sender, settings.rate_limit_per_driver,
                   settings.rate_limit_storage_url)

    def _hit(self, key: str, who: str) -> Refusal | None:
        item: RateLimitItem = self._items[key]
        if self._limiter.hit(item, key, who):
            return None
        reset = self._limiter.get_window_stats(item, key, who).reset_time
        return Refusal(key, str(item), max(1, math.ceil(reset - time.time())))

    def sender(self, request: Request) -> Refusal | None:
        """Count a request against its sender's limit; the refusal when past it."""
        return self._hit("sender", request.client.host if request.client else "unknown")

    def driver(self, driver_id: str) -> Refusal | None:
        """Count a request against its driver's limit; the refusal when past it."""
        return self._hit("driver", driver_id)
