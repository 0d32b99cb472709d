"""`onetouch simulate`: a realistic platform day — a world, a contact stream and the ground truth
of what each contact is about and what the policy owes — from a seed and a size."""

from __future__ import annotations

import gc
import random
from pathlib import Path

from simulate.contacts import Writer, defect_contacts
from simulate.day import Day, build_day
from simulate.everyday import SHARE, Everyday
from simulate.layout import PRESETS, Size
from simulate.money import progress
from simulate.truth import GroundTruth, compute
from simulate.writer import write_contacts, write_truth, write_world

__all__ = ["PRESETS", "Size", "generate", "write"]


def generate(seed: int, size: Size, detect_every_s: int | None = None
             ) -> tuple[Day, GroundTruth]:
    """The day for a seed and size, its contacts, and the oracle's ground truth (detection at
    now, or on a schedule of that many seconds)."""
    day = build_day(seed, size)
    rng = random.Random(seed * 7919 + 17)
    writer = Writer(day, rng)
    done = progress(day.incentives, day.offers)
    defect_contacts(writer, done)
    Everyday(writer, done).draw(max(10, round(size.offers * SHARE)))
    day.contacts = sorted(writer.specs, key=lambda c: (c.at, c.driver, c.situation, c.text))
    for n, contact in enumerate(day.contacts, 1):
        contact.id = f"c-{n:05d}"
    return day, compute(day, detect_every_s)


def write(seed: int, size: Size, out: Path, detect_every_s: int | None = None) -> dict:
    """Generate a day into `out` (world.json, contacts.jsonl, truth.json); its summary."""
    out.mkdir(parents=True, exist_ok=True)
    gc.disable()  # millions of small objects: the cycle collector only slows the build down
    try:
        day, truth = generate(seed, size, detect_every_s)
        write_world(day, out / "world.json")
        write_contacts(day, out / "contacts.jsonl")
        return write_truth(day, truth, out / "truth.json")
    finally:
        gc.enable()
