"""Typed clients for the platform's HTTP API, behind one `Platform` facade."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from types import TracebackType

import httpx

from integrations.actions import Action, OutgoingNotification, PayAdjustment
from integrations.admin import SandboxAdmin
from integrations.errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    InvalidResponse,
    NotFound,
    PlatformError,
    RateLimited,
    ServerError,
    Timeout,
    Unauthorized,
)
from integrations.exports import ClockClient, ExportsClient
from integrations.http import ActionResult, PlatformHttp, RetryPolicy
from integrations.platform import (
    DriversClient,
    EarningsClient,
    IncentivesClient,
    NotificationsClient,
    OffersClient,
    PayoutsClient,
)
from onetouch.settings import Settings, get_settings

USER_AGENT = "onetouch/0.1"

__all__ = [
    "Action",
    "ActionResult",
    "BadRequest",
    "ClockClient",
    "Conflict",
    "ConnectionFailed",
    "DriversClient",
    "EarningsClient",
    "ExportsClient",
    "IncentivesClient",
    "InvalidResponse",
    "NotFound",
    "NotificationsClient",
    "OffersClient",
    "OutgoingNotification",
    "PayAdjustment",
    "PayoutsClient",
    "Platform",
    "PlatformError",
    "PlatformHttp",
    "RateLimited",
    "RetryPolicy",
    "SandboxAdmin",
    "ServerError",
    "Timeout",
    "Unauthorized",
]


class Platform:
    """Every platform system as one typed client each, over one shared PlatformHttp."""

    def __init__(self, http: PlatformHttp) -> None:
        self.http = http
        self.drivers = DriversClient(http)
        self.offers = OffersClient(http)
        self.earnings = EarningsClient(http)
        self.incentives = IncentivesClient(http)
        self.payouts = PayoutsClient(http)
        self.notifications = NotificationsClient(http)
        self.exports = ExportsClient(http)
        self.clock = ClockClient(http)
        self.admin = SandboxAdmin(http)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> Platform:
        """A Platform whose client, timeouts, credentials and retries come from settings."""
        settings = settings or get_settings()
        client = build_client(settings, transport=transport)
        retry = RetryPolicy(
            attempts=settings.retry_attempts,
            base_delay_s=settings.retry_base_delay_s,
            max_delay_s=settings.retry_max_delay_s,
        )
        http = PlatformHttp(client, retry, page_size=settings.page_size, sleep=sleep, rng=rng)
        return cls(http)

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self.http.close()

    def __enter__(self) -> Platform:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_client(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An httpx.Client for the platform: base URL, explicit timeouts, auth and user agent."""
    headers = {"User-Agent": USER_AGENT}
    api_key = settings.platform_api_key.get_secret_value()
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_s,
        read=settings.read_timeout_s,
        write=settings.read_timeout_s,
        pool=settings.connect_timeout_s,
    )
    return httpx.Client(
        base_url=str(settings.platform_url),
        headers=headers,
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
    )
