"""The intent model: TF-IDF over words and characters, logistic regression, a confidence bar."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from understanding.calibrate import calibrate
from understanding.compiled import CompiledIntentModel
from understanding.dataset import Labelled, load_messages, split
from understanding.decision import Bars, decide, read
from understanding.guess import IntentGuess, guess_of
from understanding.text import for_model

__all__ = ["Bars", "IntentGuess", "IntentModel", "default_model"]


class IntentModel:
    """Trained on labelled messages (deterministic, offline, about a second)."""

    def __init__(self, rows: Sequence[Labelled], bars: Bars | None = None) -> None:
        self.bars = bars or Bars()
        features = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                      sublinear_tf=True, min_df=2)),
        ])
        self.pipeline = Pipeline([
            ("features", features),
            ("model", LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced")),
        ])
        self.pipeline.fit([for_model(r.text) for r in rows], [r.intent for r in rows])

    @property
    def confidence_bar(self) -> float:
        """Below this, the model abstains (`other`)."""
        return self.bars.confidence

    def scores(self, text: str) -> dict[str, float]:
        """Each intent's probability for the text as a whole."""
        probabilities = self.pipeline.predict_proba([for_model(text)])[0]
        return {str(k): float(v) for k, v in zip(self.pipeline.classes_, probabilities,
                                                  strict=True)}

    def guess(self, text: str) -> IntentGuess:
        """The most probable intent of the message (its closing ask weighed in), no bar."""
        return guess_of(read(self.scores, text))

    def classify(self, text: str) -> tuple[str, float]:
        """Safety, a confident intent, or `other`."""
        return decide(self.guess(text).probabilities, self.bars)

    @classmethod
    def trained(cls, rows: Sequence[Labelled]) -> IntentModel:
        """Fitted on these messages, its bars set on their out-of-fold scores."""
        return cls(rows, calibrate(lambda part: cls(part).scores, rows))

    def compile(self) -> CompiledIntentModel:
        """The same model as plain numbers, scored without sklearn."""
        return CompiledIntentModel.from_model(self)


@lru_cache(maxsize=1)
def default_model() -> IntentModel:
    """Trained and calibrated on the training split; the held-out split is never seen."""
    train, _ = split(load_messages())
    return IntentModel.trained(train)
