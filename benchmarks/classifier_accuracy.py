"""Intent classifier on the held-out messages: accuracy, share sent to `other`, confusion.

The baseline beside it is the keyword cues alone. Run:
    .venv/bin/python benchmarks/classifier_accuracy.py
"""

from __future__ import annotations

import time
from collections import Counter

from understanding import classify
from understanding.dataset import load_messages, split
from understanding.intent import IntentModel
from understanding.rules import classify_intent

MONEY = {"missing_pay", "missing_tip", "incentive_not_credited", "wait_time_pay",
         "cancelled_offer", "deposit_issue"}


def score(name: str, predicted: list[str], truth: list[str]) -> dict[str, float]:
    """Accuracy, `other` share and money-moving mistakes of one classifier."""
    n = len(truth)
    wrong_money = sum(p != t and p in MONEY for p, t in zip(predicted, truth, strict=True))
    result = {"accuracy": sum(p == t for p, t in zip(predicted, truth, strict=True)) / n,
              "other_share": predicted.count("other") / n,
              "wrong_money": wrong_money}
    print(f"{name:<22} accuracy {result['accuracy']:.3f}   sent to other "
          f"{result['other_share']:.3f}   wrong money-moving intent {wrong_money}/{n}")
    return result


def confusion(predicted: list[str], truth: list[str]) -> None:
    """Per intent: support, correct, recall, and where the misses went."""
    print(f"\n{'intent':<24}{'n':>4}{'ok':>5}{'recall':>8}  misses")
    for intent in sorted(set(truth)):
        pairs = [(p, t) for p, t in zip(predicted, truth, strict=True) if t == intent]
        ok = sum(p == t for p, t in pairs)
        misses = Counter(p for p, t in pairs if p != t)
        print(f"{intent:<24}{len(pairs):>4}{ok:>5}{ok / len(pairs):>8.2f}  "
              + ", ".join(f"{k}×{v}" for k, v in misses.most_common()))


def main() -> None:
    train, held = split(load_messages())
    started = time.perf_counter()
    model = IntentModel(train)
    print(f"train {len(train)} messages, held out {len(held)} "
          f"(en {sum(r.lang == 'en' for r in held)}, es {sum(r.lang == 'es' for r in held)}); "
          f"trained in {time.perf_counter() - started:.2f} s\n")
    truth = [r.intent for r in held]
    baseline = score("baseline: cues only", [classify_intent(r.text)[0] for r in held], truth)
    predicted = [classify(r.text, model)[0] for r in held]
    ours = score("model + cues", predicted, truth)
    print(f"\naccuracy ratio model/baseline {ours['accuracy'] / baseline['accuracy']:.2f}")
    for lang in ("en", "es"):
        rows = [(p, r.intent) for p, r in zip(predicted, held, strict=True) if r.lang == lang]
        print(f"  {lang}: accuracy {sum(p == t for p, t in rows) / len(rows):.3f}")
    confusion(predicted, truth)


if __name__ == "__main__":
    main()
