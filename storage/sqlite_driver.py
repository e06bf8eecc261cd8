"""aiosqlite, with every call that cannot wait run on the event loop's thread.

aiosqlite runs every call on one worker thread per connection and hands the result back
through the event loop: 0.15-0.4 ms a hop on this project's machines, and SQLAlchemy
makes several hops a statement (cursor, execute, fetch, close) and more a transaction
(begin, commit, the pool's reset), so a one-row read in its own transaction cost 1.7 ms
where SQLite itself takes 2 us. Most calls cannot wait on anything:

- inside a transaction begun with ``BEGIN IMMEDIATE`` (storage.db) a statement never
  waits for a lock (the write lock is held; in WAL mode readers never wait);
- ``ROLLBACK`` never waits (it takes no lock and writes nothing to disk), nor does
  ``COMMIT`` of a transaction that changed no row (nothing to fsync), nor making a cursor;
- ``BEGIN IMMEDIATE`` waits only while another connection writes: it is tried here
  with no busy wait, and only if the database is busy is it sent to the worker thread,
  to wait there (up to the connection's timeout) while the loop goes on.

So only a contended ``BEGIN``, a ``COMMIT`` that has rows to make durable (the fsync of
``synchronous=FULL``), connecting and closing go to the worker thread. No library does
this, hence this subclass (written against aiosqlite 0.22, which the lock pins;
``tests/integration/test_sqlite_driver.py`` checks which thread runs what).

A long read inside a transaction (a year's KPIs, an export, the audit chain) would hold
the event loop for its length: :func:`off_the_loop` sends a block's statements to the
worker thread, and :func:`on_the_worker` a repository method's.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from functools import partial
from typing import Any, ParamSpec, TypeVar

import aiosqlite

__all__ = ["InlineConnection", "connector", "off_the_loop", "on_the_worker"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_OFF_THE_LOOP: ContextVar[bool] = ContextVar("sqlite_off_the_loop", default=False)


@contextlib.contextmanager
def off_the_loop() -> Iterator[None]:
    """Statements in this block run on the worker thread (long reads: reports, exports)."""
    token = _OFF_THE_LOOP.set(True)
    try:
        yield
    finally:
        _OFF_THE_LOOP.reset(token)


def on_the_worker(
    method: Callable[_P, Awaitable[_R]],
) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """A repository method whose reads may be long: its statements leave the loop alone."""

    @functools.wraps(method)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with off_the_loop():
            return await method(*args, **kwargs)

    return run


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs at once every call that cannot wait (module doc)."""

    busy_timeout_ms = 10_000  # set from the connection's timeout (connector)
    _changes_at_begin = 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sqlite = self._connection
        if sqlite is None or not self._running or _OFF_THE_LOOP.get() or fn == sqlite.close:
            return await self._on_the_worker(fn, *args, **kwargs)
        if fn == sqlite.commit:
            if sqlite.total_changes == self._changes_at_begin:
                return fn()  # nothing to make durable
            return await self._on_the_worker(fn)
        if fn == sqlite.rollback or fn == sqlite.cursor or sqlite.in_transaction:
            return fn(*args, **kwargs)
        if _begins(fn, args):
            self._changes_at_begin = sqlite.total_changes
            try:
                return self._without_waiting(sqlite, fn, *args)
            except sqlite3.OperationalError as busy:
                if busy.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
        return await self._on_the_worker(fn, *args, **kwargs)

    async def _on_the_worker(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    def _without_waiting(
        self, sqlite: sqlite3.Connection, fn: Callable[..., Any], *args: Any
    ) -> Any:
        sqlite.execute("PRAGMA busy_timeout = 0")
        try:
            return fn(*args)
        finally:
            sqlite.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")


def _begins(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """A cursor's ``execute("BEGIN ...")``: the one statement outside a transaction that
    SQLAlchemy sends on its own (storage.db issues BEGIN IMMEDIATE)."""
    return (
        getattr(fn, "__name__", "") == "execute"
        and isinstance(getattr(fn, "__self__", None), sqlite3.Cursor)
        and bool(args)
        and isinstance(args[0], str)
        and args[0].lstrip().upper().startswith("BEGIN")
    )


def connector(path: str, **kwargs: Any) -> Callable[[], Any]:
    """SQLAlchemy's ``async_creator`` for ``path``: a connection made as aiosqlite makes
    one (``check_same_thread=False``, as SQLAlchemy asks for a file database)."""

    async def connect() -> InlineConnection:
        connection = InlineConnection(
            partial(sqlite3.connect, path, check_same_thread=False, **kwargs),
            iter_chunk_size=64,
        )
        connection.busy_timeout_ms = int(kwargs.get("timeout", 5.0) * 1000)
        connection._thread.daemon = True  # as SQLAlchemy does: never keeps a process alive
        await connection
        return connection

    return connect
