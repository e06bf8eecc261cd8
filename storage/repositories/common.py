"""Shared by the repositories: the dialect's INSERT for ON CONFLICT clauses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["dialect_insert"]


def dialect_insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, for ON CONFLICT clauses (both SQLite and PostgreSQL have them)."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
