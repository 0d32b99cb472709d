"""Typed clients for the platform's bulk exports and its clock."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Literal, overload

from pydantic import TypeAdapter, ValidationError

from integrations.actions import M, invalid
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
        url = path("exports", entity)
        lines = self._http.stream_lines(url, {"since": since, "until": until})
        return read_ndjson(model, lines, f"GET {url}")


def read_ndjson(model: type[M], lines: Iterable[str | bytes], source: str) -> Iterator[M]:
    """One model a line of NDJSON (blank lines skipped), validated straight from the JSON text;
    errors name the source, the line and the fields, never values."""
    validate = model.model_validate_json
    for number, line in enumerate(lines, start=1):
        try:
            yield validate(line)
        except ValidationError as exc:
            if line.strip():
                raise _line_error(model, exc, source, number) from None


def _line_error(model: type[M], exc: ValidationError, source: str, number: int
                ) -> InvalidResponse:
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return InvalidResponse(f"{source}: line {number} is not JSON")
    if first["type"] == "model_type" and not first["loc"]:
        return InvalidResponse(f"{source}: line {number} is not a JSON object")
    return invalid(model, exc)


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
