"""What was already paid on one subject and kind: the summary every amount rule reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from onetouch.models import Earning

REMEDIATION_SOURCES = frozenset({"contact", "proactive", "agent"})


class Paid(NamedTuple):
    """Earnings on one subject and kind, summed; remediations counted apart."""

    total_cents: int = 0
    count: int = 0  # type: ignore[assignment]  # the field shadows tuple.count
    remediated_cents: int = 0
    last_remediated_at: datetime | None = None

    def plus(self, amount_cents: int, source: str, created_at: datetime) -> Paid:
        """This summary with one more earning."""
        if source not in REMEDIATION_SOURCES:  # (a plain constructor: _replace is slow)
            return Paid(self.total_cents + amount_cents, self.count + 1, self.remediated_cents,
                        self.last_remediated_at)
        last = self.last_remediated_at
        return Paid(self.total_cents + amount_cents, self.count + 1,
                    self.remediated_cents + amount_cents,
                    created_at if last is None or created_at > last else last)

    @classmethod
    def of(cls, earnings: Iterable[Earning]) -> Paid:
        """The summary of a list of earnings."""
        paid = cls()
        for earning in earnings:
            paid = paid.plus(earning.amount_cents, earning.source, earning.created_at)
        return paid


NOTHING_PAID = Paid()
