"""Company and local days: the calendar overrides managers keep."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.ports import CompanyDay
from storage.models import CalendarOverrideRow

__all__ = ["SqlCalendarRepository"]


class SqlCalendarRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> list[CompanyDay]:
        rows = await self.session.scalars(
            select(CalendarOverrideRow).order_by(CalendarOverrideRow.day)
        )
        return [CompanyDay(row.day, row.working, row.note) for row in rows]

    async def put(self, day: CompanyDay, *, by: int, at: datetime) -> None:
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        values = {"working": day.working, "note": day.note, "created_by": by, "created_at": at}
        await self.session.execute(
            insert(CalendarOverrideRow)
            .values(day=day.day, **values)
            .on_conflict_do_update(index_elements=["day"], set_=values)
        )

    async def remove(self, day: date) -> bool:
        result = await self.session.execute(
            delete(CalendarOverrideRow).where(CalendarOverrideRow.day == day)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
