"""From an intent model's probabilities to one intent: safety first, then a confident intent,
else `other` (a person). The thresholds are set on calibration messages, never on training."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from understanding.text import ask_part

Scorer = Callable[[str], dict[str, float]]
TAIL_WEIGHT = 0.35  # how much the closing ask counts against the whole message (least cost)


@dataclass(frozen=True)
class Bars:
    """The abstain threshold, and the lower one at which a message is taken as a safety report."""

    confidence: float = 0.40
    safety: float = 0.25


def read(score: Scorer, text: str) -> dict[str, float]:
    """The intent probabilities of a message: the whole, mixed with its closing ask (a long
    email's last sentences, a second situation after the first) when that ask is itself one
    of the policy's (a sign-off or pleasantry is not)."""
    whole = score(text)
    tail = ask_part(text)
    if tail is None:
        return whole
    last = score(tail)
    if max(last, key=last.__getitem__) == "other":
        return whole
    return {k: (1 - TAIL_WEIGHT) * v + TAIL_WEIGHT * last[k] for k, v in whole.items()}


def decide(probabilities: Mapping[str, float], bars: Bars) -> tuple[str, float]:
    """Safety when it is likely enough; else the top intent when confident; else `other`."""
    safety = probabilities.get("safety", 0.0)
    if safety >= bars.safety:
        return "safety", safety
    intent = max(probabilities, key=probabilities.__getitem__)
    confidence = probabilities[intent]
    if confidence < bars.confidence or intent == "safety":
        return "other", confidence
    return intent, confidence
