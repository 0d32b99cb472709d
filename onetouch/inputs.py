"""Reading a world file and a contacts file, with errors that name the file, line and field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from onetouch.models import Contact, World


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


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem of a validation error as `field 'a.b': message`."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(root)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"field '{field}': {first['msg']}{more}"


def load_world(path: Path) -> World:
    """A world file, validated; an unreadable or invalid one raises InputFileError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return World.model_validate_json(text)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise InputFileError(f"{path}: not valid JSON: {exc.errors()[0]['msg']}") from None
        raise InputFileError(f"{path}: {describe_validation_error(exc)}") from None


def read_contacts(path: Path | None) -> list[ContactLine]:
    """Every non-blank line of a contacts JSONL file; a bad line is kept with its error."""
    if path is None:
        return []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read: {exc}") from None
    return [_parse_line(path, n, text) for n, text in enumerate(lines, 1) if text.strip()]


def _parse_line(path: Path, line_no: int, text: str) -> ContactLine:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return ContactLine(line_no, None, f"{path} line {line_no}: not valid JSON: {exc.msg}")
    if not isinstance(raw, dict):
        return ContactLine(line_no, None, f"{path} line {line_no}: not a JSON object")
    return ContactLine(line_no, raw)
