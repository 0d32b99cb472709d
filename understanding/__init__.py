"""Reading a driver's message offline and deterministically: intent, ids, language."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from onetouch.models import INTENTS, Contact
from policy.case import Understanding
from understanding.rules import detect_language
from understanding.text import driver_words, extract_ids, fold

if TYPE_CHECKING:
    from understanding.compiled import CompiledIntentModel
    from understanding.intent import IntentModel

SAFETY_ALARMS = re.compile(
    r"\b(accident|car crash|crashed into|injur\w*|bit me|bitten|assault\w*|robbed|weapon|gun|knife|"
    r"threaten\w*|harass\w*|attack\w*|rear.ended|hit by|accidente|herid[oa]s?|lastim\w*|"
    r"amenaz\w*|acos\w*|mordi\w*|asalt\w*|choque|chocaron|choqu\w*|atropell\w*|pistola|cuchillo)\b")
WORD = re.compile(r"[^\W\d_]{2,}")


def _model(model: IntentModel | CompiledIntentModel | None) -> IntentModel | CompiledIntentModel:
    """The given model, else production's (compiled, from its file)."""
    if model is not None:
        return model
    from understanding.cache import production_model

    return production_model()


def classify(text: str, model: IntentModel | CompiledIntentModel | None = None,
             ) -> tuple[str, float]:
    """The intent of a text: safety on an alarm word or when likely, else the model's intent
    when it is confident, else `other` (a person)."""
    if SAFETY_ALARMS.search(fold(driver_words(text))):
        return "safety", 1.0
    return _model(model).classify(text)


def _hinted(intent: str, text: str, category: str | None,
            model: IntentModel | CompiledIntentModel) -> str:
    """The app's category where the text leaves the ask open: never over a text the model
    reads with confidence; a driver who chose `safety` always reaches trust-safety."""
    if category == "safety":
        return "safety"
    if intent != "other" or category not in INTENTS:
        return intent
    if not WORD.search(text):
        return category
    guess = model.guess(text)
    if guess.intent == "other" and guess.confidence >= model.confidence_bar:
        return "other"
    return category if category in guess.top(2) else "other"


def understand(contact: Contact, model: IntentModel | CompiledIntentModel | None = None,
               ) -> Understanding:
    """What the contact asks about, in which language, naming which ids."""
    model = _model(model)
    if WORD.search(contact.text):
        intent, confidence = classify(contact.text, model)
    else:
        intent, confidence = "other", 0.0
    return Understanding.model_validate({
        "intent": _hinted(intent, contact.text, contact.category, model),
        "confidence": round(confidence, 4), "language": detect_language(contact.text),
        **extract_ids(contact.text),
    })
