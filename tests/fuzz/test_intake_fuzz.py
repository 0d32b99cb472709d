"""The intake API under hostile requests: only 200/202/400/401/413/422, a JSON error naming
what is wrong, never a 500; a refused request writes nothing, an accepted one is kept once."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import func, select

from onetouch.casestore import CaseStore
from onetouch.casestore.tables import metadata
from onetouch.intake.app import MAX_BODY_BYTES, create_app
from onetouch.intake.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from onetouch.settings import Settings
from tests.fuzz.profiles import ci_examples
from tests.fuzz.strategies import contacts, dumps, json_values, mutated_contacts

SECRET = "fuzz-intake-secret"
NOW = 1_795_000_000  # a fixed clock: 2026-11-18
SKEW = 300
ALLOWED = {200, 202, 400, 401, 413, 422}
CONTENT_TYPES = ("application/json", "application/json; charset=utf-8", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/json; charset=latin-1", "", "*/*")


class Intake:
    """One app over one SQLite case store, with a fake dispatch and a fixed clock."""

    def __init__(self, folder) -> None:
        self.store = CaseStore(f"sqlite:///{folder / 'cases.db'}")
        self.handed: list[dict[str, Any]] = []
        self.now = NOW
        settings = Settings(intake_secret=SecretStr(SECRET), intake_max_skew_s=SKEW)
        self.client = TestClient(create_app(settings, self.store, dispatch=self.handed.append,
                                            clock=lambda: float(self.now)))

    def tick(self) -> int:
        """The clock a second on: each example signs at a new time, so none is a replay."""
        self.now += 1
        return self.now

    def rows(self) -> dict[str, int]:
        with self.store.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}

    def post(self, body: bytes, headers: dict[str, Any]):
        return self.client.post("/contacts", content=body, headers=headers)


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    return Intake(tmp_path_factory.mktemp("intake"))


def signed(body: bytes, at: int, secret: str = SECRET) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(at), SIGNATURE_HEADER: signature(secret, at, body)}


@st.composite
def bodies(draw) -> bytes:
    """A request body: a contact (valid or mutated), any JSON, bytes, or something nasty."""
    kind = draw(st.sampled_from(("valid", "valid", "mutated", "mutated", "json", "bytes",
                                 "nasty")))
    if kind == "valid":
        return dumps(draw(contacts()), ensure_ascii=draw(st.booleans())).encode()
    if kind == "mutated":
        return dumps(draw(mutated_contacts()), ensure_ascii=draw(st.booleans())).encode(
            "utf-8", "surrogatepass")
    if kind == "json":
        return dumps(draw(json_values())).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    depth = draw(st.integers(1, 40_000))
    return draw(st.sampled_from((
        b"[" * depth + b"]" * depth,
        b'{"id": "c-1", "text": ' + b"[" * depth + b"]" * depth + b"}",
        b'{"id": ' + b"9" * min(depth, 30_000) + b"}",
        b'{"id": "c-\\ud800", "driver_id": "d", "channel": "chat", '
        b'"received_at": "2026-11-20T18:00:00Z"}',
        b'{"\\udc00": 1}',
        b'{"id": "c-1", "id": "c-2"}',
        b"\xef\xbb\xbf{}", b"", b" ", b"null", b"NaN", b'"\x00"',
        b"\xff\xfe{\x00}\x00",
        b"x" * (MAX_BODY_BYTES + draw(st.integers(1, 1000))),
        b" " * MAX_BODY_BYTES + b"{}",
    )))


def header_value(draw) -> bytes:
    return draw(st.binary(max_size=60).map(
        lambda b: bytes(c for c in b if c >= 0x20 and c != 0x7F).strip()))


@st.composite
def headers_for(draw, body: bytes, now: int) -> tuple[str, dict[str, Any]]:
    """Signature headers, right or wrong in one of the ways a sender or attacker gets them."""
    case = draw(st.sampled_from(("good", "good", "good", "missing_ts", "missing_sig",
                                 "wrong_secret", "stale", "future", "garbled_ts", "huge_ts",
                                 "garbled_sig", "other_body", "scheme", "empty")))
    headers: dict[str, Any] = signed(body, now)
    if case == "missing_ts":
        del headers[TIMESTAMP_HEADER]
    elif case == "missing_sig":
        del headers[SIGNATURE_HEADER]
    elif case == "wrong_secret":
        other = draw(st.text(max_size=20).filter(lambda s: s != SECRET))
        headers = signed(body, now, secret=other)
    elif case in ("stale", "future"):
        off = draw(st.integers(SKEW + 1, 10**12))
        headers = signed(body, now - off if case == "stale" else now + off)
    elif case == "garbled_ts":
        headers[TIMESTAMP_HEADER] = header_value(draw)
    elif case == "huge_ts":
        headers = signed(body, draw(st.integers(10**15, 10**4000) | st.integers(-(10**400), -1)))
    elif case == "garbled_sig":
        headers[SIGNATURE_HEADER] = header_value(draw)
    elif case == "other_body":
        headers = signed(body + b" ", now)
    elif case == "scheme":
        headers[SIGNATURE_HEADER] = headers[SIGNATURE_HEADER].replace("v1=", "v0=")
    elif case == "empty":
        headers = {TIMESTAMP_HEADER: "", SIGNATURE_HEADER: ""}
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type:
        headers["Content-Type"] = content_type
    return case, headers


# What a 401's message says for each way the signature headers were got wrong.
_WRONG = ("wrong signature", "unsigned")
REFUSALS = {
    "missing_ts": ("unsigned",), "missing_sig": ("unsigned",), "empty": ("unsigned",),
    "wrong_secret": _WRONG, "other_body": _WRONG, "scheme": _WRONG, "garbled_sig": _WRONG,
    "stale": ("stale", "Unix time"), "future": ("stale", "Unix time"),  # < 0 or > 12 digits
    "huge_ts": ("Unix time", "stale"),
    "garbled_ts": ("unsigned", "Unix time", "stale", "wrong signature"),
}


def _check_error(answer) -> dict[str, Any]:
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] and error["message"]
    if answer.status_code == 422:
        assert error["field"]
        assert error["field"] == "contact" or f"'{error['field']}'" in error["message"]
    return error


@given(data=st.data())
def test_any_request_gets_a_clear_answer_and_writes_only_when_accepted(intake, data):
    body = data.draw(bodies(), label="body")
    case, headers = data.draw(headers_for(body, intake.tick()), label="headers")
    before, handed = intake.rows(), len(intake.handed)

    answer = intake.post(body, headers)

    assert answer.status_code in ALLOWED, answer.text
    after = intake.rows()
    if answer.status_code >= 400:
        error = _check_error(answer)
        assert after == before, f"{answer.status_code} {error} wrote {before} -> {after}"
        assert len(intake.handed) == handed
    if case != "good" and len(body) <= MAX_BODY_BYTES:
        assert answer.status_code == 401
        assert any(why in error["message"] for why in REFUSALS[case]), (case, error)
    if answer.status_code == 202:
        contact = json.loads(body)
        assert after["contacts"] == before["contacts"] + 1
        assert intake.handed[handed:] == [contact]
        assert answer.json() == {"case_id": f"case-{contact['id']}", "status": "received"}
        again = intake.post(body, headers)  # the very same request: refused as replayed
        assert again.status_code == 401 and "replayed" in again.json()["error"]["message"]
        fresh = intake.post(body, signed(body, intake.tick()))  # signed anew: a duplicate
        assert fresh.status_code == 200 and fresh.json()["duplicate"] is True
        assert intake.rows()["contacts"] == after["contacts"]
        assert len(intake.handed) == handed + 1


@ci_examples(50)
@given(raw=contacts())
@example(raw={"id": "c-E.u_1:2", "driver_id": "drv-1", "channel": "phone",
              "received_at": "2026-11-20T18:00:00Z", "text": "{{ 7*7 }}\x00<script>\u2028"})
def test_a_valid_contact_is_stored_exactly_once(intake, raw):
    body = dumps(raw, ensure_ascii=False).encode()
    before, handed = intake.rows(), len(intake.handed)
    answer = intake.post(body, signed(body, intake.tick()) | {"Content-Type": "application/json"})
    if answer.status_code == 200:  # the same id drawn twice: stored already, not handed on
        assert answer.json()["duplicate"] is True
        assert intake.rows()["contacts"] == before["contacts"]
        assert len(intake.handed) == handed
        return
    assert answer.status_code == 202, answer.text
    assert intake.rows()["contacts"] == before["contacts"] + 1
    assert intake.handed[handed:] == [raw]
    path = f"/cases/case-{raw['id']}"
    assert intake.client.get(path, headers=signed(path.encode(), intake.tick())).json()[
        "status"] == "received"


@pytest.mark.parametrize(("headers", "message"), [
    ({TIMESTAMP_HEADER: "9" * 400, SIGNATURE_HEADER: "v1=00"}, "Unix time"),
    ({TIMESTAMP_HEADER: "-" + "9" * 400, SIGNATURE_HEADER: "v1=00"}, "Unix time"),
    ({TIMESTAMP_HEADER: "9" * 5000, SIGNATURE_HEADER: "v1=00"}, "Unix time"),
], ids=["400_digits", "minus_400_digits", "5000_digits"])
def test_timestamps_that_are_not_plain_unix_times_are_refused(intake, headers, message):
    answer = intake.post(b"{}", headers)
    assert answer.status_code == 401 and message in answer.json()["error"]["message"]


@pytest.mark.parametrize("body", [
    b"[" * 30_000 + b"]" * 30_000,  # nested deeper than the JSON parser's recursion
    b'{"id": "c-1", "text": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
    b'{"id": ' + b"9" * 5000 + b"}",  # an integer longer than Python converts
    b'{"\\udc00": 1, "id": "c-1"}',  # a key that is not Unicode text
], ids=["deep", "deep_field", "long_int", "surrogate_key"])
def test_bodies_that_break_a_json_parser_are_clean_errors(intake, body):
    before = intake.rows()
    answer = intake.post(body, signed(body, intake.tick()))
    assert answer.status_code in (400, 413, 422), answer.text
    _check_error(answer)
    assert intake.rows() == before


def test_a_signed_but_invalid_contact_writes_nothing(intake):
    body = json.dumps({"id": "c-x"}).encode()
    before = intake.rows()
    answer = intake.post(body, signed(body, intake.tick()))
    assert answer.status_code == 422
    assert intake.rows() == before  # not even the signature


@ci_examples(100)
@given(case_id=st.text(max_size=300))
def test_any_case_id_is_found_or_404(intake, case_id):
    sent = "/cases/" + quote(case_id, safe="")
    path = unquote(httpx.URL(f"http://intake{sent}").path).encode()
    answer = intake.client.get(sent, headers=signed(path, intake.tick()))
    redirected = bool(answer.history)  # a trailing slash dropped: the signed path is not it
    assert answer.status_code in ((401, 404) if redirected else (200, 404, 405)), answer.text
    assert len(answer.text) < 1_000
