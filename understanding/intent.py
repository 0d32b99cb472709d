"""The intent model: TF-IDF over words and characters, logistic regression, a confidence bar."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from understanding.compiled import CompiledIntentModel
from understanding.dataset import Labelled, load_messages
from understanding.guess import IntentGuess
from understanding.text import for_model

CONFIDENCE_BAR = 0.40

__all__ = ["CONFIDENCE_BAR", "IntentGuess", "IntentModel", "default_model"]


class IntentModel:
    """Trained on labelled messages at start-up (deterministic, offline, well under a second)."""

    def __init__(self, rows: Sequence[Labelled], confidence_bar: float = CONFIDENCE_BAR) -> None:
        self.confidence_bar = confidence_bar
        features = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                      sublinear_tf=True, min_df=2)),
        ])
        self.pipeline = Pipeline([
            ("features", features),
            ("model", LogisticRegression(C=50.0, max_iter=3000, class_weight="balanced")),
        ])
        self.pipeline.fit([for_model(r.text) for r in rows], [r.intent for r in rows])

    def guess(self, text: str) -> IntentGuess:
        """The most probable intent, without the confidence bar applied."""
        probabilities = self.pipeline.predict_proba([for_model(text)])[0]
        labels = self.pipeline.classes_
        order = probabilities.argsort()[::-1]
        return IntentGuess(
            intent=str(labels[order[0]]), confidence=float(probabilities[order[0]]),
            runner_up=str(labels[order[1]]),
            probabilities={str(k): float(v) for k, v in zip(labels, probabilities, strict=True)},
        )

    def classify(self, text: str) -> tuple[str, float]:
        """The intent, or `other` when the model is not confident enough."""
        guess = self.guess(text)
        if guess.confidence < self.confidence_bar:
            return "other", guess.confidence
        return guess.intent, guess.confidence

    def compile(self) -> CompiledIntentModel:
        """The same model as plain numbers, scored without sklearn."""
        return CompiledIntentModel.from_model(self)


@lru_cache(maxsize=1)
def default_model() -> IntentModel:
    """The model trained on every labelled message the project ships."""
    return IntentModel(load_messages())
