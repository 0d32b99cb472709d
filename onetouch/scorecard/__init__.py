"""The scorecard: figures of a period computed from the case store (compute.py is pure),
rendered for the terminal, Prefect artifacts and an HTML page (render.py)."""

from onetouch.scorecard.build import build
from onetouch.scorecard.models import Period, Scorecard

__all__ = ["Period", "Scorecard", "build"]
