"""The outbox as services write to it, inside their unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.messages import Outgoing, params_to_json
from storage.models import (
    OutboxRow,
)
from storage.repositories.common import dialect_insert
from storage.updates import HANDLING_UPDATE

__all__ = ["SqlOutboxRepository"]


def _handling_update() -> int | None:
    """Rows written while an update is handled wait for it to be done (storage.updates)."""
    handling = HANDLING_UPDATE.get()
    if handling is None:
        return None
    handling.wrote_outbox = True
    return handling.update_id


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: Outgoing, *, at: datetime) -> None:
        await self.add_many([message], at=at)

    async def missed(self, user_id: int, since: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(
                    OutboxRow.user_id == user_id,
                    OutboxRow.dead_at >= since,
                    OutboxRow.sent_at.is_(None),
                )
            )
            or 0
        )

    async def add_many(self, messages: list[Outgoing], *, at: datetime) -> None:
        """Several messages in one statement; a repeated dedup key is ignored, as in add."""
        if not messages:
            return
        stmt = dialect_insert(self.session)(OutboxRow).on_conflict_do_nothing(
            index_elements=["dedup_key"]
        )
        await self.session.execute(stmt, [self._values(m, at) for m in messages])

    @staticmethod
    def _values(message: Outgoing, at: datetime) -> dict[str, Any]:
        return {
            "user_id": message.user_id,
            "ticket_id": message.ticket_id,
            "template": message.text,
            "params": {
                **params_to_json(message.params),
                **({"_location": list(message.location)} if message.location else {}),
                **({"_media": list(message.media)} if message.media else {}),
            },
            "buttons": [
                [{"label": b.label, "data": b.data, "url": b.url} for b in row]
                for row in message.buttons
            ],
            "dedup_key": message.dedup_key,
            "kind": message.kind,
            "created_at": at,
            "next_attempt_at": message.not_before or at,
            "attempts": 0,
            "update_id": _handling_update(),
        }
