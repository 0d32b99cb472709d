"""Typed clients for the platform's bulk exports and its clock."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
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
        url = _export_path(entity, since, until)
        lines = self._http.stream_lines(url, {"since": since, "until": until})
        return read_ndjson(EXPORT_MODELS[entity], lines, f"GET {url}")

    def download(self, entity: ExportEntity, since: datetime, until: datetime,
                 destination: Path) -> str:
        """Save one entity's export, as sent, to a file; the source to name in errors."""
        url = _export_path(entity, since, until)
        with destination.open("wb") as file:
            for chunk in self._http.stream_bytes(url, {"since": since, "until": until}):
                file.write(chunk)
        return f"GET {url}"


def _export_path(entity: str, since: datetime, until: datetime) -> str:
    """The export's path, once the entity and the window are known to be valid."""
    if entity not in EXPORT_MODELS:
        raise ValueError(f"no export for {entity!r}; one of {sorted(EXPORT_MODELS)}")
    if since >= until:
        raise ValueError("since must be before until")
    return path("exports", entity)


def read_ndjson(model: type[M], lines: Iterable[str | bytes], source: str,
                batch: int = 2000) -> Iterator[M]:
    """One model a line of NDJSON (blank lines skipped), validated straight from the JSON text a
    batch of lines at a time; errors name the source, the line and the fields, never values."""
    as_list = list_adapter(model)
    pending: list[bytes] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        text = line.encode() if isinstance(line, str) else line
        if not text.strip():
            continue
        pending.append(text)
        numbers.append(number)
        if len(pending) == batch:
            yield from _validate_batch(model, as_list, pending, source, numbers)
            pending, numbers = [], []
    if pending:
        yield from _validate_batch(model, as_list, pending, source, numbers)


@functools.cache
def list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    """A validator of a list of the model, built once per model."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _validate_batch(model: type[M], as_list: TypeAdapter[list[M]], batch: list[bytes],
                    source: str, numbers: list[int]) -> list[M]:
    """A batch as one JSON array; if that fails, line by line, to name the line at fault."""
    try:
        found = as_list.validate_json(b"[" + b",".join(batch) + b"]")
    except ValidationError:
        found = []
    if len(found) == len(batch):
        return found
    checked = []
    for number, text in zip(numbers, batch, strict=True):
        try:
            checked.append(model.model_validate_json(text))
        except ValidationError as exc:
            raise _line_error(model, exc, source, number) from None
    return checked


def _line_error(model: type[M], exc: ValidationError, source: str, number: int
                ) -> InvalidResponse:
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return InvalidResponse(f"{source}: line {number} is not JSON")
    if first["type"] == "model_type" and not first["loc"]:
        return InvalidResponse(f"{source}: line {number} is not a JSON object")
    return InvalidResponse(f"{source}: line {number}: {invalid(model, exc)}")


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
