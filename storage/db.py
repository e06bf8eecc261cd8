"""Engines and sessions: SQLite (WAL, synchronous=FULL, foreign keys) or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_driver import FSYNC, connector

__all__ = ["make_engine", "make_sessionmaker"]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction starts (see _begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN: a transaction that reads and then writes can
    # otherwise fail with SQLITE_BUSY instead of waiting its turn.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_on_postgres(conn: Any) -> None:
    if not FSYNC.get():  # storage.sqlite_driver.without_fsync
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> AsyncEngine:
    """Build the async engine; ``schema`` sets PostgreSQL's search_path (tests use it)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not parsed.query:
            # Statements inside a transaction run on the event loop (storage.sqlite_driver).
            kwargs["async_creator"] = connector(database, timeout=10)
        else:
            kwargs["connect_args"] = {"timeout": 10}
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    if schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "begin", _begin_on_postgres)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
