"""Setting the model's thresholds on messages it has not learned from: each training message
scored by a model fitted on the other folds (out of fold), never on its own training."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import product

from understanding.dataset import Labelled
from understanding.decision import Bars, Scorer, decide, read

FOLDS = 5
MISSED_SAFETY_COST = 15  # a danger report answered by automation or sent to another queue
WRONG_ANSWER_COST = 4  # an automated answer to the wrong ask
FALSE_SAFETY_COST = 2  # an everyday ask sent to the urgent trust-safety queue
PERSON_COST = 1  # a message a person reads that automation could have answered
SAFETY_BARS = tuple(round(0.06 + 0.02 * step, 2) for step in range(18))
CONFIDENCE_BARS = tuple(round(0.2 + 0.02 * step, 2) for step in range(36))


def cost(predicted: str, truth: str) -> int:
    """What one decision costs: missing danger most, then answering the wrong ask."""
    if predicted == truth:
        return 0
    if truth == "safety":
        return MISSED_SAFETY_COST
    if predicted == "safety":
        return FALSE_SAFETY_COST
    return PERSON_COST if predicted == "other" else WRONG_ANSWER_COST


def total_cost(bars: Bars, probabilities: Sequence[dict[str, float]],
               truths: Sequence[str]) -> int:
    """The cost of these bars over scored messages."""
    return sum(cost(decide(p, bars)[0], t) for p, t in zip(probabilities, truths, strict=True))


def least_cost_bars(probabilities: Sequence[dict[str, float]], truths: Sequence[str]) -> Bars:
    """The bars of least cost (the stricter of equals: the lower safety bar, then the higher
    confidence bar)."""
    candidates = [Bars(confidence=c, safety=s) for s, c in product(SAFETY_BARS, CONFIDENCE_BARS)]
    return min(candidates, key=lambda b: (total_cost(b, probabilities, truths), b.safety,
                                          -b.confidence))


def out_of_fold(fit: Callable[[Sequence[Labelled]], Scorer], rows: Sequence[Labelled],
                folds: int = FOLDS) -> list[dict[str, float]]:
    """Each message's probabilities from a model fitted without its fold."""
    scored: list[dict[str, float]] = [{} for _ in rows]
    for fold in range(folds):
        score = fit([r for r in rows if r.fold(folds) != fold])
        for index, row in enumerate(rows):
            if row.fold(folds) == fold:
                scored[index] = read(score, row.text)
    return scored


def calibrate(fit: Callable[[Sequence[Labelled]], Scorer], rows: Sequence[Labelled]) -> Bars:
    """The bars for models `fit` makes, set on their out-of-fold scores of these messages."""
    return least_cost_bars(out_of_fold(fit, rows), [r.intent for r in rows])
