"""Money as people read it: integer cents shown as dollars."""

from __future__ import annotations


def dollars(cents: int) -> str:
    """Integer cents as dollars with cents: 450 → $4.50."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{rest:02d}"
