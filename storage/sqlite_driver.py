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

:func:`without_fsync` marks transactions whose loss on a power cut costs a repeat, never
data (the outbox's claims and sent marks): they commit with ``synchronous=NORMAL``,
which in WAL mode survives the process's crash (the pages are in the file, with the OS)
but not the machine's, and needs no fsync, so their COMMIT runs on the loop too.

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

__all__ = [
    "FSYNC",
    "InlineConnection",
    "connector",
    "off_the_loop",
    "on_the_worker",
    "without_fsync",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_OFF_THE_LOOP: ContextVar[bool] = ContextVar("sqlite_off_the_loop", default=False)
# False inside :func:`without_fsync` (read when a transaction begins; storage.db for PostgreSQL).
FSYNC: ContextVar[bool] = ContextVar("aftercare_fsync", default=True)


@contextlib.contextmanager
def without_fsync() -> Iterator[None]:
    """Transactions begun in this block keep across a crash of the process, not of the
    machine (SQLite ``synchronous=NORMAL``; PostgreSQL ``synchronous_commit=off``, lost
    only if the database server crashes): for records whose loss costs a repeat."""
    token = FSYNC.set(False)
    try:
        yield
    finally:
        FSYNC.reset(token)


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
    _fsync = True  # this transaction's commit is made durable (FULL) or not (NORMAL)
    # Calls handed to the worker, and those it has finished: each counter is written by
    # one thread only. Nothing runs on the loop while the worker still has a call (one
    # whose awaiting task was cancelled, say): the connection is used by one thread at a time.
    _handed = 0
    _finished = 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sqlite = self._connection
        worker_busy = self._handed != self._finished
        if sqlite is None or not self._running or fn == sqlite.close or worker_busy:
            return await self._on_the_worker(fn, *args, **kwargs)
        if fn == sqlite.rollback:
            return fn()
        if fn == sqlite.commit:
            if not _OFF_THE_LOOP.get() and (
                not self._fsync or sqlite.total_changes == self._changes_at_begin
            ):
                return fn()  # nothing to make durable, or asked not to
            return await self._on_the_worker(fn)
        if _OFF_THE_LOOP.get():
            return await self._on_the_worker(fn, *args, **kwargs)
        if fn == sqlite.cursor or sqlite.in_transaction:
            return fn(*args, **kwargs)
        if _begins(fn, args):
            self._changes_at_begin = sqlite.total_changes
            fsync = FSYNC.get()
            if fsync != self._fsync:  # this transaction's durability (without_fsync)
                sqlite.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
                self._fsync = fsync
            try:
                return self._without_waiting(sqlite, fn, *args)
            except sqlite3.OperationalError as busy:
                if busy.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
        return await self._on_the_worker(fn, *args, **kwargs)

    async def _on_the_worker(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def counted() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                self._finished += 1

        self._handed += 1
        return await super()._execute(counted)  # type: ignore[no-untyped-call]

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
