"""Prefect flows: thin adapters that call tasks and the pure policy."""

import logging

from onetouch.settings import PROJECT_LOGGERS

for _name in PROJECT_LOGGERS.split(","):  # their INFO reaches the run logs Prefect keeps
    logging.getLogger(_name).setLevel(logging.INFO)
