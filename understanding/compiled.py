"""The trained intent model as plain numbers and a scorer that needs neither sklearn nor pickle."""

from __future__ import annotations

import base64
import json
import math
import re
import sys
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from understanding.decision import Bars, decide, read
from understanding.guess import IntentGuess, guess_of
from understanding.text import for_model

if TYPE_CHECKING:
    from understanding.intent import IntentModel

FORMAT = 2
ANALYZERS = ("word", "char_wb")
REPRODUCED = {"input": "content", "preprocessor": None, "tokenizer": None, "stop_words": None,
              "strip_accents": None, "binary": False, "norm": "l2", "use_idf": True}
WHITE_SPACES = re.compile(r"\s\s+")


def _pack(values: Iterable[float]) -> str:
    """Float64 values as base64 of their little-endian bytes."""
    packed = array("d", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _unpack(text: str) -> memoryview[float]:
    """The read-only float64 values `_pack` wrote."""
    raw = base64.b64decode(text, validate=True)
    if sys.byteorder != "little":
        swapped = array("d", raw)
        swapped.byteswap()
        raw = swapped.tobytes()
    return memoryview(raw).cast("d")


@dataclass(frozen=True)
class CompiledVectorizer:
    """One fitted TF-IDF vectorizer: its analyzer's settings, vocabulary and idf weights."""

    analyzer: str
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str
    sublinear_tf: bool
    vocabulary: dict[str, int]
    idf: memoryview[float]

    @classmethod
    def from_fitted(cls, vectorizer: Any) -> CompiledVectorizer:
        """The plain data of a fitted sklearn TfidfVectorizer whose analysis this module repeats."""
        params = vectorizer.get_params()
        unsupported = {k: params[k] for k, v in REPRODUCED.items() if params[k] != v}
        if vectorizer.analyzer not in ANALYZERS or unsupported:
            raise ValueError(f"cannot compile analyzer {vectorizer.analyzer!r} with {unsupported}")
        vocabulary = {str(term): int(column) for term, column in vectorizer.vocabulary_.items()}
        return cls(
            analyzer=vectorizer.analyzer, ngram_range=tuple(vectorizer.ngram_range),
            lowercase=bool(vectorizer.lowercase), token_pattern=vectorizer.token_pattern,
            sublinear_tf=bool(vectorizer.sublinear_tf), vocabulary=vocabulary,
            idf=_unpack(_pack(float(v) for v in vectorizer.idf_)),
        )

    def terms(self, text: str) -> list[str]:
        """The n-grams sklearn's analyzer yields for the text."""
        if self.lowercase:
            text = text.lower()
        if self.analyzer == "char_wb":
            return self._char_wb_ngrams(text)
        return self._word_ngrams(re.findall(self.token_pattern, text))

    def _word_ngrams(self, tokens: list[str]) -> list[str]:
        """Word n-grams joined by a space, shortest first."""
        low, high = self.ngram_range
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def _char_wb_ngrams(self, text: str) -> list[str]:
        """Character n-grams inside space-padded words; a word shorter than n counted once."""
        low, high = self.ngram_range
        grams: list[str] = []
        for word in WHITE_SPACES.sub(" ", text).split():
            padded = f" {word} "
            for n in range(low, high + 1):
                grams.extend(padded[i:i + n] for i in range(max(len(padded) - n, 0) + 1))
                if len(padded) <= n:
                    break
        return grams

    def weights(self, text: str) -> dict[int, float]:
        """The text's L2-normalised TF-IDF row as column -> weight (vocabulary terms only)."""
        counts = Counter(self.vocabulary[t] for t in self.terms(text) if t in self.vocabulary)
        row = {column: (1.0 + math.log(count) if self.sublinear_tf else float(count))
               * self.idf[column] for column, count in counts.items()}
        norm = math.sqrt(sum(value * value for value in row.values()))
        if norm > 0.0:
            row = {column: value / norm for column, value in row.items()}
        return row

    def to_json(self) -> dict[str, Any]:
        """The vectorizer as JSON-ready data, terms listed in column order."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {"analyzer": self.analyzer, "ngram_range": list(self.ngram_range),
                "lowercase": self.lowercase, "token_pattern": self.token_pattern,
                "sublinear_tf": self.sublinear_tf, "terms": terms, "idf": _pack(self.idf)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CompiledVectorizer:
        """The vectorizer `to_json` wrote."""
        if data["analyzer"] not in ANALYZERS:
            raise ValueError(f"unknown analyzer {data['analyzer']!r}")
        idf = _unpack(data["idf"])
        if len(idf) != len(data["terms"]):
            raise ValueError("idf and vocabulary differ in length")
        low, high = data["ngram_range"]
        return cls(
            analyzer=data["analyzer"], ngram_range=(int(low), int(high)),
            lowercase=bool(data["lowercase"]), token_pattern=str(data["token_pattern"]),
            sublinear_tf=bool(data["sublinear_tf"]),
            vocabulary={str(term): column for column, term in enumerate(data["terms"])}, idf=idf,
        )


@dataclass(frozen=True)
class CompiledIntentModel:
    """The fitted features and multinomial logistic regression of an IntentModel, sklearn-free."""

    vectorizers: tuple[CompiledVectorizer, ...]
    coef_by_feature: memoryview[float]
    intercept: tuple[float, ...]
    classes: tuple[str, ...]
    bars: Bars

    @classmethod
    def from_model(cls, model: IntentModel) -> CompiledIntentModel:
        """The plain data of a trained IntentModel."""
        union = model.pipeline.named_steps["features"]
        regression = model.pipeline.named_steps["model"]
        if any(w not in (None, 1) for w in (union.transformer_weights or {}).values()):
            raise ValueError("cannot compile weighted feature unions")
        if len(regression.classes_) < 3:
            raise ValueError("cannot compile a binary model: predict_proba is not a softmax")
        vectorizers = tuple(CompiledVectorizer.from_fitted(v) for _, v in union.transformer_list)
        coef = regression.coef_
        return cls(
            vectorizers=vectorizers,
            coef_by_feature=_unpack(_pack(float(v) for v in coef.T.ravel())),
            intercept=tuple(float(v) for v in regression.intercept_),
            classes=tuple(str(c) for c in regression.classes_), bars=model.bars,
        )

    def probabilities(self, text: str) -> list[float]:
        """The probability of each class, in the order of `classes` (as predict_proba)."""
        document = for_model(text)
        width, offset = len(self.classes), 0
        logits = list(self.intercept)
        for vectorizer in self.vectorizers:
            for column, value in vectorizer.weights(document).items():
                start = (offset + column) * width
                weights = self.coef_by_feature[start:start + width]
                logits = [logit + value * w for logit, w in zip(logits, weights, strict=True)]
            offset += len(vectorizer.vocabulary)
        top = max(logits)
        exps = [math.exp(logit - top) for logit in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @property
    def confidence_bar(self) -> float:
        """Below this, the model abstains (`other`)."""
        return self.bars.confidence

    def scores(self, text: str) -> dict[str, float]:
        """Each intent's probability for the text as a whole."""
        return dict(zip(self.classes, self.probabilities(text), strict=True))

    def guess(self, text: str) -> IntentGuess:
        """The most probable intent of the message (its closing ask weighed in), no bar."""
        return guess_of(read(self.scores, text))

    def classify(self, text: str) -> tuple[str, float]:
        """Safety, a confident intent, or `other`."""
        return decide(self.guess(text).probabilities, self.bars)

    def to_json(self) -> dict[str, Any]:
        """The model as JSON-ready data."""
        return {"format": FORMAT, "classes": list(self.classes),
                "intercept": list(self.intercept),
                "bars": {"confidence": self.bars.confidence, "safety": self.bars.safety},
                "coef_by_feature": _pack(self.coef_by_feature),
                "vectorizers": [v.to_json() for v in self.vectorizers]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CompiledIntentModel:
        """The model `to_json` wrote; ValueError when the data is not such a model."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown compiled model format {data.get('format')!r}")
        vectorizers = tuple(CompiledVectorizer.from_json(v) for v in data["vectorizers"])
        classes = tuple(str(c) for c in data["classes"])
        intercept = tuple(float(v) for v in data["intercept"])
        coef = _unpack(data["coef_by_feature"])
        if len(classes) < 3 or len(intercept) != len(classes) or len(coef) != len(classes) * sum(
                len(v.vocabulary) for v in vectorizers):
            raise ValueError("compiled model's shapes disagree")
        return cls(vectorizers=vectorizers, coef_by_feature=coef, intercept=intercept,
                   classes=classes, bars=Bars(confidence=float(data["bars"]["confidence"]),
                                              safety=float(data["bars"]["safety"])))

    def save(self, path: Path) -> None:
        """Write the model to a JSON file."""
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")),
                        encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CompiledIntentModel:
        """Read a model `save` wrote; ValueError when the file is not such a model."""
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path} is not a compiled intent model: {error}") from None
