"""SQL logging that never shows stored values, whatever level the logging is set to.

SQLAlchemy logs each statement's parameters at INFO and each fetched row at DEBUG on the
`sqlalchemy.engine.Engine` logger. Our databases hold drivers' phones and emails (the sandbox)
and messages in the drivers' own words (the case store), so their engines are created with
`hide_parameters=True` and this filter drops the row records: turning every logger to DEBUG
(`PREFECT_LOGGING_ROOT_LEVEL=DEBUG`, a logging config) shows the SQL, never the data.
"""

from __future__ import annotations

import logging

ENGINE_LOGGER = "sqlalchemy.engine.Engine"


class NoRowValues(logging.Filter):
    """Drops SQLAlchemy's `Row (...)` debug records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


def hide_row_values() -> None:
    """Install the filter on the engine logger once per process."""
    logger = logging.getLogger(ENGINE_LOGGER)
    if not any(isinstance(f, NoRowValues) for f in logger.filters):
        logger.addFilter(NoRowValues())
