"""aiosqlite, with the statements of an open transaction run on the event loop's thread.

aiosqlite runs every call on one worker thread per connection and hands the result back
through the event loop: about 0.15 ms a hop on this project's machines, and SQLAlchemy
makes four or five hops a statement (cursor, execute, fetch, close), so a one-row read
cost 0.75 ms where SQLite itself takes 2 us. Inside a transaction begun with
``BEGIN IMMEDIATE`` (storage.db) a statement never waits for a lock: the write lock is
held, and in WAL mode readers never wait. Only three kinds of call can wait, on another
process's lock or on the disk: ``BEGIN`` (the lock), ``COMMIT`` (the fsync of
``synchronous=FULL``) and ``ROLLBACK``; those, and anything outside a transaction, stay
on the worker thread. No library does this, hence this subclass (written against
aiosqlite 0.22, which the lock pins; ``tests/integration/test_sqlite_driver.py`` checks
which thread runs what).

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
    """An aiosqlite connection that runs a call inside an open transaction at once."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sqlite = self._connection
        if (
            sqlite is not None
            and self._running
            and sqlite.in_transaction
            and not _OFF_THE_LOOP.get()
            and fn != sqlite.commit
            and fn != sqlite.rollback
            and fn != sqlite.close
        ):
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


def connector(path: str, **kwargs: Any) -> Callable[[], Any]:
    """SQLAlchemy's ``async_creator`` for ``path``: a connection made as aiosqlite makes
    one (``check_same_thread=False``, as SQLAlchemy asks for a file database)."""

    async def connect() -> InlineConnection:
        connection = InlineConnection(
            partial(sqlite3.connect, path, check_same_thread=False, **kwargs),
            iter_chunk_size=64,
        )
        connection._thread.daemon = True  # as SQLAlchemy does: never keeps a process alive
        await connection
        return connection

    return connect
