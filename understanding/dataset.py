"""The labelled message set: loading it, its fixed held-out split and its folds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "onetouch" / "data"
FILES = ("messages_en.jsonl", "messages_es.jsonl", "drivers_en_pay.jsonl",
         "drivers_en_scope.jsonl", "drivers_es_pay.jsonl", "drivers_es_scope.jsonl",
         "drivers_hard_negatives.jsonl", "drivers_pay_posting.jsonl")
HELD_OUT_SHARE = 0.2


def _share(text: str, salt: str) -> float:
    """Where the text falls in [0, 1) by a hash of it: the same every run and machine."""
    digest = hashlib.sha256(f"{salt}{text}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


@dataclass(frozen=True)
class Labelled:
    text: str
    intent: str
    lang: str
    style: str
    source: str = "written"

    @property
    def held_out(self) -> bool:
        """A stable 20% of the set, never trained or calibrated on."""
        return _share(self.text, "") < HELD_OUT_SHARE

    def fold(self, folds: int) -> int:
        """Its fold among `folds`, stable across runs: the others' model scores it unseen."""
        return int(_share(self.text, "fold:") * folds)


class DatasetError(ValueError):
    """A labelled file has a line that is not a labelled message."""


def _row(raw: dict[str, str], where: str) -> Labelled:
    try:
        return Labelled(raw["text"], raw["intent"], raw["lang"], raw["style"],
                        raw.get("source", "written"))
    except (KeyError, TypeError) as error:
        raise DatasetError(f"{where}: not a labelled message ({error!r} missing)") from None


def load_messages(data_dir: Path = DATA) -> list[Labelled]:
    """Every labelled message of every file, each text once (the first label kept)."""
    rows, seen = [], set()
    for name in FILES:
        lines = (data_dir / name).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if line.strip():
                row = _row(json.loads(line), f"{name}:{number}")
                if row.text not in seen:
                    seen.add(row.text)
                    rows.append(row)
    return rows


def split(rows: list[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    """(train, held_out): the model learns and is calibrated on the first only."""
    return [r for r in rows if not r.held_out], [r for r in rows if r.held_out]
