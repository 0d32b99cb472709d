"""World files and contacts files, mutated: a clear error naming the file, line and field, or
success; never an exception from deep inside, and nothing written."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from flows.tasks import rejected_outcome
from onetouch.inputs import InputFileError, load_world, read_contacts
from onetouch.models import Contact, World
from tests.fuzz.profiles import ci_examples
from tests.fuzz.strategies import any_text, contacts, dumps, json_values, mutated_contacts

DATA = Path(__file__).resolve().parent.parent / "data"
WORLD = json.loads((DATA / "world.json").read_text())
# A small world keeps each example fast: a few of every entity.
SMALL = {k: (v[:3] if isinstance(v, list) else v) for k, v in WORLD.items()}
WORLD_ERROR = re.compile(r"^(?P<path>.+?): (cannot read: .+|not valid JSON: .+|field '.+': .+)$",
                         re.S)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("inputs")


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON value (the root too)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@st.composite
def mutated_worlds(draw) -> bytes:
    """The small world with one to three changes in its tree, or its text cut, spliced, or
    made invalid UTF-8."""
    world = copy.deepcopy(SMALL)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(world)))
        if not path:
            if draw(st.integers(0, 4)) == 0:
                world = draw(json_values())
            continue
        *head, last = path
        parent = world
        for step in head:
            parent = parent[step]
        action = draw(st.sampled_from(("replace", "replace", "drop", "extra", "duplicate")))
        if action == "replace":
            parent[last] = draw(json_values(max_leaves=6))
        elif action == "drop":
            del parent[last]
        elif action == "extra" and isinstance(parent, dict):
            parent[draw(any_text)] = draw(json_values(max_leaves=3))
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        if not isinstance(world, dict):
            break
    text = dumps(world, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(("none", "none", "none", "cut", "splice", "bytes")))
    if damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(any_text).encode() + text[at:]
    elif damage == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=4)) + text[at:]
    return text


def _check_message(message: str, path: Path) -> None:
    assert message.startswith(str(path)), message
    assert message.isprintable(), message  # safe to print: no control characters or escapes


@ci_examples(100)
@given(text=mutated_worlds())
@example(text=b"\xff\xfe not utf-8")
@example(text=json.dumps(SMALL | {"drivers": SMALL["drivers"] * 2}).encode())
@example(text=json.dumps(SMALL | {"now": "0001-01-01T00:00:00+00:01"}).encode())
@example(text=json.dumps(SMALL | {"\x1b[2J\x1b]0;pwned\x07": 1}).encode())
@example(text=b"[" * 50_000 + b"]" * 50_000)
def test_a_mutated_world_loads_or_names_the_file_and_field(folder, text):
    path = folder / "world.json"
    path.write_bytes(text)
    try:
        world = load_world(path)
    except InputFileError as exc:
        _check_message(str(exc), path)
        assert WORLD_ERROR.match(str(exc)), str(exc)
        return
    assert isinstance(world, World)
    for name in ("drivers", "offers", "earnings", "incentives", "deposits", "orders", "stores"):
        ids = [e.id for e in getattr(world, name)]
        assert len(ids) == len(set(ids)), f"{name}: duplicate ids accepted"
    assert [p.name for p in folder.iterdir()] == ["world.json"]  # nothing else written


def test_the_example_world_loads():
    assert len(load_world(DATA / "world.json").offers) == len(WORLD["offers"])


@st.composite
def contact_lines(draw) -> list[tuple[str, Any]]:
    """Lines of a contacts file: (kind, the object or text written)."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(("valid", "valid", "mutated", "json", "text", "blank")))
        if kind == "valid":
            lines.append((kind, draw(contacts())))
        elif kind == "mutated":
            lines.append((kind, draw(mutated_contacts())))
        elif kind == "json":
            lines.append((kind, draw(json_values())))
        elif kind == "text":  # a lone \r is a line break too when the file is read as text
            lines.append((kind, draw(any_text.filter(lambda s: "\n" not in s and "\r" not in s))))
        else:
            lines.append((kind, draw(st.sampled_from(("", " ", "\t", "\u3000")))))
    return lines


def _write(lines: list[tuple[str, Any]], ensure_ascii: bool) -> bytes:
    out = []
    for kind, value in lines:
        if kind in ("text", "blank"):
            out.append(value.encode("utf-8", "surrogatepass"))
        else:
            out.append(dumps(value, ensure_ascii).encode("utf-8", "surrogatepass"))
    return b"\n".join(out) + b"\n"


@ci_examples(100)
@given(lines=contact_lines(), ensure_ascii=st.booleans(), crlf=st.booleans())
@example(lines=[("valid", {"id": "c-1", "driver_id": "drv-1", "channel": "chat",
                           "received_at": "2026-11-20T18:00:00Z",
                           "text": "line\u2028separator\x85next\x1cfile"})],
         ensure_ascii=False, crlf=False)
@example(lines=[("json", {"id": "c-\ud800", "driver_id": "drv-1", "channel": "chat",
                          "received_at": "2026-11-20T18:00:00Z"})], ensure_ascii=True, crlf=True)
@example(lines=[("json", {"\udc00": 1})], ensure_ascii=True, crlf=False)
@example(lines=[("text", "[" * 50_000 + "]" * 50_000), ("text", '{"id": ' + "9" * 5000 + "}")],
         ensure_ascii=True, crlf=False)
def test_a_contacts_file_reads_line_by_line_with_errors_that_name_the_line(
        folder, lines, ensure_ascii, crlf):
    path = folder / "contacts.jsonl"
    data = _write(lines, ensure_ascii)
    path.write_bytes(data.replace(b"\n", b"\r\n") if crlf else data)
    try:
        read = read_contacts(path)
    except InputFileError as exc:  # only a file that is not UTF-8 at all
        _check_message(str(exc), path)
        assert "cannot read" in str(exc)
        return
    written = [(n, kind, value) for n, (kind, value) in enumerate(lines, 1)
               if not (kind in ("text", "blank") and not value.strip())]
    assert [line.line_no for line in read] == [n for n, _, _ in written]
    for line, (n, kind, value) in zip(read, written, strict=True):
        if line.raw is None:
            assert line.error and line.error.startswith(f"{path} line {n}: "), line.error
            assert line.error.isprintable()
            assert kind in ("text", "json", "mutated")
            continue
        expected = json.loads(value) if kind == "text" else value
        assert dumps(line.raw) == dumps(expected) and isinstance(expected, dict)
        line.received_at  # noqa: B018 - never raises
        # The replay's rejected outcome for this line can always be written out.
        try:
            Contact.model_validate(line.raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            reason = f"field '{'.'.join(map(str, first['loc']))}': {first['msg']}"
            json.dumps(rejected_outcome(line.raw, reason).line(), ensure_ascii=False).encode()


def test_a_contacts_file_that_is_not_utf8_names_the_file(folder):
    path = folder / "latin1.jsonl"
    path.write_bytes('{"text": "café"}\n'.encode("latin-1"))
    with pytest.raises(InputFileError, match="latin1.jsonl: cannot read"):
        read_contacts(path)


def test_a_missing_world_file_names_the_file(folder):
    with pytest.raises(InputFileError, match="nope.json: cannot read"):
        load_world(folder / "nope.json")
