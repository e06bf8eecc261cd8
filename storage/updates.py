"""The inbox: Telegram updates stored before they are handled, and marked done with their effects.

Polling confirms an update to Telegram when the next batch is asked for, and a webhook
answers 200 at once, so Telegram never delivers again an update the bot was handling when
it died. The inbox keeps each one until the transaction that carries its effects marks it
done; what is left unfinished is handled again, in order per chat.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import InboxRow, OutboxRow

__all__ = [
    "HANDLING_UPDATE",
    "HELD_UNTIL_DONE",
    "InboxStore",
    "SqlRequestRepository",
    "StoredUpdate",
]

# The update being handled in this task, if any: outbox rows written meanwhile are held.
HANDLING_UPDATE: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "aftercare_handling_update", default=None
)
# A claim no sender will wait out: the row is released when its update is done.
HELD_UNTIL_DONE = datetime(9000, 1, 1, tzinfo=UTC)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


class SqlRequestRepository:
    """Telegram update ids as the domain's request ids, read inside a unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def handled(self, request_id: int) -> bool:
        done = await self.session.scalar(
            select(InboxRow.done_at).where(InboxRow.update_id == request_id)
        )
        return done is not None


@dataclass(frozen=True)
class StoredUpdate:
    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    received_at: datetime
    attempts: int


class InboxStore:
    """The application's side of the inbox: store, finish inside a session, replay, prune."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def store(
        self, update_id: int, chat_id: int | None, payload: dict[str, Any], now: datetime
    ) -> bool:
        """Keep an update before anything handles it; False if it was stored before."""
        async with self.sessions() as session:
            result = await session.execute(
                _insert(session)(InboxRow)
                .values(
                    update_id=update_id,
                    chat_id=chat_id,
                    payload=payload,
                    received_at=now,
                    attempts=0,
                )
                .on_conflict_do_nothing(index_elements=["update_id"])
            )
            await session.commit()
            return int(result.rowcount) == 1  # type: ignore[attr-defined]

    @staticmethod
    async def mark_done(
        session: AsyncSession,
        update_id: int,
        chat_id: int | None,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        """Inside the caller's transaction: the update is done (stored now if it never was)."""
        stmt = _insert(session)(InboxRow).values(
            update_id=update_id,
            chat_id=chat_id,
            payload=payload,
            received_at=now,
            attempts=1,
            done_at=now,
        )
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["update_id"], set_={"done_at": now})
        )

    async def unfinished(
        self, *, received_before: datetime, limit: int = 500
    ) -> list[StoredUpdate]:
        """Updates stored but neither done nor given up, oldest first (so in order per chat)."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(InboxRow)
                .where(
                    InboxRow.done_at.is_(None),
                    InboxRow.given_up_at.is_(None),
                    InboxRow.received_at <= received_before,
                )
                .order_by(InboxRow.update_id)
                .limit(limit)
            )
            return [
                StoredUpdate(r.update_id, r.chat_id, dict(r.payload), r.received_at, r.attempts)
                for r in rows
            ]

    async def attempt(self, update_id: int) -> None:
        """Count one more try before handling a stored update again."""
        await self._set(update_id, attempts=InboxRow.attempts + 1)

    async def give_up(self, update_id: int, now: datetime, reason: str) -> None:
        """Stop trying; what its handling already wrote to the outbox is let go, not lost."""
        async with self.sessions() as session:
            await session.execute(
                update(InboxRow)
                .where(InboxRow.update_id == update_id)
                .values(given_up_at=now, last_error=reason[:500])
            )
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.update_id == update_id, OutboxRow.sent_at.is_(None))
                .values(update_id=None, claimed_until=None)
            )
            await session.commit()

    @staticmethod
    async def release_outbox(
        session: AsyncSession, update_id: int, replies: list[dict[str, Any]]
    ) -> None:
        """Inside the finishing transaction: the update's replies first, then what it wrote.

        Rows written while handling were held; they are written again after the replies
        (new ids keep the outbox's order per user) and no longer held.
        """
        held = list(
            await session.scalars(
                select(OutboxRow)
                .where(OutboxRow.update_id == update_id, OutboxRow.sent_at.is_(None))
                .order_by(OutboxRow.id)
            )
        )
        columns = [c.key for c in OutboxRow.__table__.columns if c.key != "id"]
        copies = [{c: getattr(row, c) for c in columns} for row in held]
        if held:
            await session.execute(delete(OutboxRow).where(OutboxRow.id.in_([r.id for r in held])))
        for copy in copies:
            copy.update(update_id=None, claimed_until=None)
        rows = replies + copies
        if rows:
            await session.execute(insert(OutboxRow), rows)

    async def _set(self, update_id: int, **values: Any) -> None:
        async with self.sessions() as session:
            await session.execute(
                update(InboxRow).where(InboxRow.update_id == update_id).values(**values)
            )
            await session.commit()

    async def prune(self, before: datetime) -> int:
        """Forget done and given-up updates older than the retention window."""
        async with self.sessions() as session:
            result = await session.execute(
                delete(InboxRow).where(
                    InboxRow.received_at < before,
                    (InboxRow.done_at.is_not(None)) | (InboxRow.given_up_at.is_not(None)),
                )
            )
            await session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]
