"""The project's own tables (SQLAlchemy + Alembic): SQLite by default, PostgreSQL by URL."""

from onetouch.casestore.store import CaseStore

__all__ = ["CaseStore"]
