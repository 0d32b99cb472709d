"""The personal data a scan looks for, and the scan: phone numbers, emails, last and full names
from the worlds' drivers, and the bank details and contact data a driver may type."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
WORLD_FILES = [
    ROOT / "tests" / "data" / "world.json",
    ROOT / "tests" / "data" / "detection" / "world-0.json",
    ROOT / "onetouch" / "data" / "world.json",
    ROOT.parent / "shared" / "examples" / "world.json",  # the spec's examples, when beside us
]
# Field names that would hold a bank detail in a world (none of the bundled worlds has one:
# deposits carry only a failure reason); any such value found is scanned for as well.
BANK_FIELDS = re.compile(r"bank|account_number|routing|iban|swift|card_number|last4", re.I)


@dataclass(frozen=True)
class Needle:
    """One personal value and how it may show up in text."""

    kind: str  # phone, email, last_name, full_name, bank
    value: str
    pattern: re.Pattern[str]
    anchor: str  # lowercase text every match contains: a fast first check

    def find(self, text: str, lowered: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.anchor in lowered else None


def phone_needle(phone: str) -> Needle:
    """A phone number as E.164 or written nationally, with or without separators."""
    digits = re.sub(r"\D", "", phone)
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    if len(national) == 10:
        area, exchange, line = national[:3], national[3:6], national[6:]
        sep = r"[\s.\-]?"
        body = rf"(?:\+?1{sep})?\(?{area}\)?{sep}{exchange}{sep}{line}"
    else:
        body = re.escape(phone)
    return Needle("phone", phone, re.compile(rf"(?<!\d){body}(?!\d)"), digits[-4:])


def email_needle(email: str) -> Needle:
    """An email in any case, also URL-encoded (`%40`) as in a logged query string."""
    forms = {re.escape(email), re.escape(quote(email, safe=""))}
    return Needle("email", email, re.compile("|".join(sorted(forms)), re.I),
                  email.split("@")[0].lower())


def name_needles(name: str) -> list[Needle]:
    parts = name.split()
    found = [Needle("full_name", name, re.compile(re.escape(name), re.I), name.lower())]
    if len(parts) > 1:
        found.append(Needle("last_name", parts[-1], re.compile(rf"\b{re.escape(parts[-1])}\b"),
                            parts[-1].lower()))
    return found


def bank_needle(value: str) -> Needle:
    return Needle("bank", value, re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])"),
                  value.lower())


def _bank_values(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if BANK_FIELDS.search(key) and isinstance(value, str | int) and not (
                    isinstance(value, str) and value.isidentifier()):  # a reason code, not data
                yield str(value)
            else:
                yield from _bank_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _bank_values(item)


def world_needles(paths: Iterable[Path] = WORLD_FILES) -> list[Needle]:
    """Every driver's phone, email, full and last name, and any bank detail, of the worlds."""
    needles: dict[tuple[str, str], Needle] = {}
    for path in paths:
        if not path.exists():
            continue
        world = json.loads(path.read_text())
        found: list[Needle] = []
        for driver in world.get("drivers", []):
            if driver.get("phone"):
                found.append(phone_needle(driver["phone"]))
            if driver.get("email"):
                found.append(email_needle(driver["email"]))
            found += name_needles(driver["name"])
        found += [bank_needle(v) for v in _bank_values(world)]
        needles |= {(n.kind, n.value): n for n in found}
    return sorted(needles.values(), key=lambda n: (n.kind, n.value))


@dataclass(frozen=True)
class Hit:
    where: str
    kind: str
    value: str
    excerpt: str


def scan(texts: Iterable[tuple[str, str]], needles: list[Needle]) -> list[Hit]:
    """Every needle found in every (where, text)."""
    hits = []
    for where, text in texts:
        lowered = text.lower()
        for needle in needles:
            match = needle.find(text, lowered)
            if match:
                start = max(0, match.start() - 60)
                hits.append(Hit(where, needle.kind, needle.value,
                                text[start:match.end() + 60].replace("\n", " ")))
    return hits


def report(hits: list[Hit], limit: int = 15) -> str:
    """The hits counted by where and kind, then the first few with their context."""
    counts = Counter((h.where, h.kind) for h in hits)
    lines = [f"{len(hits)} personal values found:"]
    lines += [f"  {n:4d} {kind} in {where}" for (where, kind), n in counts.most_common()]
    lines += [f"  {h.kind} {h.value!r} in {h.where}: …{h.excerpt}…" for h in hits[:limit]]
    return "\n".join(lines)
