"""Optional rephrasing: the client's typed errors, and only answers that keep every amount."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import SecretStr

from integrations.rephraser import (
    RephraseInvalid,
    Rephraser,
    RephraseRefused,
    RephraseTimeout,
    RephraseUnavailable,
)
from onetouch.casestore import CaseStore
from onetouch.help.api import help_router
from onetouch.help.phrasing import amounts, keeps_the_facts, phrase
from onetouch.settings import Settings
from tests.help.conftest import SECRET, serving, signed_get

TEXT = "Hi Bo,\n\nYou are owed $4.00 tip for delivery ofr-short (case case-help-1).\n"


def completion(content: str) -> dict:
    return {"id": "cmpl-1", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}]}


def mock(handler) -> Rephraser:
    client = httpx.Client(base_url="http://llm.test/v1", transport=httpx.MockTransport(handler))
    return Rephraser(client, model="fake-model", api_key="sk-test")


def test_the_client_sends_a_chat_completion_and_reads_the_first_choice():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion("  Hello Bo! " + TEXT))
    assert mock(handler).rephrase(TEXT, "es") == "Hello Bo! " + TEXT.strip()
    body = json.loads(seen[0].content)
    assert str(seen[0].url) == "http://llm.test/v1/chat/completions"
    assert seen[0].headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "fake-model" and body["messages"][1]["content"] == TEXT
    assert "Spanish" in body["messages"][0]["content"]


@pytest.mark.parametrize(("answer", "error"), [
    (httpx.Response(500), RephraseUnavailable),
    (httpx.Response(429), RephraseRefused),
    (httpx.Response(401), RephraseRefused),
    (httpx.Response(200, text="not json"), RephraseInvalid),
    (httpx.Response(200, json={"choices": []}), RephraseInvalid),
    (httpx.Response(200, json=completion("   ")), RephraseInvalid),
    (httpx.ReadTimeout("slow"), RephraseTimeout),
    (httpx.ConnectError("refused"), RephraseUnavailable),
])
def test_failures_are_typed_errors_without_the_text(answer, error):
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer
    with pytest.raises(error) as raised:
        mock(handler).rephrase(TEXT, "en")
    assert "$4.00" not in str(raised.value) and "Bo" not in str(raised.value)


@pytest.mark.parametrize(("candidate", "kept"), [
    ("Hello Bo! We owe you $4.00 for the tip on ofr-short; case case-help-1.", True),
    ("Hello Bo! We owe you $40.00 for the tip on ofr-short; case case-help-1.", False),
    ("Hello Bo! We owe you $4.00, plus $1.00 extra, on ofr-short; case case-help-1.", False),
    ("Hello Bo! We owe you 4.00 dollars on ofr-short; case case-help-1.", False),
    ("Hello Bo! We owe you the tip on ofr-short; case case-help-1.", False),
    ("Hello Bo! We owe you $4.00 for the tip on ofr-short.", False),
    ("", False),
])
def test_only_a_rephrasing_with_exactly_the_templates_amounts_and_ids_is_kept(candidate, kept):
    assert keeps_the_facts(TEXT, candidate) is kept
    shown, how = phrase(TEXT, "en", mock(
        lambda request: httpx.Response(200, json=completion(candidate or "x"))))
    assert (how == "rephrased") is kept
    assert shown == (candidate + "\n" if kept else TEXT)


def test_without_a_url_there_is_no_rephraser_and_a_failure_falls_back():
    assert Rephraser.from_settings(Settings()) is None
    assert phrase(TEXT, "en", None) == (TEXT, "template")
    down = mock(lambda request: httpx.Response(503))
    assert phrase(TEXT, "en", down) == (TEXT, "template")
    assert amounts("$1,234.50 and $4.00, 3:12 PM, ofr-50014") == {"$1,234.50", "$4.00"}


@pytest.fixture
def fake_llm() -> Iterator[tuple[str, dict]]:
    """A local OpenAI-compatible server on a real socket: (its /v1 URL, its mode and log)."""
    state: dict = {"mode": "faithful", "requests": []}
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        body = await request.json()
        state["requests"].append((request.headers.get("authorization"), body))
        text = body["messages"][-1]["content"]
        if state["mode"] == "inflate":
            text = text.replace("$4.00", "$40.00")
        return completion("Good news! " + text)
    with serving(app) as url:
        yield f"{url}/v1", state


def test_the_help_api_uses_a_real_endpoint_and_keeps_the_template_when_it_lies(
        tmp_path, sandbox_platform, fake_llm):
    url, state = fake_llm
    settings = Settings(case_store_url="sqlite://", help_rephrase_url=url,
                        help_rephrase_api_key=SecretStr("sk-local"), help_rephrase_timeout_s=5,
                        intake_secret=SecretStr(SECRET))
    rephraser = Rephraser.from_settings(settings)
    app = FastAPI()
    app.include_router(help_router(settings, CaseStore(f"sqlite:///{tmp_path / 'c.db'}"),
                                   lambda raw: None, platform=sandbox_platform,
                                   rephraser=rephraser))
    client = TestClient(app)
    query = {"driver_id": "drv-owed", "screen": "tip"}
    kept = signed_get(client, query).json()
    assert kept["phrasing"] == "rephrased" and kept["answer"].startswith("Good news! Hi Bo,")
    assert kept["amounts"] == ["$4.00"] and "$4.00" in kept["answer"]
    assert state["requests"][0][0] == "Bearer sk-local"
    state["mode"] = "inflate"
    refused = signed_get(client, query).json()
    assert refused["phrasing"] == "template" and refused["answer"].startswith("Hi Bo,")
    assert "$40.00" not in refused["answer"] and "$4.00" in refused["answer"]
    rephraser.close()
