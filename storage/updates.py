"""Telegram update ids already handled: a redelivered update is recognised and ignored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdateRow

__all__ = ["SqlRequestRepository"]


class SqlRequestRepository:
    """Telegram update ids as the domain's request ids, claimed inside a unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, request_id: int, at: datetime) -> bool:
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        result = await self.session.execute(
            insert(ProcessedUpdateRow)
            .values(update_id=request_id, processed_at=at)
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]
