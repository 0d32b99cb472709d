"""`python -m onetouch.prefect_server start …`: Prefect's server, with its SQLite transactions
begun IMMEDIATE.

Prefect 3.8.8 begins most SQLite transactions DEFERRED. One that reads and then writes (creating a
task run reads for an existing one first) fails at once with "database is locked", a 503, when
another connection committed in between: SQLite does not wait out its busy timeout for that
upgrade. Under a burst of contacts that was 46 503s in 100 contacts (37 on creating task runs, 8 on
creating approval runs), each retried by the client after seconds. Begun IMMEDIATE, a transaction
takes SQLite's write lock first and writers queue for it instead: 0 503s in a burst of 200, which
took 45 s instead of over 200 s (docs/resolvers.md, "The embedded default"). On PostgreSQL this
changes nothing (the method belongs to Prefect's SQLite configuration).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prefect.server.database import configurations


@asynccontextmanager
async def _begin_immediate(self: Any, session: Any, with_for_update: bool = False
                           ) -> AsyncIterator[Any]:
    token = configurations.SQLITE_BEGIN_MODE.set("IMMEDIATE")
    try:
        async with session.begin() as transaction:
            yield transaction
    finally:
        configurations.SQLITE_BEGIN_MODE.reset(token)


def main() -> None:
    """`prefect server …` with the SQLite transactions begun IMMEDIATE."""
    from prefect.cli import app

    configurations.AioSqliteConfiguration.begin_transaction = _begin_immediate  # type: ignore[method-assign]
    sys.argv = ["prefect", "server", *sys.argv[1:]]
    app()


if __name__ == "__main__":
    main()
