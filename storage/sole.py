"""Which process runs the desk: the active one takes updates, a standby waits to take over.

On SQLite the active process holds an exclusive lock on the file ``<database>.lock``
(dropped by the system when the process ends, however it ends): a second process on the
same machine and file stands by. On PostgreSQL, several ``aftercare run``
processes may share the database (on one machine or several): the first to start holds
a session-level advisory lock on a connection of its own for as long as it lives, and is
the active one. The others stand by, asking for the lock every second. The server drops
the lock the moment the active process dies (its connection closes, even after SIGKILL),
or, if its machine stops answering, once TCP keepalives find the connection dead (set
short on that connection: about 11 seconds). The active process also checks its lock
every few seconds (bot.serve), which the server notes as the session's last activity: a
holder silent for ``SILENT_AFTER`` (a process frozen, or a machine whose network hangs
without closing) has its session ended by a standby. The next standby to ask then holds
the lock and knows no other process is working, so the replies the dead one had claimed
are its to send. An active process that can no longer reach its lock stops, so that two
never take updates at once.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["DESK_LOCK_KEY", "SILENT_AFTER", "SoleProcess"]

log = logging.getLogger(__name__)

DESK_LOCK_KEY = 0x4166_7443  # "AftC": the desk's advisory lock
# The server's keepalives on the lock's connection: a silent machine is found dead after
# idle + interval x count seconds, and its lock goes to a standby.
# A holder whose lock connection has run nothing for this long is taken for dead.
SILENT_AFTER = 20.0
# The lock's connection must answer a check within this many seconds.
LOCK_ANSWER_SECONDS = 5.0
KEEPALIVES = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 3}


class SoleProcess:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._holding: AsyncConnection | None = None
        self._file: BinaryIO | None = None

    def _lock_file(self) -> Path | None:
        """SQLite's lock file (None for an in-memory database: one process by definition)."""
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None
        return Path(f"{database}.lock")

    def _claim_file(self) -> bool:
        path = self._lock_file()
        if path is None or self._file is not None:
            return True
        file = path.open("ab")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return False
        self._file = file
        return True

    async def claim(self) -> bool:
        """True when no other process runs the desk (and this one now holds the lock)."""
        if self.engine.dialect.name != "postgresql":
            return self._claim_file()
        if self._holding is not None:
            return True
        connection = await self.engine.connect()
        try:
            for setting, value in KEEPALIVES.items():
                await connection.execute(text(f"SET {setting} = {int(value)}"))
            held = bool(
                await connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": DESK_LOCK_KEY}
                )
            )
            await connection.commit()  # a session's lock outlives the transaction
        except BaseException:
            await connection.close()
            raise
        if held:
            self._holding = connection
        else:
            await connection.close()
        return held

    async def wait_to_claim(self, stopping: asyncio.Event, every: float = 1.0) -> bool:
        """Stand by until the lock is this process's (True) or ``stopping`` is set (False).
        A database that does not answer meanwhile is asked again."""
        while not stopping.is_set():
            try:
                if await self.claim() or (await self._end_silent_holder() and await self.claim()):
                    return True
            except Exception:  # the database is away: the active one cannot work either
                pass
            try:
                await asyncio.wait_for(stopping.wait(), every)
            except TimeoutError:
                continue
        return False

    async def _end_silent_holder(self) -> bool:
        """End the session holding the lock if it has been silent for SILENT_AFTER."""
        if self.engine.dialect.name != "postgresql":
            return False  # a frozen process on this machine is the operator's to end
        async with self.engine.connect() as connection:
            pid = await connection.scalar(
                text(
                    "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
                    "AND l.objid = :key AND l.objsubid = 1 "
                    "AND a.datname = current_database() "
                    "AND a.state_change < now() - make_interval(secs => :silent)"
                ),
                {"key": DESK_LOCK_KEY, "silent": SILENT_AFTER},
            )
            if pid is None:
                return False
            log.warning(
                "the active process's session %s has been silent for %gs: ending it",
                pid,
                SILENT_AFTER,
            )
            ended = bool(
                await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            )
            await connection.commit()
            # The server drops the session's lock as the session ends, a moment later.
            for _ in range(50):
                if not ended:
                    break
                gone = await connection.scalar(
                    text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": pid},
                )
                await connection.commit()
                if gone:
                    break
                await asyncio.sleep(0.1)
            return ended

    async def still_held(self) -> bool:
        """Whether the lock's connection still answers (so the lock is still ours)."""
        if self._holding is None:
            return self.engine.dialect.name != "postgresql"  # a file lock stays held
        try:
            await asyncio.wait_for(self._holding.execute(text("SELECT 1")), LOCK_ANSWER_SECONDS)
            await self._holding.commit()
        except Exception:
            return False
        return True

    async def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._holding is not None:
            holding, self._holding = self._holding, None
            try:
                # Unlocked by hand: closing only hands the connection back to the pool,
                # where its session (and a session's lock) lives on.
                await holding.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": DESK_LOCK_KEY}
                )
            except Exception:  # the connection is gone, and the lock with it
                await holding.invalidate()
            await holding.close()
