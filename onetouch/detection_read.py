"""Detection's read of a window: the exports saved to files, screened in DuckDB, fed to the
Reconciler; every row through the models instead when the screen refuses a file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from integrations.exports import ExportsClient, read_ndjson
from onetouch.detection_screen import screen
from onetouch.models import Earning, Incentive, Offer
from policy.config import PolicyConfig
from policy.detect import Reconciler, Scope, detection_since

READ_PAST_NOW = timedelta(seconds=1)


class WindowRead(NamedTuple):
    """The fed Reconciler, the rows read per export, and whether the screen passed them."""

    reconciler: Reconciler
    scanned: dict[str, int]
    screened: bool


def window(now: datetime, policy: PolicyConfig) -> tuple[datetime, datetime]:
    """The exports' [since, until) for a run at `now`: the detection window, read a second past
    now so remediations made at `now` are seen by the next run."""
    return detection_since(now, policy), now + READ_PAST_NOW


def read_window(exports: ExportsClient, now: datetime, policy: PolicyConfig, scope: Scope,
                workdir: Path) -> WindowRead:
    """Download the window's incentives, earnings and offers into `workdir`, and feed them."""
    since, until = window(now, policy)
    files = {name: workdir / f"{name}.ndjson" for name in ("incentives", "earnings", "offers")}
    sources = {"incentives": exports.download("incentives", since, until, files["incentives"])}
    incentives = read_ndjson(Incentive, file_lines(files["incentives"]), sources["incentives"])
    reconciler = Reconciler(now, policy, incentives, scope)
    sources["earnings"] = exports.download("earnings", since, until, files["earnings"])
    sources["offers"] = exports.download("offers", reconciler.offers_since, until,
                                         files["offers"])
    return feed(reconciler, files, sources, workdir)


def feed(reconciler: Reconciler, files: dict[str, Path], sources: dict[str, str],
         workdir: Path, columnar: bool = True) -> WindowRead:
    """Earnings, then offers, into the Reconciler: the screened ones, or every row (whose
    errors name the source and the line)."""
    screened = screen(files, reconciler.now, reconciler.policy, reconciler.incentives,
                      workdir) if columnar else None
    earnings: Iterable[Earning]
    offers: Iterable[Offer]
    if screened is not None:
        earnings, offers, scanned = screened
    else:
        earnings = read_ndjson(Earning, file_lines(files["earnings"]), sources["earnings"])
        offers = read_ndjson(Offer, file_lines(files["offers"]), sources["offers"])
    for earning in earnings:
        reconciler.add_earning(earning)
    for offer in offers:
        reconciler.add_offer(offer)
    if screened is None:
        scanned = {"earnings": reconciler.earnings_read, "offers": reconciler.offers_read}
    return WindowRead(reconciler, scanned, screened is not None)


def file_lines(path: Path) -> Iterator[bytes]:
    """A file's lines as bytes, read as they are needed."""
    with path.open("rb") as file:
        yield from file
