"""Whether this process runs the desk alone, so that what a killed run left claimed can
be taken back at once instead of waiting for its lease.

On SQLite there is only ever one process. On PostgreSQL, processes share the database;
the first to start holds a session-level advisory lock on a connection of its own for
as long as it lives. The server drops the lock the moment that process dies (its
connection closes, even after SIGKILL), so the next one to start takes it and knows no
other process is working: the replies the dead one had claimed are its to send. A
process that finds the lock taken shares the desk and leaves others' claims to their
leases.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["DESK_LOCK_KEY", "SoleProcess"]

DESK_LOCK_KEY = 0x4166_7443  # "AftC": the desk's advisory lock


class SoleProcess:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._holding: AsyncConnection | None = None

    async def claim(self) -> bool:
        """True when no other process shares the desk (and this one now holds the lock)."""
        if self.engine.dialect.name != "postgresql":
            return True
        connection = await self.engine.connect()
        held = bool(
            await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": DESK_LOCK_KEY}
            )
        )
        await connection.commit()  # a session's lock outlives the transaction
        if held:
            self._holding = connection
        else:
            await connection.close()
        return held

    async def release(self) -> None:
        if self._holding is not None:
            # Unlocked by hand: closing only hands the connection back to the pool,
            # where its session (and a session's lock) lives on.
            await self._holding.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": DESK_LOCK_KEY}
            )
            await self._holding.close()
            self._holding = None
