"""The inbox: Telegram updates stored before they are handled, and marked done with their effects.

Polling confirms an update to Telegram when the next batch is asked for, and a webhook
answers 200 at once, so Telegram never delivers again an update the bot was handling when
it died. The inbox keeps each one until the transaction that carries its effects marks it
done; what is left unfinished is handled again, in order per chat.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.ports import StoredUpdate
from storage.models import InboxRow, OutboxRow, UserRow

__all__ = [
    "HANDLING_UPDATE",
    "Handling",
    "SqlInboxRepository",
    "SqlRequestRepository",
]


@dataclass
class Handling:
    """The update this task is handling: outbox rows written meanwhile carry its id and
    wait (the sender skips them) until :meth:`InboxStore.release_outbox` lets them go."""

    update_id: int
    wrote_outbox: bool = False


HANDLING_UPDATE: contextvars.ContextVar[Handling | None] = contextvars.ContextVar(
    "aftercare_handling_update", default=None
)


def _insert_or_skip(session: AsyncSession, table: Table, unique: str) -> Any:
    """An INSERT that skips a row whose ``unique`` column is taken.

    SQLAlchemy 2.0 cannot cache a dialect's ``on_conflict_do_nothing`` (no cache key: it is
    compiled again at every call, 0.2-0.5 ms here); on SQLite, where the inbox is written
    with every batch, ``INSERT OR IGNORE`` says the same for rows that meet the table's
    other constraints, and is cached.
    """
    if session.bind.dialect.name == "postgresql":
        return pg_insert(table).on_conflict_do_nothing(index_elements=[unique])
    return insert(table).prefix_with("OR IGNORE")


class SqlRequestRepository:
    """Telegram update ids as the domain's request ids, read inside a unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def handled(self, request_id: int) -> bool:
        done = await self.session.scalar(
            select(InboxRow.done_at).where(InboxRow.update_id == request_id)
        )
        return done is not None


class SqlInboxRepository:
    """The application's side of the inbox, inside a unit of work (``uow.inbox``): store,
    finish, replay, prune. It never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store_many(
        self, updates: Sequence[tuple[int, int | None, dict[str, Any]]], now: datetime
    ) -> set[int]:
        """Keep updates (id, chat, payload) before anything handles them, in one statement;
        return the ids new here (one stored before came again)."""
        if not updates:
            return set()
        table = cast(Table, InboxRow.__table__)
        kept = await self.session.scalars(
            _insert_or_skip(self.session, table, "update_id").returning(table.c.update_id),
            [
                {
                    "update_id": update_id,
                    "chat_id": chat_id,
                    "payload": payload,
                    "received_at": now,
                    "attempts": 0,
                }
                for update_id, chat_id, payload in updates
            ],
        )
        return set(kept)

    async def mark_done(
        self,
        update_id: int,
        now: datetime,
        unstored: Callable[[], tuple[int | None, dict[str, Any]]],
    ) -> None:
        """The update is done (in the transaction that carries its effects).

        An update handed to the Application directly (not through the queue) was never
        stored: ``unstored()`` then gives its chat and payload, and it is stored done.
        """
        result = await self.session.execute(
            update(InboxRow).where(InboxRow.update_id == update_id).values(done_at=now)
        )
        if int(result.rowcount):  # type: ignore[attr-defined]
            return
        chat_id, payload = unstored()
        self.session.add(
            InboxRow(
                update_id=update_id,
                chat_id=chat_id,
                payload=payload,
                received_at=now,
                attempts=0,
                done_at=now,
            )
        )

    async def unfinished(
        self, *, received_before: datetime, limit: int = 500
    ) -> list[StoredUpdate]:
        """Updates stored but neither done nor given up, oldest first (so in order per chat)."""
        rows = await self.session.scalars(
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
        await self.session.execute(
            update(InboxRow)
            .where(InboxRow.update_id == update_id)
            .values(attempts=InboxRow.attempts + 1)
        )

    async def give_up(self, update_id: int, now: datetime, reason: str) -> None:
        """Stop trying; what its handling already wrote to the outbox is let go, not lost."""
        await self.session.execute(
            update(InboxRow)
            .where(InboxRow.update_id == update_id)
            .values(given_up_at=now, last_error=reason[:500])
        )
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.update_id == update_id, OutboxRow.sent_at.is_(None))
            .values(update_id=None)
        )

    async def user_of_chat(self, chat_id: int) -> int | None:
        """The desk's user behind a private chat (its id is the Telegram user's)."""
        found: int | None = await self.session.scalar(
            select(UserRow.id).where(UserRow.telegram_id == chat_id)
        )
        return found

    async def nothing_waits_for(self, user_id: int) -> bool:
        """True when no earlier message to the user is still to be sent (so a reply may go
        straight out without overtaking one)."""
        waiting = await self.session.scalar(
            select(OutboxRow.id)
            .where(
                OutboxRow.user_id == user_id,
                OutboxRow.sent_at.is_(None),
                OutboxRow.dead_at.is_(None),
            )
            .limit(1)
        )
        return waiting is None

    async def release_outbox(
        self, update_id: int, *, wrote_outbox: bool, replies: list[dict[str, Any]]
    ) -> list[int]:
        """Inside the finishing transaction: the update's replies first, then what it wrote.

        Rows written while handling waited; they are written again after the replies (new
        ids keep the outbox's order per user), no longer waiting. Returns the replies' ids.
        """
        session = self.session
        ids: list[int] = []
        if replies and session.bind.dialect.name == "sqlite":
            # One INSERT for all: SQLite numbers one statement's rows in the order given
            # (each id the largest so far plus one), so the ids sorted follow the replies.
            # SQLAlchemy's ordered RETURNING would send one INSERT a row.
            table = cast(Table, OutboxRow.__table__)
            ids = sorted(await session.scalars(insert(table).returning(table.c.id), replies))
        elif replies:
            ids = list(
                await session.scalars(
                    insert(OutboxRow).returning(OutboxRow.id, sort_by_parameter_order=True),
                    replies,
                )
            )
        if not wrote_outbox:
            return ids
        held = list(
            await session.scalars(
                select(OutboxRow)
                .where(OutboxRow.update_id == update_id, OutboxRow.sent_at.is_(None))
                .order_by(OutboxRow.id)
            )
        )
        if not held:
            return ids
        columns = [c.key for c in OutboxRow.__table__.columns if c.key != "id"]
        copies = [{c: getattr(row, c) for c in columns} | {"update_id": None} for row in held]
        await session.execute(delete(OutboxRow).where(OutboxRow.id.in_([r.id for r in held])))
        await session.execute(insert(OutboxRow), copies)
        return ids

    async def prune(self, before: datetime) -> int:
        """Forget updates done or given up before ``before``; unfinished ones stay."""
        done = await self.session.execute(delete(InboxRow).where(InboxRow.done_at < before))
        given_up = await self.session.execute(delete(InboxRow).where(InboxRow.given_up_at < before))
        return int(done.rowcount) + int(given_up.rowcount)  # type: ignore[attr-defined]
