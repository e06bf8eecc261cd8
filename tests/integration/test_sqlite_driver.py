"""storage.sqlite_driver: which thread runs what, and that a transaction still is one."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from storage.db import make_engine, make_sessionmaker
from storage.sqlite_driver import connector, off_the_loop, without_fsync


async def _traced(path: Path) -> tuple[Any, list[tuple[str, bool]]]:
    """An engine on a database with a table ``t``, whose every SQL statement from here on
    is noted with whether the loop's thread ran it."""
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    loop_thread = threading.get_ident()
    seen: list[tuple[str, bool]] = []

    @event.listens_for(engine.sync_engine, "connect")
    def trace(dbapi_connection: Any, _record: Any) -> None:
        def note(statement: str) -> None:
            verb = statement.split()[0].upper()
            if verb != "PRAGMA":  # the driver's own busy_timeout switches
                seen.append((verb, threading.get_ident() == loop_thread))

        dbapi_connection.driver_connection._conn.set_trace_callback(note)

    async with make_sessionmaker(engine)() as session:
        await session.execute(text("CREATE TABLE t (x INTEGER)"))
        await session.commit()
    seen.clear()
    return engine, seen


async def test_only_a_commit_with_rows_to_make_durable_leaves_the_loop(tmp_path: Path) -> None:
    engine, seen = await _traced(tmp_path / "d.db")
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
        await session.execute(text("SELECT x FROM t"))
        await session.commit()
    # True: run on the loop's thread. The commit has a row to fsync: the worker's.
    assert seen == [("BEGIN", True), ("INSERT", True), ("SELECT", True), ("COMMIT", False)]
    seen.clear()
    async with sessions() as session:
        await session.execute(text("SELECT x FROM t"))
        await session.commit()  # nothing changed: nothing to make durable
        await session.execute(text("INSERT INTO t VALUES (2)"))
        await session.rollback()
    assert seen == [
        ("BEGIN", True),
        ("SELECT", True),
        ("COMMIT", True),
        ("BEGIN", True),
        ("INSERT", True),
        ("ROLLBACK", True),
    ]
    seen.clear()
    async with sessions() as session:
        with off_the_loop():
            await session.execute(text("SELECT count(*) FROM t"))
            await session.rollback()
    assert seen == [("BEGIN", False), ("SELECT", False), ("ROLLBACK", True)]
    async with sessions() as session:
        assert (await session.execute(text("SELECT x FROM t"))).scalars().all() == [1]
    await engine.dispose()


async def test_a_transaction_without_fsync_commits_on_the_loop_and_the_next_syncs_again(
    tmp_path: Path,
) -> None:
    engine, seen = await _traced(tmp_path / "d.db")
    sessions = make_sessionmaker(engine)

    async def synchronous() -> int:
        async with sessions() as session:
            return int((await session.execute(text("PRAGMA synchronous"))).scalar_one())

    seen.clear()
    with without_fsync():
        async with sessions() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            assert (await session.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL
            await session.commit()
    assert seen == [("BEGIN", True), ("INSERT", True), ("COMMIT", True)]
    assert await synchronous() == 2  # FULL again for everything else
    async with sessions() as session:
        assert (await session.execute(text("SELECT x FROM t"))).scalars().all() == [1]
    await engine.dispose()


async def test_a_transaction_is_still_atomic_and_waits_for_the_write_lock(tmp_path: Path) -> None:
    engine, _ = await _traced(tmp_path / "d.db")
    sessions = make_sessionmaker(engine)
    async with sessions() as first:
        await first.execute(text("INSERT INTO t VALUES (1)"))
        # A second writer finds the database busy and waits for BEGIN IMMEDIATE on its
        # worker thread, while the loop goes on.
        second = sessions()
        waiting = asyncio.create_task(second.execute(text("INSERT INTO t VALUES (2)")))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await first.rollback()
    await waiting
    await second.commit()
    await second.close()
    async with sessions() as session:
        assert (await session.execute(text("SELECT x FROM t"))).scalars().all() == [2]
        # The connection waits its full timeout again after a BEGIN tried without waiting.
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 10_000
    await engine.dispose()


async def test_nothing_runs_on_the_loop_while_the_worker_still_has_a_call(tmp_path: Path) -> None:
    """A call whose task was cancelled goes on on the worker; the next call waits its turn
    there rather than use the connection from the loop's thread at the same time."""
    connection = await connector(str(tmp_path / "d.db"), timeout=10)()
    loop_thread = threading.get_ident()
    ran: list[tuple[str, bool]] = []
    connection._conn.set_trace_callback(
        lambda sql: ran.append((sql.split()[0].upper(), threading.get_ident() == loop_thread))
    )
    await connection.execute("BEGIN")
    with off_the_loop():
        long_read = asyncio.create_task(
            connection.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                " WHERE i < 3000000) SELECT count(*) FROM n"
            )
        )
        await asyncio.sleep(0.05)
    long_read.cancel()
    await asyncio.gather(long_read, return_exceptions=True)
    cursor = await connection.execute("SELECT 2")  # in a transaction: the loop's, if idle
    assert await cursor.fetchall() == [(2,)]
    assert ran[-1] == ("SELECT", False)  # the worker was still reading: it waited there
    cursor = await connection.execute("SELECT 3")
    assert ran[-1] == ("SELECT", True)  # the worker idle again: on the loop
    await connection.close()
