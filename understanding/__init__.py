"""Reading a driver's message offline and deterministically: intent, ids, language."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from onetouch.models import INTENTS, Contact
from policy.case import Understanding
from understanding.rules import classify_intent, detect_language
from understanding.text import driver_words, extract_ids, fold

if TYPE_CHECKING:
    from understanding.compiled import CompiledIntentModel
    from understanding.intent import IntentModel

SAFETY_ALARMS = re.compile(
    r"\b(accident|car crash|crashed into|injur\w*|bit me|bitten|assault\w*|robbed|weapon|gun|knife|"
    r"threaten\w*|harass\w*|attack\w*|rear.ended|hit by|accidente|herid[oa]s?|lastim\w*|"
    r"amenaz\w*|acos\w*|mordi\w*|asalt\w*|choque|chocaron|choqu\w*|atropell\w*|pistola|cuchillo)\b")
WORD = re.compile(r"[^\W\d_]{2,}")


def classify(text: str, model: IntentModel | CompiledIntentModel | None = None,
             ) -> tuple[str, float]:
    """The intent of a text: the model when confident, the cues when they agree, else `other`."""
    if model is None:
        from understanding.intent import default_model  # scikit-learn, only to train

        model = default_model()
    words = fold(driver_words(text))
    if SAFETY_ALARMS.search(words):
        return "safety", 1.0
    guess = model.guess(text)
    if guess.confidence >= model.confidence_bar:
        return guess.intent, guess.confidence
    cue, _ = classify_intent(text)
    if cue != "other" and cue in guess.top(3):
        return cue, guess.probabilities.get(cue, 0.0)
    return "other", guess.confidence


def understand(contact: Contact, model: IntentModel | CompiledIntentModel | None = None,
               ) -> Understanding:
    """What the contact asks about; the app's category decides only when the text cannot."""
    if WORD.search(contact.text):
        intent, confidence = classify(contact.text, model)
    else:
        intent, confidence = "other", 0.0
    if intent == "other" and contact.category in INTENTS and confidence < 0.5:
        intent, confidence = contact.category, confidence
    return Understanding(
        intent=intent, confidence=round(confidence, 4), language=detect_language(contact.text),
        **extract_ids(contact.text),
    )
