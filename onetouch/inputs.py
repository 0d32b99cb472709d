"""Reading a world file and a contacts file, with errors that name the file, line and field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from onetouch.models import ENTITY_MODELS, TIME_RANGE, Contact, World


class InputFileError(Exception):
    """A world or contacts file that cannot be used; the message names where and why."""


@dataclass(frozen=True)
class ContactLine:
    """One line of a contacts file: the raw object, or why it could not be read."""

    line_no: int
    raw: dict[str, Any] | None
    error: str | None = None

    @property
    def received_at(self) -> datetime | None:
        try:
            return Contact.model_validate(self.raw).received_at if self.raw else None
        except ValidationError:
            return None


def printable(text: str) -> str:
    """Text safe to print: control, format and line-break characters (and lone surrogates)
    written as Python escapes, so a hostile field name cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def shown(text: str, limit: int = 80) -> str:
    """Sender-given text echoed in an error: printable, and cut to a bounded length."""
    cut = text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
    return printable(cut)


def error_field(error: Any, root: str = "(root)") -> str:
    """The dotted path of one validation error's field, printable."""
    return printable(".".join(str(p) for p in error["loc"])) or root


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem of a validation error as `field 'a.b': message`."""
    first = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"field '{error_field(first)}': {printable(first['msg'])}{more}"


def load_world(path: Path) -> World:
    """A world file, validated; an unreadable or invalid one raises InputFileError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: cannot read: not UTF-8 text (byte {exc.start})") from None
    try:
        world = World.model_validate_json(text)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            message = printable(exc.errors()[0]["msg"])
            raise InputFileError(f"{path}: not valid JSON: {message}") from None
        raise InputFileError(f"{path}: {describe_validation_error(exc)}") from None
    problem = world_problem(world)
    if problem:
        raise InputFileError(f"{path}: {problem}")
    return world


def world_problem(world: World) -> str | None:
    """What the sandbox would refuse in a valid World (a duplicate id or idempotency key), or
    a time the policy cannot count from; None when there is nothing."""
    for name in ENTITY_MODELS:
        seen: dict[str, set[str | None]] = {"id": set(), "idempotency_key": set()}
        for index, entity in enumerate(getattr(world, name)):
            for key, values in seen.items():
                value = getattr(entity, key, None)
                if value is not None and value in values:
                    return (f"field '{name}.{index}.{key}': duplicate {key} "
                            f"{printable(repr(value))}")
                values.add(value)
    for field, value in _times(world):
        if not TIME_RANGE[0] <= value < TIME_RANGE[1]:
            return (f"field '{field}': time out of range: must be from "
                    f"{TIME_RANGE[0]:%Y-%m-%d} to before {TIME_RANGE[1]:%Y-%m-%d}")
    return None


def _times(world: World) -> Iterator[tuple[str, datetime]]:
    yield "now", world.now
    for name in ENTITY_MODELS:
        for index, entity in enumerate(getattr(world, name)):
            for key, value in entity:
                if isinstance(value, datetime):
                    yield f"{name}.{index}.{key}", value


def read_contacts(path: Path | None) -> list[ContactLine]:
    """Every non-blank line of a contacts JSONL file; a bad line is kept with its error."""
    if path is None:
        return []
    try:
        # JSONL lines end at "\n": str.splitlines() would also cut a line at U+2028, U+2029
        # or U+0085, which JSON allows unescaped inside a string (and at \x1c-\x1e, \x0b, \x0c).
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read: {exc}") from None
    return [_parse_line(path, n, text) for n, text in enumerate(lines, 1) if text.strip()]


def _parse_line(path: Path, line_no: int, text: str) -> ContactLine:
    where = f"{path} line {line_no}"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return ContactLine(line_no, None, f"{where}: not valid JSON: {exc.msg}")
    except RecursionError:
        return ContactLine(line_no, None, f"{where}: not valid JSON: nested too deeply")
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        return ContactLine(line_no, None, f"{where}: not valid JSON: {printable(str(exc))}")
    if not isinstance(raw, dict):
        return ContactLine(line_no, None, f"{where}: not a JSON object")
    field = non_unicode_field(raw)
    if field is not None:
        return ContactLine(line_no, None, f"{where}: field '{field}': not valid Unicode text "
                                          "(a lone UTF-16 surrogate)")
    return ContactLine(line_no, raw)


def non_unicode_field(value: Any) -> str | None:
    """The dotted path of a key or string holding a lone surrogate (valid as a JSON escape,
    not as text: it cannot be written to a UTF-8 file or a database), else None."""
    pending: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while pending:  # a loop, not recursion: the object may be nested as deep as JSON allows
        path, item = pending.pop()
        if isinstance(item, str) and not _is_unicode(item):
            return printable(".".join(path)) or "(root)"
        if isinstance(item, dict):
            for key, inner in item.items():
                if not _is_unicode(key):
                    return printable(".".join((*path, key)))
                pending.append(((*path, key), inner))
        elif isinstance(item, list):
            pending.extend(((*path, str(i)), inner) for i, inner in enumerate(item))
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
