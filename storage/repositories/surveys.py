"""Follow-up surveys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import facts
from storage.models import (
    SurveyRow,
)
from storage.repositories.common import dialect_insert

__all__ = ["SqlSurveyRepository"]


class SqlSurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ticket_id: int) -> dict[str, Any] | None:
        row = await self.session.scalar(select(SurveyRow).where(SurveyRow.ticket_id == ticket_id))
        if row is None:
            return None
        return {
            "sent_at": row.sent_at,
            "reminded_at": row.reminded_at,
            "answered_at": row.answered_at,
            "timeliness": row.timeliness,
            "attitude": row.attitude,
            "result": row.result,
            "comment": row.comment,
        }

    async def create(self, ticket_id: int, sent_at: datetime) -> bool:
        result = await self.session.execute(
            dialect_insert(self.session)(SurveyRow)
            .values(ticket_id=ticket_id, sent_at=sent_at)
            .on_conflict_do_nothing(index_elements=["ticket_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _set(self, ticket_id: int, **values: Any) -> None:
        await self.session.execute(
            update(SurveyRow)
            .where(SurveyRow.ticket_id == ticket_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def reminded(self, ticket_id: int, at: datetime) -> None:
        await self._set(ticket_id, reminded_at=at)

    async def set_score(self, ticket_id: int, item: str, score: int) -> None:
        if item not in ("timeliness", "attitude", "result"):
            raise ValueError(item)
        await self._set(ticket_id, **{item: score})

    async def set_comment(self, ticket_id: int, text: str) -> None:
        await self._set(ticket_id, comment=text)

    async def close(self, ticket_id: int, at: datetime) -> None:
        await self._set(ticket_id, answered_at=at)
        await facts.survey_answered(self.session, ticket_id)
