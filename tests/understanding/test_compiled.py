"""The compiled intent model scores exactly as the sklearn model it was built from."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import flows.deps as deps
from onetouch.settings import PROJECT_ROOT
from understanding import classify
from understanding.cache import model_key, production_model
from understanding.compiled import CompiledIntentModel
from understanding.dataset import load_messages, split
from understanding.intent import IntentModel
from understanding.text import for_model

TOLERANCE = 1e-9
HOSTILE = [
    "", " ", "\t\n \r\x0b\x0c", "\u00a0\u2003\u3000", "a", "ab", "a" * 10_000,
    ("my tip is missing " * 600)[:10_000], "💸💸 where is my tip?? 🙏🏽", "😀", "🇲🇽🇺🇸",
    "¿Dónde está mi propina? El pago no llegó, señor", "ÁÉÍÓÚ ñÑ ü", "cafe\u0301 pin\u0303a",
    "мой tip 不见了 مفقود ok", "ทิป หาย", "1234567890", "0", "12 34\n56",
    "{{ }}", "{{ config.secret }}", "{% raw %}", "'; DROP TABLE cases; --",
    "SELECT * FROM users WHERE 1=1 OR ''=''", "\x00\x01\x1c\x1d\x1e\x1f", "\u200b\u200d\ufeff",
    "ofr-123 ord-9 $45.00 and 20 dollars", "tip\u00a0missing", "snake_case __init__ x_y",
    "Agent: hello\nDriver: my tip is missing\nAgent: ok", "I'm o'neil's driver—it's “quoted”",
    "x" * 5 + " " * 500 + "y" * 5, "\n".join(["pay"] * 300),
]
TEXTS = [row.text for row in load_messages()] + HOSTILE
SAMPLE = TEXTS[::5] + HOSTILE  # whole answers, each scored twice per text: a fifth suffices


@pytest.fixture(scope="module")
def model() -> IntentModel:
    """Fitted once on the training split with the production model's bars (compiling does not
    depend on how the bars were found; calibrating would fit it six times)."""
    train, _ = split(load_messages())
    return IntentModel(train, production_model().bars)


@pytest.fixture(scope="module")
def compiled(model) -> CompiledIntentModel:
    return model.compile()


def test_terms_are_sklearns(model, compiled):
    union = model.pipeline.named_steps["features"]
    for text in TEXTS:
        document = for_model(text)
        for (_, fitted), ours in zip(union.transformer_list, compiled.vectorizers, strict=True):
            assert ours.terms(document) == fitted.build_analyzer()(document), text


def test_probabilities_match(model, compiled):
    want = model.pipeline.predict_proba([for_model(text) for text in TEXTS])
    assert list(compiled.classes) == [str(c) for c in model.pipeline.classes_]
    for text, row in zip(TEXTS, want, strict=True):
        got = compiled.probabilities(text)
        assert max(abs(g - float(w)) for g, w in zip(got, row, strict=True)) <= TOLERANCE, text


def test_answers_match(model, compiled):
    for text in SAMPLE:
        want, got = model.guess(text), compiled.guess(text)
        assert (got.intent, got.runner_up, got.top(3)) == (want.intent, want.runner_up,
                                                            want.top(3)), text
        assert list(got.probabilities) == list(want.probabilities)
        assert got.confidence == pytest.approx(want.confidence, abs=TOLERANCE)
        assert compiled.classify(text)[0] == model.classify(text)[0], text


@pytest.mark.parametrize("text", HOSTILE[:12])
def test_understanding_classify_matches(model, compiled, text):
    assert classify(text, compiled) == pytest.approx(classify(text, model), abs=TOLERANCE)


def test_save_load_round_trip(compiled, tmp_path):
    path = tmp_path / "intent.json"
    compiled.save(path)
    loaded = CompiledIntentModel.load(path)
    assert loaded.classes == compiled.classes
    assert loaded.confidence_bar == compiled.confidence_bar
    for text in SAMPLE:
        assert loaded.guess(text) == compiled.guess(text), text
        assert loaded.classify(text) == compiled.classify(text), text


@pytest.mark.parametrize("content", [
    "", "{}", "[]", '{"format": 99}', "not json", '{"format": 1, "classes": []}'])
def test_load_rejects_what_is_not_a_model(tmp_path, content):
    path = tmp_path / "intent.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        CompiledIntentModel.load(path)


def test_load_rejects_a_truncated_model(compiled, tmp_path):
    data = compiled.to_json()
    data["coef_by_feature"] = data["coef_by_feature"][:-12]
    path = tmp_path / "intent.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError):
        CompiledIntentModel.load(path)


def test_cold_cache_trains_compiles_and_writes(model, tmp_path, monkeypatch):
    monkeypatch.setattr(deps, "MODEL_CACHE", tmp_path)
    monkeypatch.setattr("understanding.intent.default_model", lambda: model)
    deps.intent_model.cache_clear()
    try:
        built = deps.intent_model()
    finally:
        deps.intent_model.cache_clear()
    assert isinstance(built, CompiledIntentModel)
    [written] = tmp_path.glob("intent-*.json")
    assert written.name == f"intent-{model_key()}.json"
    assert CompiledIntentModel.load(written).guess("my tip is missing") == built.guess(
        "my tip is missing")


def test_warm_cache_never_imports_sklearn(compiled, tmp_path):
    compiled.save(tmp_path / f"intent-{model_key()}.json")
    script = (
        "import sys\nfrom pathlib import Path\nimport flows.deps as deps\n"
        f"deps.MODEL_CACHE = Path({str(tmp_path)!r})\n"
        "from flows.deps import intent_model\nfrom understanding import classify\n"
        "print(intent_model().classify('my tip is missing')[0])\n"
        "print(classify('my tip is missing', intent_model())[0])\n"
        "print('sklearn' in sys.modules, 'numpy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=os.environ,
                          capture_output=True, text=True, timeout=120, check=True)
    want = compiled.classify("my tip is missing")[0]
    assert done.stdout.split("\n")[:3] == [want, want, "False False"], done.stderr
