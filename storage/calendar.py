"""Company and local days: the calendar overrides managers keep."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CalendarOverrideRow

__all__ = ["CalendarStore"]


class CalendarStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def all(self) -> dict[date, tuple[bool, str]]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(CalendarOverrideRow).order_by(CalendarOverrideRow.day)
            )
            return {row.day: (row.working, row.note) for row in rows}

    async def put(self, day: date, working: bool, note: str, by: int, at: datetime) -> None:
        async with self.sessions() as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            stmt = insert(CalendarOverrideRow).values(
                day=day, working=working, note=note, created_by=by, created_at=at
            )
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["day"],
                    set_={"working": working, "note": note, "created_by": by, "created_at": at},
                )
            )
            await session.commit()

    async def remove(self, day: date) -> bool:
        async with self.sessions() as session:
            result = await session.execute(
                delete(CalendarOverrideRow).where(CalendarOverrideRow.day == day)
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]
