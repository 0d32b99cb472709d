"""The root-cause report: why drivers needed help, computed from the case store and the
platform (compute.py is pure), rendered for the terminal, Prefect artifacts and HTML."""

from onetouch.rootcause.build import build_report
from onetouch.rootcause.models import RootCauseReport

__all__ = ["RootCauseReport", "build_report"]
