"""Plain rows for the monthly report: the month's tickets, their status events, surveys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import EventRow, OutboxRow, SurveyRow, TicketRow, UserRow

__all__ = ["MonthRows", "StatsStore"]


@dataclass(frozen=True)
class MonthRows:
    tickets: list[dict[str, Any]]  # id, kind, customer_id, created_at, details, arrive_due_at
    reached: dict[int, dict[str, datetime]]  # ticket id -> status -> first time reached
    surveys: list[tuple[int, int, int]]  # answered: (timeliness, attitude, result)


class StatsStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def opened_at(self) -> datetime | None:
        """When the desk began: its first user (None for a desk nobody used yet)."""
        async with self.sessions() as session:
            first: datetime | None = await session.scalar(select(func.min(UserRow.created_at)))
            return first

    async def month(self, start: datetime, end: datetime) -> MonthRows:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(
                        TicketRow.id,
                        TicketRow.kind,
                        TicketRow.customer_id,
                        TicketRow.created_at,
                        TicketRow.details,
                        TicketRow.arrive_due_at,
                    ).where(TicketRow.created_at >= start, TicketRow.created_at < end)
                )
            ).all()
            ids = [r.id for r in rows]
            reached: dict[int, dict[str, datetime]] = {}
            if ids:
                for ticket_id, status, at in await session.execute(
                    select(EventRow.ticket_id, EventRow.to_status, EventRow.created_at)
                    .where(EventRow.ticket_id.in_(ids), EventRow.to_status.is_not(None))
                    .order_by(EventRow.id)
                ):
                    reached.setdefault(ticket_id, {}).setdefault(status, at)
            surveys = [
                (t, a, r)
                for t, a, r in await session.execute(
                    select(SurveyRow.timeliness, SurveyRow.attitude, SurveyRow.result).where(
                        SurveyRow.answered_at >= start, SurveyRow.answered_at < end
                    )
                )
            ]
        return MonthRows(
            tickets=[dict(r._mapping) for r in rows],
            reached=reached,
            surveys=surveys,
        )

    async def sent(self, dedup_prefix: str) -> bool:
        async with self.sessions() as session:
            return (
                await session.scalar(
                    select(OutboxRow.id)
                    .where(OutboxRow.dedup_key.like(f"{dedup_prefix}%"))
                    .limit(1)
                )
            ) is not None
