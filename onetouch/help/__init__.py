"""In-app help: answers from the driver's own facts, and resolutions started when owed."""

from onetouch.help.api import help_router

__all__ = ["help_router"]
