"""The outbox's delivery side: which rows are due, claiming them, recording the outcome.

Messages to one user leave in the order they were written: only the oldest
pending row of each user is ever due. A row is claimed (compare-and-set on
``claimed_until``) before it is sent, so two senders never send the same row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from dispatch.ports import PendingMessage
from storage.models import AttachmentRow, OutboxRow, UserRow

__all__ = ["SqlDeliveryRepository"]


class SqlDeliveryRepository:
    """Inside a unit of work (``uow.delivery``); the sender commits each step."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def due(self, now: datetime, limit: int = 50) -> list[PendingMessage]:
        earlier = aliased(OutboxRow)
        older_pending = exists().where(
            earlier.user_id == OutboxRow.user_id,
            earlier.id < OutboxRow.id,
            earlier.sent_at.is_(None),
            earlier.dead_at.is_(None),
        )
        query = (
            select(OutboxRow, UserRow)
            .join(UserRow, UserRow.id == OutboxRow.user_id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.dead_at.is_(None),
                OutboxRow.next_attempt_at <= now,
                OutboxRow.update_id.is_(None),  # not while its update is being handled
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
                ~older_pending,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return [
            PendingMessage(
                id=row.id,
                user_id=row.user_id,
                ticket_id=row.ticket_id,
                chat_id=user.telegram_id,
                language=user.language,
                telegram_language=user.telegram_language,
                unreachable=user.unreachable_at is not None,
                kind=row.kind,
                template=row.template,
                params=dict(row.params or {}),
                buttons=list(row.buttons or []),
                attempts=row.attempts,
                ref=row.ref,
            )
            for row, user in rows
        ]

    async def _update(self, *where: Any, **values: Any) -> int:
        result = await self.session.execute(
            update(OutboxRow)
            .where(*where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim(self, message_id: int, now: datetime, lease: timedelta) -> bool:
        claimed = await self._update(
            OutboxRow.id == message_id,
            OutboxRow.sent_at.is_(None),
            OutboxRow.dead_at.is_(None),
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
            claimed_until=now + lease,
            attempts=OutboxRow.attempts + 1,
        )
        return claimed == 1

    async def release_all_claims(self) -> int:
        """At start-up of the only process (SQLite): claims left by a process that died
        would otherwise hold its messages back until their lease ran out."""
        return await self._update(
            OutboxRow.sent_at.is_(None),
            OutboxRow.dead_at.is_(None),
            OutboxRow.claimed_until.is_not(None),
            claimed_until=None,
        )

    async def release(self, message_ids: list[int]) -> None:
        """Give claimed rows back to the sender loop, unsent."""
        if message_ids:
            await self._update(OutboxRow.id.in_(message_ids), claimed_until=None)

    async def sent_many(self, sent: list[tuple[int, int | None]], now: datetime) -> None:
        """Mark several rows sent in one transaction (message id Telegram gave, if any)."""
        if not sent:
            return
        table = cast(Table, OutboxRow.__table__)
        await self.session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                sent_at=now,
                claimed_until=None,
                telegram_message_id=bindparam("message_id"),
                last_error=None,
            ),
            [{"row_id": row_id, "message_id": message_id} for row_id, message_id in sent],
        )

    async def message_id_for(self, stand_in: int) -> int | None:
        """The real id of a held message, once its row was sent; None while it waits.

        A row given up (dead) resolves to 0, which Telegram refuses as a message id:
        the edit that waited for it is then given up too rather than waiting forever.
        """
        row = (
            await self.session.execute(
                select(OutboxRow.telegram_message_id, OutboxRow.dead_at)
                .where(OutboxRow.ref == stand_in)
                .order_by(OutboxRow.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return 0
        if row.telegram_message_id is not None:
            return int(row.telegram_message_id)
        return 0 if row.dead_at is not None else None

    async def sent(self, message_id: int, now: datetime, telegram_message_id: int | None) -> None:
        await self._update(
            OutboxRow.id == message_id,
            sent_at=now,
            claimed_until=None,
            telegram_message_id=telegram_message_id,
            last_error=None,
        )

    async def retry_at(self, message_id: int, at: datetime, error: str) -> None:
        await self._update(
            OutboxRow.id == message_id, next_attempt_at=at, claimed_until=None, last_error=error
        )

    async def keep_document(
        self, message: PendingMessage, file_id: str, unique_id: str, now: datetime
    ) -> None:
        """A document the bot sent about a ticket (the service report) is kept on the ticket."""
        if message.ticket_id is None:
            return
        self.session.add(
            AttachmentRow(
                ticket_id=message.ticket_id,
                uploaded_by=message.user_id,
                purpose=message.kind,
                media_type="document",
                telegram_file_id=file_id,
                telegram_file_unique_id=unique_id,
                created_at=now,
            )
        )
        await self.session.flush()

    async def dead(self, message_id: int, now: datetime, error: str) -> None:
        await self._update(
            OutboxRow.id == message_id, dead_at=now, claimed_until=None, last_error=error
        )

    async def recipient_unreachable(self, user_id: int, now: datetime, error: str) -> None:
        """The user blocked the bot: mark them, and give up every message still waiting for them."""
        await self.session.execute(
            update(UserRow).where(UserRow.id == user_id).values(unreachable_at=now)
        )
        await self.session.execute(
            update(OutboxRow)
            .where(
                and_(
                    OutboxRow.user_id == user_id,
                    OutboxRow.sent_at.is_(None),
                    OutboxRow.dead_at.is_(None),
                )
            )
            .values(dead_at=now, claimed_until=None, last_error=error)
        )
