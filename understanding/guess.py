"""The intent model's answer for one message, shared by the trained and the compiled model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IntentGuess:
    """The model's best intent, its probability, and the runner-up."""

    intent: str
    confidence: float
    runner_up: str
    probabilities: dict[str, float]

    def top(self, n: int) -> list[str]:
        """The n most probable intents, best first."""
        return sorted(self.probabilities, key=self.probabilities.__getitem__, reverse=True)[:n]


def guess_of(probabilities: dict[str, float]) -> IntentGuess:
    """The guess these probabilities make."""
    order = sorted(probabilities, key=probabilities.__getitem__, reverse=True)
    return IntentGuess(intent=order[0], confidence=probabilities[order[0]],
                       runner_up=order[1] if len(order) > 1 else order[0],
                       probabilities=probabilities)
