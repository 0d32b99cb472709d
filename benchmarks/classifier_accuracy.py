"""Understanding on the held-out messages (never trained or calibrated on), beside the keyword
cues alone: per-intent precision and recall, out-of-scope recall, safety recall, money-moving
false positives, the share sent to a person; by language and by style.

Run: .venv/bin/python benchmarks/classifier_accuracy.py
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from understanding import classify  # noqa: E402
from understanding.dataset import Labelled, load_messages, split  # noqa: E402
from understanding.evaluation import figures  # noqa: E402
from understanding.intent import IntentModel  # noqa: E402
from understanding.rules import classify_intent  # noqa: E402


def per_intent(predicted: Sequence[str], rows: Sequence[Labelled]) -> None:
    """Precision and recall of each intent, and where its misses went."""
    pairs = list(zip(predicted, (r.intent for r in rows), strict=True))
    print(f"\n{'intent':<24}{'n':>4}{'precision':>11}{'recall':>8}  misses")
    for intent in sorted({t for _, t in pairs}):
        said = [t for p, t in pairs if p == intent]
        truth = [p for p, t in pairs if t == intent]
        precision = sum(t == intent for t in said) / len(said) if said else float("nan")
        misses = Counter(p for p in truth if p != intent)
        print(f"{intent:<24}{len(truth):>4}{precision:>11.2f}"
              f"{sum(p == intent for p in truth) / len(truth):>8.2f}  "
              + ", ".join(f"{k}×{v}" for k, v in misses.most_common()))


def table(columns: dict[str, dict[str, float]]) -> None:
    """The figures side by side, one column per classifier."""
    keys = next(iter(columns.values()))
    print(f"{'figure':<32}" + "".join(f"{name:>16}" for name in columns))
    for key in keys:
        cells = "".join(f"{columns[name][key]:>16.3f}" if isinstance(columns[name][key], float)
                        else f"{columns[name][key]:>16}" for name in columns)
        print(f"{key:<32}{cells}")


def by_group(predicted: Sequence[str], rows: Sequence[Labelled],
             group: Callable[[Labelled], str]) -> None:
    """Accuracy and person-needed reached within each group (language, style)."""
    for name in sorted({group(r) for r in rows}):
        picked = [(p, r) for p, r in zip(predicted, rows, strict=True) if group(r) == name]
        f = figures([p for p, _ in picked], [r for _, r in picked])
        print(f"  {name:<16} n {f['n']:>4}  accuracy {f['accuracy']:.3f}  "
              f"person-needed reached {f['person_needed_reached']:.3f}  "
              f"money false positives {f['money_false_positives']}")


def main() -> None:
    rows = load_messages()
    train, held = split(rows)
    started = time.perf_counter()
    model = IntentModel.trained(train)
    print(f"{len(rows)} messages: train {len(train)} (its thresholds set out of fold), held out "
          f"{len(held)}; Spanish {sum(r.lang == 'es' for r in rows) / len(rows):.0%}, "
          f"out of scope {sum(r.intent == 'other' for r in rows) / len(rows):.0%}; trained and "
          f"calibrated in {time.perf_counter() - started:.1f} s; bars {model.bars}\n")
    cues = [classify_intent(r.text)[0] for r in held]
    ours = [classify(r.text, model)[0] for r in held]
    table({"cues only": figures(cues, held), "model": figures(ours, held)})
    per_intent(ours, held)
    print("\nby language:")
    by_group(ours, held, lambda r: r.lang)
    print("by style:")
    by_group(ours, held, lambda r: r.style)


if __name__ == "__main__":
    main()
