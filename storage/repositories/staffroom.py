"""The staff group's topics and its queue of posts (dispatch.staffroom)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.model import StaffPost, StaffTopic
from storage.models import StaffPostRow, StaffTopicRow
from storage.repositories.common import dialect_insert

__all__ = ["SqlStaffRoomRepository"]


_POST_INSERT: dict[str, Any] = {}


def _topic(row: StaffTopicRow) -> StaffTopic:
    return StaffTopic(
        id=row.id,
        chat_id=row.chat_id,
        key=row.key,
        ticket_id=row.ticket_id,
        thread_id=row.thread_id,
        name=row.name,
        card_message_id=row.card_message_id,
        closed=row.closed,
    )


class SqlStaffRoomRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def topic(self, chat_id: int, key: str) -> StaffTopic | None:
        row = await self.session.scalar(
            select(StaffTopicRow).where(StaffTopicRow.chat_id == chat_id, StaffTopicRow.key == key)
        )
        return _topic(row) if row else None

    async def topic_by_thread(self, chat_id: int, thread_id: int) -> StaffTopic | None:
        row = await self.session.scalar(
            select(StaffTopicRow).where(
                StaffTopicRow.chat_id == chat_id, StaffTopicRow.thread_id == thread_id
            )
        )
        return _topic(row) if row else None

    async def topic_by_id(self, topic_id: int) -> StaffTopic | None:
        row = await self.session.get(StaffTopicRow, topic_id)
        return _topic(row) if row else None

    async def add_topic(
        self, chat_id: int, key: str, ticket_id: int | None, at: datetime
    ) -> StaffTopic:
        await self.session.execute(
            dialect_insert(self.session)(StaffTopicRow)
            .values(
                chat_id=chat_id, key=key, ticket_id=ticket_id, name="", closed=False, created_at=at
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "key"])
        )
        found = await self.topic(chat_id, key)
        assert found is not None
        return found

    async def post(
        self,
        topic_id: int,
        kind: str,
        payload: dict[str, Any],
        at: datetime,
        *,
        dedup_key: str | None = None,
    ) -> None:
        # One statement built once per dialect, the values bound per call: on the relay
        # path of every customer message, building the statement each time was its cost.
        dialect = self.session.bind.dialect.name
        statement = _POST_INSERT.get(dialect)
        if statement is None:
            statement = _POST_INSERT[dialect] = dialect_insert(self.session)(
                StaffPostRow
            ).on_conflict_do_nothing(index_elements=["dedup_key"])
        await self.session.execute(
            statement,
            {
                "topic_id": topic_id,
                "kind": kind,
                "payload": payload,
                "dedup_key": dedup_key,
                "created_at": at,
                "next_attempt_at": at,
                "attempts": 0,
            },
        )

    async def waiting(self, topic_id: int, kind: str) -> bool:
        found = await self.session.scalar(
            select(StaffPostRow.id)
            .where(
                StaffPostRow.topic_id == topic_id,
                StaffPostRow.kind == kind,
                StaffPostRow.sent_at.is_(None),
                StaffPostRow.dead_at.is_(None),
            )
            .limit(1)
        )
        return found is not None

    async def due(
        self, chat_id: int, now: datetime, limit: int, lease: timedelta = timedelta(minutes=2)
    ) -> list[StaffPost]:
        """The posts due now, claimed for ``lease`` (compare-and-set on their next attempt):
        senders in several processes never carry out the same post; a sender that dies
        leaves its posts due again when the lease ends."""
        candidates = list(
            await self.session.scalars(
                select(StaffPostRow.id)
                .join(StaffTopicRow, StaffTopicRow.id == StaffPostRow.topic_id)
                .where(
                    StaffTopicRow.chat_id == chat_id,
                    StaffPostRow.sent_at.is_(None),
                    StaffPostRow.dead_at.is_(None),
                    StaffPostRow.next_attempt_at <= now,
                )
                .order_by(StaffPostRow.id)
                .limit(limit)
            )
        )
        if not candidates:
            return []
        claimed = set(
            await self.session.scalars(
                update(StaffPostRow)
                .where(StaffPostRow.id.in_(candidates), StaffPostRow.next_attempt_at <= now)
                .values(next_attempt_at=now + lease)
                .returning(StaffPostRow.id)
                .execution_options(synchronize_session=False)
            )
        )
        rows = await self.session.scalars(
            select(StaffPostRow).where(StaffPostRow.id.in_(claimed)).order_by(StaffPostRow.id)
        )
        return [
            StaffPost(
                id=r.id,
                topic_id=r.topic_id,
                kind=r.kind,
                payload=dict(r.payload),
                attempts=r.attempts,
            )
            for r in rows
        ]

    async def release(self, post_ids: list[int], at: datetime) -> None:
        """Claimed posts this sender did not get to: due again at once."""
        if post_ids:
            await self.session.execute(
                update(StaffPostRow)
                .where(StaffPostRow.id.in_(post_ids), StaffPostRow.sent_at.is_(None))
                .values(next_attempt_at=at)
            )

    async def pending_in(self, topic_id: int, kind: str) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(StaffPostRow)
            .where(
                StaffPostRow.topic_id == topic_id,
                StaffPostRow.kind == kind,
                StaffPostRow.sent_at.is_(None),
                StaffPostRow.dead_at.is_(None),
            )
        )
        return int(count or 0)

    async def done(self, post_id: int, at: datetime) -> None:
        await self.session.execute(
            update(StaffPostRow).where(StaffPostRow.id == post_id).values(sent_at=at)
        )

    async def retry(self, post_id: int, at: datetime, error: str) -> None:
        await self.session.execute(
            update(StaffPostRow)
            .where(StaffPostRow.id == post_id)
            .values(next_attempt_at=at, attempts=StaffPostRow.attempts + 1, last_error=error[:500])
        )

    async def dead(self, post_id: int, at: datetime, error: str) -> None:
        await self.session.execute(
            update(StaffPostRow)
            .where(StaffPostRow.id == post_id)
            .values(dead_at=at, last_error=error[:500])
        )

    async def save_topic(self, topic: StaffTopic) -> None:
        await self.session.execute(
            update(StaffTopicRow)
            .where(StaffTopicRow.id == topic.id)
            .values(
                thread_id=topic.thread_id,
                name=topic.name,
                card_message_id=topic.card_message_id,
                closed=topic.closed,
            )
        )
