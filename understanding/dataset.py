"""The labelled message set: loading it and its fixed train / held-out split."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "onetouch" / "data"
FILES = ("messages_en.jsonl", "messages_es.jsonl")
HELD_OUT_SHARE = 0.2


@dataclass(frozen=True)
class Labelled:
    text: str
    intent: str
    lang: str
    style: str

    @property
    def held_out(self) -> bool:
        """A stable 20% of the set, chosen by a hash of the text."""
        digest = hashlib.sha256(self.text.encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < HELD_OUT_SHARE


def load_messages(data_dir: Path = DATA) -> list[Labelled]:
    """Every labelled message of both languages."""
    rows = []
    for name in FILES:
        for line in (data_dir / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                rows.append(Labelled(raw["text"], raw["intent"], raw["lang"], raw["style"]))
    return rows


def split(rows: list[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    """(train, held_out)."""
    return [r for r in rows if not r.held_out], [r for r in rows if r.held_out]
