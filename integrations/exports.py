"""Typed clients for the platform's bulk exports and its clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Literal, overload

from pydantic import TypeAdapter

from integrations.actions import parse
from integrations.errors import InvalidResponse
from integrations.platform import BaseClient, path
from onetouch.models import Deposit, Earning, Entity, Incentive, Offer, UtcDatetime

ExportEntity = Literal["offers", "earnings", "incentives", "deposits"]
EXPORT_MODELS: dict[str, type[Entity]] = {
    "offers": Offer,
    "earnings": Earning,
    "incentives": Incentive,
    "deposits": Deposit,
}
_UTC = TypeAdapter(UtcDatetime)


class ExportsClient(BaseClient):
    """NDJSON exports of every entity whose time falls in [since, until)."""

    @overload
    def stream(
        self, entity: Literal["offers"], since: datetime, until: datetime
    ) -> Iterator[Offer]: ...

    @overload
    def stream(
        self, entity: Literal["earnings"], since: datetime, until: datetime
    ) -> Iterator[Earning]: ...

    @overload
    def stream(
        self, entity: Literal["incentives"], since: datetime, until: datetime
    ) -> Iterator[Incentive]: ...

    @overload
    def stream(
        self, entity: Literal["deposits"], since: datetime, until: datetime
    ) -> Iterator[Deposit]: ...

    def stream(self, entity: ExportEntity, since: datetime, until: datetime) -> Iterator[Entity]:
        """Stream one entity's export as models, without paging."""
        model = EXPORT_MODELS.get(entity)
        if model is None:
            raise ValueError(f"no export for {entity!r}; one of {sorted(EXPORT_MODELS)}")
        if since >= until:
            raise ValueError("since must be before until")
        return self._stream(model, entity, since, until)

    def _stream(
        self, model: type[Entity], entity: str, since: datetime, until: datetime
    ) -> Iterator[Entity]:
        items = self._http.stream_ndjson(path("exports", entity), {"since": since, "until": until})
        for item in items:
            yield parse(model, item)


class ClockClient(BaseClient):
    """The platform's current time."""

    def now(self) -> datetime:
        """The platform's clock, in UTC."""
        data = self._http.get("/clock")
        if not isinstance(data, dict) or "now" not in data:
            raise InvalidResponse('GET /clock: expected {"now": ...}')
        try:
            return _UTC.validate_python(data["now"])
        except ValueError:
            raise InvalidResponse("GET /clock: now is not an ISO-8601 UTC time") from None
