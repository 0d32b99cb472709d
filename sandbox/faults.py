"""Seeded fault injection per route template: errors, timeouts (hangs) and latency."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Annotated, NamedTuple

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from .errors import error_response

ALL_ROUTES = "*"
EXEMPT_PREFIX = "/admin"
Rate = Annotated[float, Field(ge=0.0, le=1.0)]


class FaultRule(BaseModel):
    """Faults for one route: chances of an error or a hang, and added latency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error_rate: Rate = 0.0
    timeout_rate: Rate = 0.0
    latency_ms: Annotated[float, Field(ge=0.0)] = 0.0
    hang_seconds: Annotated[float, Field(ge=0.0)] = 5.0


class FaultConfig(BaseModel):
    """A seed and the rules keyed by "METHOD /path/{template}" or "*"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    routes: dict[str, FaultRule] = Field(default_factory=dict)


class Decision(NamedTuple):
    """What to do to one request."""

    error: bool
    hang_seconds: float
    latency_seconds: float


class FaultInjector:
    """Holds the fault config and a seeded random source, so a run's faults repeat."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def configure(self, config: FaultConfig) -> None:
        """Install a config and reseed."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self.injected = {"error": 0, "timeout": 0}

    def clear(self) -> None:
        """Remove every fault."""
        self.configure(FaultConfig())

    def decide(self, route_key: str) -> Decision | None:
        """The faults for one request on route_key, or None: one random draw when the rule can
        fail, so a seed gives the failing routes the same draws whatever else is called."""
        with self._lock:
            rule = self.config.routes.get(route_key) or self.config.routes.get(ALL_ROUTES)
            if rule is None:
                return None
            draw = self._rng.random() if rule.error_rate or rule.timeout_rate else 1.0
            error = draw < rule.error_rate
            hang = not error and draw < rule.error_rate + rule.timeout_rate
            self.injected["error" if error else "timeout"] += int(error or hang)
        return Decision(error, rule.hang_seconds if hang else 0.0, rule.latency_ms / 1000)


def leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, descending into routers FastAPI keeps nested (included without prefix)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from leaf_routes(nested.routes)
        else:
            yield route


def route_template(app: FastAPI, scope: Scope) -> str | None:
    """The declared path template of the route that fully matches the request."""
    for route in leaf_routes(app.router.routes):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", None)
    return None


def route_keys(app: FastAPI) -> set[str]:
    """Every "METHOD /template" the app declares."""
    keys = set()
    for route in leaf_routes(app.router.routes):
        for method in getattr(route, "methods", None) or ():
            keys.add(f"{method} {route.path}")  # type: ignore[attr-defined]
    return keys


CallNext = Callable[[Request], Awaitable[Response]]


def install_fault_middleware(app: FastAPI) -> None:
    """Inject the configured faults into every non-admin route."""

    @app.middleware("http")
    async def _inject_faults(request: Request, call_next: CallNext) -> Response:
        template = route_template(request.app, request.scope)
        if template is None or template.startswith(EXEMPT_PREFIX):
            return await call_next(request)
        decision = request.app.state.faults.decide(f"{request.method} {template}")
        if decision is None:
            return await call_next(request)
        if decision.latency_seconds:
            await asyncio.sleep(decision.latency_seconds)
        if decision.error:
            headers = {"Retry-After": "0"}
            return error_response(503, "unavailable", "injected fault", headers)
        response = await call_next(request)
        if decision.hang_seconds:
            await asyncio.sleep(decision.hang_seconds)
        return response
