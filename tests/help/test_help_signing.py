"""GET /help answers only a query string signed with the intake's secret, fresh, unchanged;
a refused request reads nothing and starts nothing. The articles stay open."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from onetouch.casestore import CaseStore
from onetouch.cli import app as cli
from onetouch.help.api import help_router
from onetouch.intake.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signed_headers,
    signed_query,
)
from onetouch.settings import Settings
from tests.help.conftest import SECRET, serving, signed_get

OWED = {"driver_id": "drv-owed", "screen": "tip"}  # signed, this starts a resolution


def _refused(response, message: str) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and message in error["message"]
    assert "Bo" not in response.text and "$" not in response.text


@pytest.mark.parametrize(("headers", "message"), [
    ({}, f"unsigned: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} required"),
    ({TIMESTAMP_HEADER: "1"}, f"{SIGNATURE_HEADER} required"),
    ({SIGNATURE_HEADER: "v1=00"}, f"unsigned: {TIMESTAMP_HEADER}"),
    ({TIMESTAMP_HEADER: "0017", SIGNATURE_HEADER: "v1=00"}, "not a Unix time"),
], ids=["no headers", "no signature", "no timestamp", "odd timestamp"])
def test_an_unsigned_request_is_a_401_naming_what_is_missing(help_app, platform_calls,
                                                            headers, message):
    client, dispatched, _ = help_app
    _refused(client.get("/help", params=OWED, headers=headers), message)
    assert dispatched == [] and platform_calls == []


@pytest.mark.parametrize(("how", "message"), [
    ({"secret": "another-secret"}, "wrong signature (HMAC over '<timestamp>.' + the query"),
    ({"at": -301}, "stale: sent 301 s from now, more than 300 s"),
    ({"at": +302}, "more than 300 s"),
    ({"send": {**OWED, "driver_id": "drv-tip"}}, "wrong signature"),
    ({"send": {**OWED, "lang": "es"}}, "wrong signature"),
    ({"send": {"screen": "tip", "driver_id": "drv-owed"}}, "wrong signature"),
], ids=["wrong secret", "stale", "future", "driver swapped", "parameter added", "reordered"])
def test_a_wrong_stale_or_changed_signature_is_a_401_and_nothing_happens(
        help_app, platform_calls, how, message):
    client, dispatched, store = help_app
    how = dict(how)
    at = int(time.time()) + how.pop("at", 0)
    _refused(signed_get(client, OWED, at=at, **how), message)
    assert dispatched == [] and platform_calls == []
    answered = signed_get(client, OWED)  # the same question, signed right
    assert answered.status_code == 200 and platform_calls
    case_id = answered.json()["resolution"]["case_id"]
    assert len(dispatched) == 1 and store.case_status(case_id)["status"] == "received"


def test_the_exact_bytes_are_signed_not_the_parameters(help_app, platform_calls):
    client, dispatched, _ = help_app
    query, headers = signed_query(SECRET, int(time.time()), {**OWED, "q": "my tip?"})
    assert "q=my+tip%3F" in query
    _refused(client.get("/help?" + query.replace("+", "%20"), headers=headers),
             "wrong signature")
    assert dispatched == [] and platform_calls == []
    assert client.get("/help?" + query, headers=headers).status_code == 200


def test_the_signature_is_checked_before_the_query(help_app, platform_calls):
    client, _, _ = help_app
    _refused(client.get("/help", params={"amount": "5000"}), "unsigned")
    invalid = signed_get(client, {"driver_id": "drv-tip", "amount": "5000"})
    assert invalid.status_code == 422 and invalid.json()["error"]["field"] == "amount"
    assert platform_calls == []


def test_without_a_secret_help_refuses_like_the_intake(tmp_path, sandbox_platform,
                                                       platform_calls):
    dispatched: list[dict] = []
    app = FastAPI()
    app.include_router(help_router(Settings(case_store_url="sqlite://"),
                                   CaseStore(f"sqlite:///{tmp_path / 'c.db'}"),
                                   dispatched.append, platform=sandbox_platform))
    client = TestClient(app)
    for secret in ("", SECRET):
        _refused(signed_get(client, OWED, secret=secret),
                 "the intake has no signing secret configured")
    assert dispatched == [] and platform_calls == []


def test_articles_stay_open(help_app):
    client = help_app[0]
    article = client.get("/help/articles/missing_tip", params={"lang": "es"})
    assert article.status_code == 200 and article.text.startswith("# Propinas")


def _sign(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sign", *args], env={"ONETOUCH_INTAKE_SECRET": SECRET})
    return result.exit_code, result.output


def test_the_sign_command_prints_a_curl_the_help_api_accepts(help_app, tmp_path):
    client, dispatched, _ = help_app
    code, output = _sign("--query", "driver_id=drv-owed&screen=tip", "--curl",
                         "--url", "http://help.test/", "--state-dir", str(tmp_path))
    assert code == 0, output
    words = shlex.split(output)
    assert words[:3] == ["curl", "-sS", "http://help.test/help?driver_id=drv-owed&screen=tip"]
    headers = dict(h.split(": ", 1) for h in words[4::2])
    assert words[3::2] == ["-H", "-H"] and set(headers) == {TIMESTAMP_HEADER, SIGNATURE_HEADER}
    answer = client.get(words[2].removeprefix("http://help.test"), headers=headers)
    assert answer.status_code == 200 and answer.json()["owed"][0]["subject_id"] == "ofr-short"
    assert len(dispatched) == 1


@pytest.mark.parametrize(("args", "error"), [
    (["--query", "driver_id=drv-tip&q=where is my tip"], "' ' at character 26 must be"),
    (["--query", "driver_id=drv%2"], "'%' at character 14 must be"),
    ([], "give a BODY file, --query or --path"),
])
def test_the_sign_command_refuses_a_query_it_cannot_sign_as_sent(args, error):
    code, output = _sign(*args)
    assert code != 0 and error in " ".join(output.replace("│", " ").split())


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_printed_curl_works_over_a_real_socket(tmp_path, sandbox_platform):
    settings = Settings(case_store_url="sqlite://", intake_secret=SecretStr(SECRET))
    app = FastAPI()
    app.include_router(help_router(settings, CaseStore(f"sqlite:///{tmp_path / 'c.db'}"),
                                   lambda raw: None, platform=sandbox_platform))
    with serving(app) as url:
        _, command = _sign("--query", "driver_id=drv-tip&screen=tip&q=tip+%C2%BFd%C3%B3nde%3F",
                           "--curl", "--url", url)
        sent = subprocess.run(shlex.split(command) + ["-w", "\n%{http_code}"],
                              capture_output=True, text=True, timeout=30)
        assert sent.stdout.rsplit("\n", 1)[1] == "200", sent.stdout
        unsigned = subprocess.run(shlex.split(command)[:3] + ["-w", "\n%{http_code}"],
                                  capture_output=True, text=True, timeout=30)
        assert unsigned.stdout.rsplit("\n", 1)[1] == "401"


def test_a_signed_contact_body_does_not_open_help(help_app, platform_calls):
    client, dispatched, _ = help_app
    body = json.dumps({"id": "c-1", "driver_id": "drv-owed", "channel": "chat",
                       "text": "x&driver_id=drv-owed&screen=tip"}, separators=(",", ":"))
    headers = signed_headers(SECRET, int(time.time()), body.encode())
    response = client.get(f"/help?{body}", headers=headers)
    assert response.status_code in (401, 422) and "Bo" not in response.text
    assert dispatched == [] and platform_calls == []
